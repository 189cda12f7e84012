export { type ChallengeResult, ChallengeRevertedError, sendChallenge } from "./challenge.js";
export { ResponseChecker, type Settlement } from "./checker.js";
export { ChallengeNotSentError, NonSignersUnavailableError, TaskNotFoundError } from "./errors.js";
export { describeFailure, type FailureDescription, type FailureReason } from "./failure.js";
export { ChallengeLoop, type ChallengerStatus } from "./loop.js";
export { type ChallengerMetrics, createChallengerMetrics } from "./metrics.js";
export { type RecoveredNonSigners, recoverNonSigners } from "./non-signers.js";
export {
  type ChallengerConfig,
  type ChallengerConfigInput,
  challengerOptions,
  ENV_PREFIX,
} from "./options.js";
export { type G1Point, operatorIdOf, signatoryRecordHash } from "./record-hash.js";
export {
  type RespondedTask,
  ResponseScanner,
  type TaskResponse,
  type TaskResponseMetadata,
} from "./scanner.js";
export { type ChallengerDeps, type ChallengerHandle, challengerService } from "./service.js";
export { type ChallengeTarget, resolveChallengeTarget } from "./target.js";
export { type Task, TaskLookup } from "./task-lookup.js";
