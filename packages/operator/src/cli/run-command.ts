import type { Command } from "commander";
import { operatorRunService } from "../run/service.js";
import type { CliIo } from "./io.js";

/**
 * `run` is the operator's long-running service: the runtime's kit gives it its options, config
 * precedence, logger, /metrics and /health, signal handling, bounded stop and exit code.
 */
export function addRunCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const run = operatorRunService.configure(
    program.command("run").description(operatorRunService.definition.description),
  );
  run.action(async () => {
    setExitCode(
      await operatorRunService.runParsed(run, {
        env: io.env,
        stdout: (text) => io.out(text.replace(/\n$/, "")),
        stderr: (text) => io.err(text.replace(/\n$/, "")),
        ...(io.logDestination !== undefined ? { logDestination: io.logDestination } : {}),
        ...(io.handleSignals !== undefined ? { handleSignals: io.handleSignals } : {}),
        ...(io.stop !== undefined ? { stop: io.stop } : {}),
      }),
    );
  });
}
