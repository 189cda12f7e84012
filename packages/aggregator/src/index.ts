export {
  type AcceptedResponse,
  Aggregator,
  type AggregatorOptions,
  type AggregatorSnapshot,
  type TaskEvent,
} from "./aggregator.js";
export {
  BatcherClosedError,
  BatcherFullError,
  type BatcherOptions,
  type BatcherStatus,
  type BatchReport,
  type PendingSignature,
  type SameMessageBatchVerifier,
  type Verdict,
  VerificationBatcher,
  type VerifiedSet,
  type VerifyItem,
} from "./batcher.js";
export { type AvsContracts, discoverContracts, quorumBytes } from "./chain/contracts.js";
export { ChainOperatorDirectory } from "./chain/operator-directory.js";
export { ChainOperatorStates } from "./chain/operator-states.js";
export { ChainSubmitter } from "./chain/submitter.js";
export { type OnChainTask, TaskWatcher, taskInfoFromEvent } from "./chain/task-events.js";
export { AggregatorUnavailableError } from "./errors.js";
export { verifyAggregateFirstOfSameMessage, verifyBatchOfSameMessage } from "./fast-verifier.js";
export { buildHttpApi } from "./http.js";
export { AggregatorMetrics } from "./metrics.js";
export { verifyEachSignature } from "./naive-verifier.js";
export type { OperatorRecord, OperatorState, OperatorStateProvider } from "./operator-state.js";
export { aggregatorOptions, ENV_PREFIX } from "./options.js";
export {
  type AggregatorConfig,
  type AggregatorConfigInput,
  type AggregatorDeps,
  type AggregatorHandle,
  aggregatorService,
  NotAnAggregatorError,
} from "./service.js";
export { type OperatorDirectory, SessionStore, type SessionStoreOptions } from "./sessions.js";
export { type ResponseSubmitter, SubmissionFailedError, type SubmitResult } from "./submitter.js";
export type { TaskInfo } from "./task.js";
export { type Submission, TaskAggregation, type TaskStatus } from "./task-aggregation.js";
export {
  type BatchOutcome,
  InThreadVerifier,
  type VerificationPool,
  VerifierPoolClosedError,
  VerifierWorkerError,
  WorkerVerifierPool,
} from "./verifier-pool.js";
export type { GroupVerdict } from "./verify-protocol.js";
