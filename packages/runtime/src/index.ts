export {
  accountFromPrivateKey,
  type ChainClientOptions,
  connectChain,
  type ReadClient,
  RpcUnreachableError,
  type WriteClient,
  walletFor,
} from "./chain.js";
export {
  addOptions,
  type ConfigOf,
  envNameFor,
  type OptionSpec,
  type OptionSpecs,
  redactConfig,
  resolveConfig,
  resolveConfigValues,
} from "./config.js";
export { formatDuration, parseDuration } from "./duration.js";
export { ConfigError } from "./errors.js";
export { describeFailure, type FailureDescription, type FailureReason } from "./failure.js";
export {
  createLogger,
  LOG_LEVELS,
  type LogFormat,
  type Logger,
  type LogLevel,
  loggingOptions,
} from "./logger.js";
export { Counter, createMetricsRegistry, Gauge, Histogram, Registry } from "./metrics.js";
export { type HealthReport, listen, type RunningServer, startOpsServer } from "./ops-server.js";
export { opt } from "./schemas.js";
export {
  type EcdsaSignerConfig,
  ecdsaSignerOptions,
  loadConfiguredSigner,
  metricsAddress,
  metricsAddressOption,
  positiveDuration,
  rpcUrlOption,
  signerOptionNames,
  taskManagerLocationOptions,
} from "./service-options.js";
export { Shutdown, sleep } from "./shutdown.js";
export {
  ConflictingSignerSourcesError,
  type EcdsaKeystoreJson,
  encryptEcdsaKeystore,
  InvalidKeystoreError,
  InvalidPrivateKeyError,
  loadSigner,
  MissingKeystorePasswordError,
  NoSignerError,
  SignerError,
  SignerFileUnreadableError,
  type SignerOptionNames,
  type SignerSource,
  WrongKeystorePasswordError,
} from "./signer.js";
