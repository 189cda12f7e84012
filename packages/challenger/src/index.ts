export { type ChallengeResult, ChallengeRevertedError, sendChallenge } from "./challenge.js";
export {
  type Challenger,
  type ChallengerDeps,
  type ChallengerStatus,
  startChallenger,
} from "./challenger.js";
export { ResponseChecker, type Settlement } from "./checker.js";
export { runChallengerCli } from "./cli-main.js";
export { NonSignersUnavailableError, TaskManagerNotDeployedError, TaskNotFoundError } from "./errors.js";
export { describeFailure, type FailureDescription, type FailureReason } from "./failure.js";
export { type ChallengerMetrics, createChallengerMetrics } from "./metrics.js";
export { type RecoveredNonSigners, recoverNonSigners } from "./non-signers.js";
export {
  type ChallengerConfig,
  type ChallengerConfigInput,
  challengerCommand,
  challengerOptionSpecs,
  ENV_PREFIX,
  resolveChallengerConfig,
} from "./options.js";
export { type G1Point, operatorIdOf, signatoryRecordHash } from "./record-hash.js";
export {
  type RespondedTask,
  ResponseScanner,
  type TaskResponse,
  type TaskResponseMetadata,
} from "./scanner.js";
export { type ChallengeTarget, resolveChallengeTarget } from "./target.js";
export { type Task, TaskLookup } from "./task-lookup.js";
