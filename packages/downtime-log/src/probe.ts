import type { Liveness } from "./statement.js";

/** One probe of a node's health endpoint: up only on a 2xx within the timeout. */
export async function probe(url: string, timeoutMs: number, signal?: AbortSignal): Promise<Liveness> {
  const signals = [AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])];
  try {
    const reply = await fetch(`${url.replace(/\/$/, "")}/health`, { signal: AbortSignal.any(signals) });
    await reply.body?.cancel();
    return reply.ok ? "up" : "down";
  } catch {
    return "down";
  }
}

/**
 * Per subject, the run of consecutive probe results that disagree with the state the log holds
 * for it. A change is suspected only after `threshold` of them in a row, so one slow reply is not
 * an outage; any agreeing result resets the run.
 */
export class SuspicionTracker {
  readonly #threshold: number;
  readonly #runs = new Map<string, { state: Liveness; count: number }>();

  constructor(threshold: number) {
    this.#threshold = threshold;
  }

  /** Records a result; returns the suspected new state when the run reaches the threshold. */
  record(subject: string, logState: Liveness, result: Liveness): Liveness | undefined {
    if (result === logState) {
      this.#runs.delete(subject);
      return undefined;
    }
    const run = this.#runs.get(subject);
    const count = run?.state === result ? run.count + 1 : 1;
    this.#runs.set(subject, { state: result, count });
    return count >= this.#threshold ? result : undefined;
  }
}
