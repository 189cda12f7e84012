import { readAll, type SecretInputs } from "../keys/secrets.js";

/**
 * Everything the CLI touches outside its arguments, so tests run it in-process and read what
 * it printed. `processIo()` wires it to the real process.
 */
export interface CliIo extends SecretInputs {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** `run`: where its JSON log lines go (stdout when omitted). */
  readonly logDestination?: NodeJS.WritableStream;
  /** `run`: install SIGINT/SIGTERM handlers (default true; in-process tests turn them off). */
  readonly handleSignals?: boolean;
  /** `run`: aborting stops it as SIGTERM would. */
  readonly stop?: AbortSignal;
}

/** The real process's streams, environment and standard input. */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    env: process.env,
    readStdin: () => readAll(process.stdin),
  };
}

/** JSON with bigints as decimal strings (uint256 values do not fit a JSON number). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}
