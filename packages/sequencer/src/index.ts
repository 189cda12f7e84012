export type { AppLog, Entry, Tip } from "./app-log.js";
export {
  briefly,
  NotAMemberError,
  PeerRequestError,
  REFUSALS,
  type RefusalCode,
  RefusedError,
  SequencerError,
} from "./errors.js";
export { type Faults, NO_FAULTS, parseFaults, TEST_FAULTS_ENV } from "./faults.js";
export { type ApiLimits, buildHttpApi, type HttpApiOptions } from "./http.js";
export { SequencerMetrics } from "./metrics.js";
export {
  type BatchState,
  DEFAULT_SETTINGS,
  type NodeKeys,
  type NodeParts,
  type NodeSettings,
  SequencerNode,
} from "./node.js";
export { ENV_PREFIX, sequencerOptions } from "./options.js";
export { HttpPeers, type PeerTransport } from "./peers.js";
export {
  type SequencerConfig,
  type SequencerConfigInput,
  type SequencerDeps,
  type SequencerHandle,
  sequencerService,
} from "./service.js";
export {
  type PendingRow,
  SequencerStore,
  type StoredApp,
  type StoredEntry,
  type StoreOptions,
} from "./store.js";
export { type BlsVerifier, CachingVerifier, InThreadBlsVerifier } from "./verifier.js";
export { WorkerBlsVerifier } from "./verify-pool.js";
