/** Exponential backoff between tries of the same update. */
export interface BackoffPolicy {
  /** Wait after the first failed try. */
  readonly initialMs: number;
  /** Upper bound of any single wait. */
  readonly maxMs: number;
  /** Growth per failed try (2 doubles the wait each time). */
  readonly factor: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 2_000, maxMs: 60_000, factor: 2 };

/**
 * The wait after failed try number `failedTry` (1-based): initial · factor^(failedTry−1), capped.
 * No jitter: a single worker per AVS has no thundering herd to spread, and a predictable
 * schedule is easier to read in the logs.
 */
export function backoffDelayMs(failedTry: number, policy: BackoffPolicy): number {
  if (!Number.isInteger(failedTry) || failedTry < 1)
    throw new RangeError(`failedTry must be ≥ 1, got ${failedTry}`);
  const delay = policy.initialMs * policy.factor ** (failedTry - 1);
  return Math.min(delay, policy.maxMs);
}
