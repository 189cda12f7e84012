import { sleep } from "./shutdown.js";

/**
 * Exponential backoff between tries of the same thing. Every service uses this one policy, so
 * "initial", "max" and "try number" mean the same everywhere: the wait after failed try n
 * (1-based) is initial · factor^(n−1), capped at max.
 */
export interface BackoffPolicy {
  /** Wait after the first failed try. */
  readonly initialMs: number;
  /** Upper bound of any single wait. */
  readonly maxMs: number;
  /** Growth per failed try; 2 (the default) doubles the wait each time. */
  readonly factor?: number;
  /**
   * `none` (the default) waits exactly the schedule: a single worker has no herd to spread and a
   * predictable schedule reads better in logs. `equal` waits half the schedule plus a random
   * share of the other half, so many clients refused at the same moment do not all return
   * together (operators refused by one aggregator, say).
   */
  readonly jitter?: "none" | "equal";
}

/** The wait after failed try number `failedTry` (1-based), in milliseconds. */
export function backoffDelay(
  failedTry: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(failedTry) || failedTry < 1) {
    throw new RangeError(`failedTry must be a whole number ≥ 1, got ${failedTry}`);
  }
  const factor = policy.factor ?? 2;
  // Capping the exponent keeps the arithmetic finite for long outages; the max caps the rest.
  const scheduled = Math.min(policy.maxMs, policy.initialMs * factor ** Math.min(failedTry - 1, 64));
  return policy.jitter === "equal" ? scheduled / 2 + random() * (scheduled / 2) : scheduled;
}

/** What `retry` reports before each wait. */
export interface RetryEvent {
  readonly failedTry: number;
  readonly error: unknown;
  readonly delayMs: number;
}

export interface RetryOptions {
  readonly policy: BackoffPolicy;
  /** Most tries in all; unlimited when omitted (then `signal` or `shouldGoOn` must end it). */
  readonly tries?: number;
  /** Aborting ends the retries: the last error is thrown (or RetryAbortedError before any try). */
  readonly signal?: AbortSignal;
  /** An error no retry can fix (a missing contract, a refused request): thrown at once. */
  readonly isPermanent?: (error: unknown) => boolean;
  /** Asked after each failure: false stops retrying (a task's window has closed, say). */
  readonly shouldGoOn?: () => boolean;
  readonly onRetry?: (event: RetryEvent) => void;
  /** Randomness for `jitter: "equal"` (tests pass a fixed one). */
  readonly random?: () => number;
  /** Waits between tries (tests pass one that does not wait). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Retrying stopped because the caller's signal aborted before a try could be made. */
export class RetryAbortedError extends Error {
  constructor(reason: unknown) {
    super(`stopped before trying: ${(reason as Error)?.message ?? String(reason ?? "aborted")}`);
    this.name = "RetryAbortedError";
  }
}

/**
 * Runs `attempt` until it succeeds, and throws its last error once retrying ends: after
 * `tries` tries, on a permanent error, when `shouldGoOn` says no, or when `signal` aborts
 * (waits are cut short by the abort).
 */
export async function retry<T>(
  attempt: (tryNumber: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const wait = options.sleep ?? sleep;
  for (let tryNumber = 1; ; tryNumber++) {
    if (options.signal?.aborted) throw new RetryAbortedError(options.signal.reason);
    try {
      return await attempt(tryNumber);
    } catch (error) {
      const exhausted = options.tries !== undefined && tryNumber >= options.tries;
      if (
        exhausted ||
        options.isPermanent?.(error) ||
        options.signal?.aborted ||
        options.shouldGoOn?.() === false
      ) {
        throw error;
      }
      const delayMs = backoffDelay(tryNumber, options.policy, options.random);
      options.onRetry?.({ failedTry: tryNumber, error, delayMs });
      await wait(delayMs, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}
