import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built CLI (turbo builds the package before its tests). */
export const CLI_PATH = fileURLToPath(new URL("../../dist/src/cli.js", import.meta.url));

export interface RunningCli {
  readonly child: ChildProcess;
  /** JSON log lines printed so far. */
  readonly lines: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
}

/** Runs the CLI as its own process with only the given env (plus PATH), collecting its JSON log lines. */
export function runCli(args: readonly string[], env: Record<string, string>): RunningCli {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  child.stderr!.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, lines, exited };
}
