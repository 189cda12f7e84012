import { ConfigError, EXIT } from "@avskit/runtime";
import { Command, CommanderError } from "commander";
import { isOperatorUsageError } from "../errors.js";
import { addChainCommands } from "./chain-commands.js";
import type { CliIo } from "./io.js";
import { addKeysCommands } from "./keys-commands.js";
import { addRunCommand } from "./run-command.js";

/** Exit codes (the runtime's): 0 done, 1 the action failed, 2 the command line or configuration is wrong. */
export { EXIT };

/** The CLI; `setExitCode` receives the code of an action that decides its own (`run`). */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void = () => {}): Command {
  const program = new Command("avskit-operator")
    .description(
      "avskit operator: manage keys, register with the AVS, and run the operator (watch tasks, compute, sign, send to the aggregator).\nEvery option can also be set by its AVSKIT_* environment variable (shown in each command's --help) or in a --config JSON file.",
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.replace(/\n$/, "")),
      writeErr: (text) => io.err(text.replace(/\n$/, "")),
    })
    .showHelpAfterError("(add --help for usage)");
  addKeysCommands(program, io);
  addChainCommands(program, io);
  addRunCommand(program, io, setExitCode);
  return program;
}

const BUILT_IN_ERRORS = new Set(["Error", "TypeError", "RangeError", "ReferenceError", "SyntaxError"]);

function isUsageError(error: unknown): boolean {
  return error instanceof ConfigError || isOperatorUsageError(error);
}

/**
 * Runs the CLI on `argv` (the user's arguments, without node and the script) and returns the
 * exit code. Errors are printed as one line naming what failed; no stack traces for expected
 * failures.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (actionCode) => {
    code = actionCode;
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander printed its own message (or the help).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const named = error instanceof Error ? error : new Error(String(error));
    io.err(`error: ${named.message}`);
    // Named errors are expected failures with a full message; a built-in one is a bug: keep its stack.
    if (BUILT_IN_ERRORS.has(named.name)) io.err(named.stack ?? "");
    return isUsageError(error) ? EXIT.usage : EXIT.failed;
  }
}
