export { type AvsContracts, type ContractSource, resolveAvsContracts } from "./chain/contracts.js";
export {
  type ContractCall,
  type DecodedRevert,
  decodeRevert,
  sendTransaction,
} from "./chain/transactions.js";
export { type CliIo, processIo, toJson } from "./cli/io.js";
export { buildProgram, EXIT, runCli } from "./cli/program.js";
export {
  fundOperator,
  type ProvisionedOperator,
  type ProvisionOperatorOptions,
  provisionDevnetOperator,
} from "./devnet/provision.js";
export * from "./errors.js";
export {
  type BlsKeyInfo,
  createBlsKey,
  importBlsKeyFile,
  importBlsSecretKey,
  loadBlsKey,
  type NewKeyOptions,
  parseBlsSecretKey,
  peekBlsKey,
  showBlsKey,
} from "./keys/bls-keys.js";
export {
  createEcdsaKey,
  type EcdsaKeyInfo,
  importEcdsaKeyFile,
  importEcdsaPrivateKey,
  loadEcdsaKey,
  type NewEcdsaKeyOptions,
  parseEcdsaPrivateKey,
  peekEcdsaKey,
} from "./keys/ecdsa-keys.js";
export {
  defaultKeysDir,
  INSECURE_SCRYPT,
  KEY_FILE_SUFFIX,
  type KeyType,
  keyFilePath,
  resolveKeyFile,
} from "./keys/key-files.js";
export { isUnreadable, type KeyListEntry, listKeys, type UnreadableKey } from "./keys/list-keys.js";
export {
  type DeregisterOperatorOptions,
  type DeregisterOperatorResult,
  deregisterOperator,
} from "./registration/deregister.js";
export {
  bitmapOf,
  quorumNumbersFromBytes,
  quorumNumbersToBytes,
  quorumsInBitmap,
} from "./registration/quorums.js";
export {
  type Deposit,
  defaultStrategies,
  type RegisterOperatorOptions,
  type RegisterOperatorResult,
  registerOperator,
  underlyingToken,
} from "./registration/register.js";
export {
  type AvsRegistrationStatus,
  getOperatorStatus,
  type OperatorStatusReport,
  type QuorumStatus,
} from "./registration/status.js";
export type { EmitEvent, OperatorEvent, SkipReason } from "./run/events.js";
export {
  type FaultContext,
  type FaultKind,
  type FaultOptions,
  faulty,
  faultyRequestBody,
  misbehaves,
  REQUEST_KINDS,
  type RequestKind,
} from "./run/faults.js";
export { createOperatorMetrics, type OperatorMetrics } from "./run/metrics.js";
export {
  type OperatorConfig,
  type RetrySettings,
  type RunningOperator,
  startOperator,
} from "./run/operator.js";
export {
  type AggregatorSenderOptions,
  aggregatorSender,
  type PostOutcome,
  type ResponseSender,
} from "./run/sender.js";
export { type OperatorRunDeps, operatorRunService, runOptions } from "./run/service.js";
export { computeSum, type Task, wrongSum } from "./run/task.js";
export { TaskWatcher, type TaskWatcherOptions } from "./run/task-watcher.js";
