/*
 * A local backoff instead of @avskit/runtime's `retry`/`backoffDelay`: the runtime's entry point
 * re-exports its HTTP server (fastify), logger (pino) and metrics (prom-client), so importing it
 * would pull the whole server stack into every app that only wants to read a log. The policy is
 * the runtime's (initial · factor^(n−1), capped, "equal" jitter), so the two read the same.
 */

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 100, maxMs: 5_000 };

/** The wait after failed try `failedTry` (1-based): half the schedule plus a random share of the rest. */
export function backoffDelay(failedTry: number, policy: Backoff, random: () => number = Math.random): number {
  const scheduled = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(failedTry, 1) - 1, 32));
  return scheduled / 2 + random() * (scheduled / 2);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
