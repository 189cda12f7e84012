export { batchingClient, type StartTestAvsOptions, startTestAvs, type TestAvs } from "./avs.js";
export {
  buildCheckInput,
  type CheckInput,
  type CheckInputRequest,
  type NonSignerStakesAndSignature,
  type OperatorAtBlock,
  operatorsAtBlock,
  type QuorumStakeExpectation,
  signAll,
} from "./check-input.js";
export { type DeployDowntimeEjectorOptions, deployDowntimeEjector } from "./downtime-ejector.js";
export {
  IntegrationError,
  InvalidHelperInputError,
  TransactionRevertedError,
  UnexpectedChainStateError,
} from "./errors.js";
export {
  calldataGas,
  GAS_METER_ADDRESS,
  GAS_METER_RUNTIME,
  installGasMeter,
  MeasuredCallRevertedError,
  measureCallGas,
} from "./gas-meter.js";
export { captureLogs, type LogLine, readMetric, waitFor } from "./logs.js";
export {
  delegateFromNewStaker,
  depositStake,
  E18,
  newOperatorIdentity,
  type OperatorIdentity,
  type OperatorSpec,
  prepareOperators,
  quorumNumbersBytes,
  type RegistrationArgs,
  type RegistrationOptions,
  registerOperatorCallArgs,
  registerOperators,
  registerWithAvs,
  registrationArgs,
  type StakeAmount,
  sortedAddresses,
  strategyOf,
  type TestOperator,
} from "./operators.js";
export { type InstalledPackages, packAndInstall } from "./packaging.js";
export { type MainOutcome, type RunningCli, runCli, runMain } from "./process.js";
export { type RawHttpOptions, type RawHttpReply, rawHttp } from "./raw-http.js";
export { revertErrorArgs, revertErrorName } from "./revert.js";
export {
  type AnvilClient,
  anvilClient,
  type ChainClient,
  type SentTx,
  type TxCall,
  TxSender,
} from "./sender.js";
export {
  answeredTaskRecord,
  type CreatedTask,
  createTask,
  type RespondedTask,
  respondToTask,
  type Task,
  type TaskResponse,
  taskResponseDigest,
} from "./tasks.js";
export { TcpProxy } from "./tcp-proxy.js";
