export { chainFor, publicClientFor, readChainId, rpcUrlOf } from "./chain.js";
export { booleanFlag, buildDeployCommand, type CliIo, runDeployCli } from "./cli-program.js";
export {
  checkQuorums,
  DEFAULT_OPERATOR_SET_PARAMS,
  DEFAULT_QUORUMS,
  DEFAULT_TASK_CHALLENGE_WINDOW_BLOCKS,
  DEFAULT_TASK_RESPONSE_WINDOW_BLOCKS,
  type DeployConfig,
  loadQuorumFile,
  parseQuorumFile,
  type QuorumConfig,
  type QuorumConfigInput,
  quorumFileSchema,
  type RestakingConfig,
  type StrategyConfig,
} from "./config.js";
export {
  type DeployAndRecordOptions,
  type DeployAndRecordResult,
  type DeployAvsOptions,
  deployAndRecord,
  deployAvs,
} from "./deploy.js";
export { DEPLOYER_KEY_ENV, readDeployerKey } from "./deployer-key.js";
export {
  DeployError,
  DeploymentExistsError,
  DeployStepError,
  InvalidDeployConfigError,
  RpcUnreachableError,
  WrongChainError,
} from "./errors.js";
export {
  type ExistingDeployment,
  inspectExistingDeployment,
  recordedAddresses,
  writeDeployment,
} from "./existing.js";
export {
  type DeployedStrategy,
  deployRestakingStandIn,
  type RestakingStandIn,
  type StandInToken,
} from "./restaking.js";
export { formatDeploymentSummary } from "./summary.js";
export {
  callTx,
  deployTx,
  describeRevert,
  type MinedStep,
  type PlannedTx,
  TxRunner,
  type TxRunnerOptions,
} from "./tx.js";
