/** Exponential backoff between attempts to reach the aggregator. */
export interface RetryPolicy {
  /** Delay before the first retry. */
  readonly initialDelayMs: number;
  /** Cap on any one delay. */
  readonly maxDelayMs: number;
  /** Bound on each HTTP request. */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialDelayMs: 200,
  maxDelayMs: 5_000,
  requestTimeoutMs: 5_000,
};

/**
 * Delay before retry number `attempt` (0 = first retry): doubling from the initial delay up to
 * the cap, with "equal jitter" (half fixed, half random) so that many operators refused at
 * the same moment do not all come back at the same moment.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt, 30));
  return base / 2 + random() * (base / 2);
}
