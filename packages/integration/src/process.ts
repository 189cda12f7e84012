import { type ChildProcess, spawn } from "node:child_process";
import type { CliIo } from "@avskit/runtime";
import type { LogLine } from "./logs.js";

/** A service's CLI running as its own process. */
export interface RunningCli {
  readonly child: ChildProcess;
  /** JSON log lines printed on stdout so far (lines that are not JSON as `{ msg }`). */
  readonly lines: LogLine[];
  /** Everything printed on stdout so far, as text. */
  readonly stdout: () => string;
  /** Everything printed on stderr so far. */
  readonly stderr: () => string;
  /** The exit code (null when killed by a signal), once the process is gone and its output read. */
  readonly exited: Promise<number | null>;
  /** The exit code and signal, at the same moment. */
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface RunCliOptions {
  /** Its own process group, as a terminal's foreground job (a signal to `-pid` reaches the group). */
  readonly detached?: boolean;
  /** This process's whole environment under `env`, instead of PATH (and Node's compile cache) alone. */
  readonly inheritEnv?: boolean;
}

/** PATH, and Node's compile cache when the caller has one (it changes no behaviour, only start-up time). */
function minimalEnv(): Record<string, string> {
  const cache = process.env.NODE_COMPILE_CACHE;
  return { PATH: process.env.PATH ?? "", ...(cache ? { NODE_COMPILE_CACHE: cache } : {}) };
}

/**
 * Runs a built CLI (`dist/src/cli.js` of a package: turbo builds a package before its tests)
 * under this Node, with only the given env (plus PATH and Node's compile cache) unless told otherwise, collecting what it
 * prints.
 */
export function runCli(
  cliPath: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  options: RunCliOptions = {},
): RunningCli {
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: options.inheritEnv ? { ...process.env, ...env } : { ...minimalEnv(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
  const lines: LogLine[] = [];
  let stdout = "";
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    const text = chunk.toString();
    stdout += text;
    buffered += text;
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
  // "close", not "exit": by then every line the process printed has been read.
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    stdout: () => stdout,
    stderr: () => stderr,
    exited: ended.then(({ code }) => code),
    ended,
  };
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
