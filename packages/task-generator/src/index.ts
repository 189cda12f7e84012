export { UnknownQuorumError } from "./errors.js";
export {
  describeFailure,
  type FailureDescription,
  MissingTaskEventError,
  TaskTransactionRevertedError,
} from "./failure.js";
export type { TaskLoopStatus } from "./loop.js";
export { createTaskGeneratorMetrics, type TaskGeneratorMetrics } from "./metrics.js";
export { type Operands, randomOperand, randomOperands } from "./operands.js";
export {
  ENV_PREFIX,
  MAX_OPERAND_LIMIT,
  type TaskGeneratorConfig,
  type TaskGeneratorConfigInput,
  taskGeneratorOptions,
} from "./options.js";
export { type TaskGeneratorDeps, type TaskGeneratorHandle, taskGeneratorService } from "./service.js";
export { type CreatedTask, quorumNumbersBytes, submitTask } from "./submit.js";
export { resolveTaskTarget, type TaskTarget } from "./target.js";
