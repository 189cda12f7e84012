import { type Logger, sleep } from "@avskit/runtime";
import type { SequencerClient } from "@avskit/sequencer-client";
import { type CheckContext, decide } from "./check.js";
import type { DowntimeDb } from "./db.js";
import type { DowntimeMetrics } from "./metrics.js";

export interface ReplicatorDeps {
  readonly client: SequencerClient;
  readonly db: DowntimeDb;
  readonly check: CheckContext;
  readonly metrics: DowntimeMetrics;
  readonly logger: Logger;
  /** How often the log's finalized tip is read for the lag metric. */
  readonly lagIntervalMs: number;
}

/**
 * Reads the app's finalized batches in log order through the SDK (which verifies every page's
 * chaining hash and finality certificate), decides each one, and writes the decision and the new
 * resume point in one transaction. After a restart it resumes after the last batch written,
 * with that batch's chaining hash, so the SDK also checks the log did not change under it.
 */
export class Replicator {
  readonly #d: ReplicatorDeps;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #lagTimer: NodeJS.Timeout | undefined;
  #finalized = 0;

  constructor(deps: ReplicatorDeps) {
    this.#d = deps;
  }

  /** Highest finalized index of the log seen (for /v1/status and the lag). */
  get finalizedIndex(): number {
    return Math.max(this.#finalized, this.#d.db.position().index);
  }

  start(): void {
    this.#d.metrics.appliedIndex.set(this.#d.db.position().index);
    this.#loop = this.#run();
    const lag = () =>
      this.#d.client.lastFinalized({ signal: this.#stop.signal }).then(
        (point) => {
          this.#finalized = Number(point.index);
          this.#d.metrics.replicaLag.set(Math.max(0, this.#finalized - this.#d.db.position().index));
        },
        () => {},
      );
    void lag();
    this.#lagTimer = setInterval(lag, this.#d.lagIntervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#lagTimer);
    this.#stop.abort(new Error("stopping"));
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { client, db, metrics, logger } = this.#d;
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const from = db.position();
      try {
        for await (const batch of client.batches({
          after: from.index,
          ...(from.chainHash !== undefined ? { chainHash: from.chainHash } : {}),
          signal,
        })) {
          const index = Number(batch.index);
          const decision = await decide(this.#d.check, index, batch.body);
          if (decision.apply) {
            db.applyEvent(decision.row, batch.chainHash, decision.operators);
            metrics.eventsApplied.inc({ state: decision.row.state });
            logger.info(
              {
                index,
                subject: decision.row.subject,
                state: decision.row.state,
                observedAt: decision.row.observedAt,
              },
              "event applied",
            );
          } else {
            db.refuse({ index, reason: decision.reason, detail: decision.detail }, batch.chainHash);
            metrics.eventsRefused.inc({ reason: decision.reason });
            logger.info({ index, reason: decision.reason, detail: decision.detail }, "batch refused");
          }
          metrics.appliedIndex.set(index);
          this.#finalized = Math.max(this.#finalized, index);
          metrics.replicaLag.set(Math.max(0, this.#finalized - index));
        }
      } catch (error) {
        if (signal.aborted) return;
        logger.warn({ err: error, after: from.index }, "reading the log failed; trying again");
        await sleep(500, signal);
      }
    }
  }
}
