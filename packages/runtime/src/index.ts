export { AbortedError, abortable } from "./abortable.js";
export {
  accountFromPrivateKey,
  type ChainClientOptions,
  connectChain,
  type ReadClient,
  ReceiptWaitAbortedError,
  RpcUnreachableError,
  type WaitForReceiptOptions,
  type WriteClient,
  waitForReceipt,
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
  createHttpApp,
  DEFAULT_HTTP_LIMITS,
  defaultRefusalShape,
  type ErrorReply,
  HTTP_REFUSALS,
  type HttpAppOptions,
  type HttpLimits,
  type HttpRefusalKind,
  isRefusalError,
  type ListenOptions,
  listen,
  type Refusal,
  type RefusalError,
  type RefusalShape,
  type RunningServer,
} from "./http.js";
export {
  type CursorLogs,
  DEFAULT_MAX_LOG_RANGE,
  LogCursor,
  type LogCursorOptions,
  type LogRange,
} from "./log-cursor.js";
export {
  createLogger,
  LOG_LEVELS,
  type LogFormat,
  type Logger,
  type LogLevel,
  loggingOptions,
} from "./logger.js";
export {
  type BlsKeyConfig,
  blsKeyOptions,
  loadConfiguredBlsSecret,
  loadConfiguredEcdsaKey,
} from "./member-keys.js";
export { Counter, createMetricsRegistry, Gauge, Histogram, Registry } from "./metrics.js";
export { type HealthReport, startOpsServer } from "./ops-server.js";
export {
  type BackoffPolicy,
  backoffDelay,
  RetryAbortedError,
  type RetryEvent,
  type RetryOptions,
  retry,
} from "./retry.js";
export { opt } from "./schemas.js";
export {
  type CliIo,
  defineService,
  EXIT,
  type RunningService,
  runServiceCli,
  type Service,
  type ServiceConfig,
  type ServiceConfigInput,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceHandle,
  type ServiceKitOptions,
  type ServiceSpecs,
  type StartServiceOptions,
  type StopReport,
  serviceKitOptions,
} from "./service.js";
export {
  type EcdsaSignerConfig,
  ecdsaSignerOptions,
  type HttpLimitConfig,
  httpLimitOptions,
  httpLimitsOf,
  loadConfiguredSigner,
  metricsAddress,
  metricsAddressOption,
  pollIntervalOption,
  positiveDuration,
  readOptionFile,
  registryNetworkOptions,
  rpcUrlOption,
  signerOptionNames,
  taskManagerLocationOptions,
  txTimeoutOption,
} from "./service-options.js";
export { Shutdown, type ShutdownOutcome, signalExitCode, sleep } from "./shutdown.js";
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
export { quietSqliteWarning } from "./sqlite-warning.js";
export type { RateLimit } from "./token-bucket.js";
