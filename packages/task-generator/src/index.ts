export { runTaskGeneratorCli } from "./cli-main.js";
export { TaskManagerNotDeployedError, UnknownQuorumError } from "./errors.js";
export {
  describeFailure,
  type FailureDescription,
  MissingTaskEventError,
  TaskTransactionRevertedError,
} from "./failure.js";
export { startTaskGenerator, type TaskGenerator, type TaskGeneratorDeps } from "./generator.js";
export type { TaskLoopStatus } from "./loop.js";
export { createTaskGeneratorMetrics, type TaskGeneratorMetrics } from "./metrics.js";
export { type Operands, randomOperand, randomOperands } from "./operands.js";
export {
  ENV_PREFIX,
  MAX_OPERAND_LIMIT,
  resolveTaskGeneratorConfig,
  type TaskGeneratorConfig,
  type TaskGeneratorConfigInput,
  taskGeneratorCommand,
  taskGeneratorOptionSpecs,
} from "./options.js";
export { type CreatedTask, quorumNumbersBytes, submitTask } from "./submit.js";
export { resolveTaskTarget, type TaskTarget } from "./target.js";
