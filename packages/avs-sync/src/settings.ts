import type { BackoffPolicy } from "@avskit/runtime";
import type { Address } from "viem";
import { SyncConfigError } from "./errors.js";
import type { SyncConfig } from "./options.js";
import type { Schedule } from "./schedule.js";
import type { SyncOptions, SyncTargets } from "./sync.js";

/** Added to every estimate for the gas limit: estimates can fall a little short at execution. */
const GAS_MARGIN_PERCENT = 20;

/** Everything a run needs, derived once from the validated options. */
export interface SyncSettings {
  readonly targets: SyncTargets;
  readonly options: SyncOptions;
  readonly schedule: Schedule;
}

/** Checks the options against each other (each alone is already valid) and derives the settings. */
export function settingsFrom(config: SyncConfig): SyncSettings {
  if (config.operators !== undefined && config.quorums !== undefined) {
    throw new SyncConfigError(
      ["--operators", "--quorums"],
      "subset mode updates the operators in all their quorums; give one or the other",
    );
  }
  if (config.operators === undefined && config.quorums === undefined && !config.fetchQuorumsDynamically) {
    throw new SyncConfigError(
      ["--fetch-quorums-dynamically=false"],
      "needs --quorums (or --operators): otherwise there is nothing to update",
    );
  }
  if (config.retryMaxBackoff < config.retryInitialBackoff) {
    throw new SyncConfigError(
      ["--retry-max-backoff", "--retry-initial-backoff"],
      "the maximum is below the initial wait",
    );
  }
  if (config.writerTimeoutDuration <= 0 || config.readerTimeoutDuration <= 0) {
    throw new SyncConfigError(
      ["--reader-timeout-duration", "--writer-timeout-duration"],
      "timeouts must be positive",
    );
  }
  // The documented schedule: initial · 2^(n−1) after failed try n, capped. No jitter: a single
  // worker per AVS has no herd to spread, and a predictable schedule reads better in the logs.
  const backoff: BackoffPolicy = {
    initialMs: config.retryInitialBackoff,
    maxMs: config.retryMaxBackoff,
    factor: 2,
    jitter: "none",
  };
  const targets: SyncTargets =
    config.operators !== undefined
      ? { kind: "operators", operators: [...new Set(config.operators as Address[])] }
      : {
          kind: "quorums",
          ...(config.quorums !== undefined
            ? { quorums: [...new Set(config.quorums)].sort((a, b) => a - b) }
            : {}),
          fetchDynamically: config.fetchQuorumsDynamically,
        };
  return {
    targets,
    options: {
      tries: config.retrySyncNTimes,
      backoff,
      dryRun: config.dryRun,
      force: config.force,
      refreshAfterMs: config.refreshAfter,
      ...(config.maxGasPerTx !== undefined ? { maxGasPerTx: BigInt(config.maxGasPerTx) } : {}),
      writerTimeoutMs: config.writerTimeoutDuration,
      gasMarginPercent: GAS_MARGIN_PERCENT,
    },
    schedule: {
      intervalMs: config.syncInterval,
      ...(config.firstSyncTime !== undefined ? { firstSyncTime: config.firstSyncTime } : {}),
    },
  };
}
