import type { Address, Hash } from "viem";

/** One operator whose recorded stake an update would change. */
export interface StaleStake {
  readonly operator: Address;
  readonly quorum: number;
  readonly stored: bigint;
  /** What the update would record (0 when the weight fell below the quorum's minimum). */
  readonly next: bigint;
}

/** What one update (a quorum, or the `--operators` subset) came to. */
export type UpdateResult =
  | {
      readonly kind: "updated";
      readonly target: string;
      readonly quorums: readonly number[];
      readonly tries: number;
      readonly operators: number;
      readonly staleOperators: number;
      readonly txHash: Hash;
      readonly blockNumber: bigint;
      readonly gasUsed: bigint;
    }
  | {
      readonly kind: "skipped";
      readonly target: string;
      readonly quorums: readonly number[];
      readonly operators: number;
      readonly reason: string;
    }
  | {
      readonly kind: "dry-run";
      readonly target: string;
      readonly quorums: readonly number[];
      readonly operators: number;
      readonly stale: readonly StaleStake[];
      readonly estimatedGas: bigint;
    }
  | {
      readonly kind: "failed";
      readonly target: string;
      readonly quorums: readonly number[];
      readonly tries: number;
      readonly error: Error;
    }
  | {
      /** Stopped by shutdown before it finished; `tries` failed tries happened first. */
      readonly kind: "interrupted";
      readonly target: string;
      readonly quorums: readonly number[];
      readonly tries: number;
      /** The update sent just before the stop, whose receipt was not seen: it may still be mined. */
      readonly txHash?: Hash;
    };

export interface SyncReport {
  readonly results: readonly UpdateResult[];
  /** Targets the run meant to update but never reached (shutdown). */
  readonly notStarted: readonly string[];
  /** The run failed before any update (e.g. the quorum count could not be read). */
  readonly error?: Error;
  readonly interrupted: boolean;
  readonly startedAt: Date;
  readonly finishedAt: Date;
}

/** True when nothing failed: every target was updated, skipped as current, or dry-run. */
export function succeeded(report: SyncReport): boolean {
  return (
    report.error === undefined &&
    !report.interrupted &&
    report.results.every((r) => r.kind === "updated" || r.kind === "skipped" || r.kind === "dry-run")
  );
}

/** A compact, loggable account of a run: which targets were done and which were not. */
export function summarize(report: SyncReport): Record<string, unknown> {
  const pick = (kind: UpdateResult["kind"]) =>
    report.results.filter((r) => r.kind === kind).map((r) => r.target);
  return {
    updated: pick("updated"),
    skipped: pick("skipped"),
    dryRun: pick("dry-run"),
    failed: report.results
      .filter((r) => r.kind === "failed")
      .map((r) => ({ target: r.target, tries: r.tries, error: r.error.message })),
    interrupted: pick("interrupted"),
    unconfirmed: report.results.flatMap((r) =>
      r.kind === "interrupted" && r.txHash !== undefined ? [{ target: r.target, txHash: r.txHash }] : [],
    ),
    notStarted: report.notStarted,
    ...(report.error ? { runError: report.error.message } : {}),
    durationMs: report.finishedAt.getTime() - report.startedAt.getTime(),
  };
}
