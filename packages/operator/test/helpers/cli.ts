import { type CliIo, runCli } from "../../src/index.js";

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export interface InProcessCliOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly stdin?: string;
  /** `run`: where its JSON log lines go. */
  readonly logDestination?: NodeJS.WritableStream;
  /** `run`: aborting stops it (no signal handlers are installed in the test process). */
  readonly stop?: AbortSignal;
}

/**
 * Runs the operator's CLI in this process with its own env and stdin, and captures what it
 * prints (the kit's runCli starts a built CLI as a process instead; both are used).
 */
export async function cli(argv: readonly string[], options: InProcessCliOptions = {}): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    env: options.env ?? {},
    readStdin: async () => options.stdin ?? "",
    handleSignals: false,
    ...(options.logDestination !== undefined ? { logDestination: options.logDestination } : {}),
    // An in-process `run` must be stoppable: without a signal it stops at once.
    stop: options.stop ?? AbortSignal.abort(),
  };
  const code = await runCli(argv, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}
