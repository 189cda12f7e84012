import { Counter, Gauge, type Registry } from "@avskit/runtime";

export type AttemptStatus = "succeed" | "error";

/**
 * The Go worker's metric names (dashboards and alerts written for it keep working), plus the
 * staleness gauge it lacked. In subset mode the labels name each quorum the operators are in,
 * never an empty quorum list.
 */
export class SyncMetrics {
  readonly #attempts: Counter<"status" | "quorum">;
  readonly #reverted: Counter;
  readonly #operatorsUpdated: Gauge<"quorum">;
  readonly #lastFullUpdate = new Map<number, number>();
  readonly #now: () => number;

  constructor(registry: Registry, now: () => number = Date.now) {
    this.#now = now;
    this.#attempts = new Counter({
      name: "avssync_update_stake_attempt",
      help: "Tries to update stakes, by outcome and quorum",
      labelNames: ["status", "quorum"],
      registers: [registry],
    });
    this.#reverted = new Counter({
      name: "avssync_tx_reverted_total",
      help: "Update transactions mined with a revert",
      registers: [registry],
    });
    this.#operatorsUpdated = new Gauge({
      name: "avssync_operators_updated",
      help: "Operators whose stakes the last successful update of the quorum refreshed",
      labelNames: ["quorum"],
      registers: [registry],
    });
    const lastFullUpdate = this.#lastFullUpdate;
    const clock = this.#now;
    new Gauge({
      name: "avssync_quorum_staleness_seconds",
      help: "Seconds since the quorum's last complete stake update on-chain (alert when above your threshold)",
      labelNames: ["quorum"],
      registers: [registry],
      collect() {
        for (const [quorum, timestamp] of lastFullUpdate) {
          this.set({ quorum: String(quorum) }, Math.max(0, clock() / 1000 - timestamp));
        }
      },
    });
  }

  attempt(status: AttemptStatus, quorums: readonly number[]): void {
    for (const quorum of quorums) this.#attempts.inc({ status, quorum: String(quorum) });
  }

  reverted(): void {
    this.#reverted.inc();
  }

  operatorsUpdated(quorum: number, count: number): void {
    this.#operatorsUpdated.set({ quorum: String(quorum) }, count);
  }

  /** Records the block time (Unix seconds) of the quorum's last complete update. */
  fullUpdateAt(quorum: number, timestamp: number): void {
    const known = this.#lastFullUpdate.get(quorum);
    if (known === undefined || timestamp > known) this.#lastFullUpdate.set(quorum, timestamp);
  }

  /** Seconds since the quorum's last complete update, or undefined when unknown. */
  stalenessSeconds(quorum: number): number | undefined {
    const timestamp = this.#lastFullUpdate.get(quorum);
    return timestamp === undefined ? undefined : Math.max(0, this.#now() / 1000 - timestamp);
  }
}
