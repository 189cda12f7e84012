import type { SecretInputs } from "../keys/secrets.js";

/**
 * Everything the CLI touches outside its arguments, so tests run it in-process and read what
 * it printed. `cli.ts` wires it to the real process.
 */
export interface CliIo extends SecretInputs {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /**
   * Called by `run` once the operator is up; resolves when it should stop. The real CLI waits
   * for SIGINT/SIGTERM; tests resolve it themselves.
   */
  readonly waitForStop: (stop: (reason: string) => Promise<void>) => Promise<void>;
}

/** JSON with bigints as decimal strings (uint256 values do not fit a JSON number). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}
