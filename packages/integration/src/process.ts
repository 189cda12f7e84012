import { type ChildProcess, spawn } from "node:child_process";
import type { CliIo } from "@avskit/runtime";
import type { LogLine } from "./logs.js";

/** A service's CLI running as its own process. */
export interface RunningCli {
  readonly child: ChildProcess;
  /** JSON log lines printed on stdout so far. */
  readonly lines: LogLine[];
  /** Everything printed on stderr so far. */
  readonly stderr: () => string;
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/**
 * Runs a built CLI (`dist/src/cli.js` of a package: turbo builds a package before its tests)
 * under this Node, with only the given env (plus PATH), collecting its JSON log lines. Lines that
 * are not JSON (help text) are kept as `{ msg }` lines.
 */
export function runCli(
  cliPath: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): RunningCli {
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: LogLine[] = [];
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    for (const part of parts) {
      if (!part.trim()) continue;
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        lines.push({ level: 0, time: Date.now(), msg: part });
      }
    }
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, lines, stderr: () => stderr, exited };
}

/** What a service's CLI printed when run in this process. */
export interface MainOutcome {
  readonly code: number;
  /** Help text. */
  readonly stdout: string;
  /** Usage and configuration errors. */
  readonly stderr: string;
}

/**
 * Runs a service's CLI (`service.main` of @avskit/runtime's defineService) in this process,
 * without signal handlers, collecting what it prints: for --help and invalid-option tests, which
 * need no process of their own. A service that starts would run until it ends by itself.
 */
export async function runMain(
  service: { main(argv: readonly string[], io?: CliIo): Promise<number> },
  argv: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<MainOutcome> {
  let stdout = "";
  let stderr = "";
  const code = await service.main(argv, {
    env,
    handleSignals: false,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}
