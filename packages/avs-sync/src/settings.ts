import type { SignerSource } from "@avskit/runtime";
import type { Address } from "viem";
import type { BackoffPolicy } from "./backoff.js";
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
  readonly signer: SignerSource;
}

export const SIGNER_OPTION_NAMES = {
  privateKey: "--ecdsa-private-key (AVS_SYNC_ECDSA_PRIVATE_KEY)",
  keystorePath: "--ecdsa-keystore-path (AVS_SYNC_ECDSA_KEYSTORE_PATH)",
  password: "AVS_SYNC_ECDSA_KEYSTORE_PASSWORD",
  passwordFile: "--ecdsa-keystore-password-file (AVS_SYNC_ECDSA_KEYSTORE_PASSWORD_FILE)",
} as const;

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
  const backoff: BackoffPolicy = {
    initialMs: config.retryInitialBackoff,
    maxMs: config.retryMaxBackoff,
    factor: 2,
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
    signer: {
      privateKey: config.ecdsaPrivateKey,
      keystorePath: config.ecdsaKeystorePath,
      password: config.ecdsaKeystorePassword,
      passwordFile: config.ecdsaKeystorePasswordFile,
      names: SIGNER_OPTION_NAMES,
    },
  };
}
