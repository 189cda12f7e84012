export { type ConnectOptions, connectSyncChain } from "./connect.js";
export {
  AvsSyncError,
  InvalidTimeOfDayError,
  MaxGasExceededError,
  ReceiptTimeoutError,
  SignerRequiredError,
  SyncConfigError,
  TxRevertedError,
  UnknownQuorumError,
} from "./errors.js";
export { type AttemptStatus, SyncMetrics } from "./metrics.js";
export { DEFAULT_METRICS_ADDR, ENV_PREFIX, type SyncConfig, syncOptionSpecs } from "./options.js";
export { type StaleStake, type SyncReport, succeeded, summarize, type UpdateResult } from "./report.js";
export { nextRunAfter, runOnSchedule, type Schedule } from "./schedule.js";
export { SYNC_EXIT, type SyncHandle, type SyncServiceDeps, syncService } from "./service.js";
export { type SyncSettings, settingsFrom } from "./settings.js";
export {
  type RetryDeps,
  runSync,
  type SyncDeps,
  type SyncOptions,
  type SyncTargets,
  withRetries,
} from "./sync.js";
export {
  isStale,
  type LastFullUpdate,
  type OperatorSnapshot,
  type OperatorStake,
  type QuorumSnapshot,
  type SyncChain,
  sortAddresses,
  stakeAfterUpdate,
  type TxOutcome,
} from "./sync-chain.js";
export { formatTimeOfDay, nextUtcOccurrence, parseTimeOfDay, type TimeOfDay } from "./time-of-day.js";
export { ServiceManagerMismatchError, ViemSyncChain, type ViemSyncChainOptions } from "./viem-chain.js";
export { SyncWorker, type SyncWorkerDeps } from "./worker.js";
