export { runLocalAvsCli } from "./cli-main.js";
export {
  DashboardCollector,
  type DashboardCollectorOptions,
  type DashboardContracts,
  type DashboardOperator,
  type DashboardSequencerNode,
  type DashboardService,
} from "./dashboard/collector.js";
export {
  type DowntimeSource,
  type HttpDowntimeSourceOptions,
  httpDowntimeSource,
  notRunningDowntimeSource,
} from "./dashboard/downtime.js";
export type * from "./dashboard/model.js";
export {
  DashboardAssetsMissingError,
  type DashboardServer,
  type DashboardServerOptions,
  escapeHtml,
  type SnapshotSource,
  safeJson,
  startDashboardServer,
} from "./dashboard/server.js";
export {
  AnvilDiedError,
  LocalAvsError,
  PortInUseError,
  ServiceBinaryNotFoundError,
  ServiceDiedError,
  ServiceStartError,
} from "./errors.js";
export { EXIT, type LocalAvsHooks, type LocalAvsIo, type LocalAvsReady, runLocalAvs } from "./local-avs.js";
export {
  type LocalChain,
  type LocalRoles,
  type StartLocalChainOptions,
  startLocalChain,
} from "./local-chain.js";
export {
  type DevnetOperator,
  defaultOperatorPlan,
  type OperatorPlan,
  type ProvisionOperatorsOptions,
  provisionOperators,
  TOKEN,
} from "./operators.js";
export {
  ENV_PREFIX,
  type LocalAvsConfig,
  localAvsCommand,
  localAvsOptionSpecs,
  resolveLocalAvsConfig,
} from "./options.js";
export { defaultDevnetDir, displayPath, repoRoot, serviceBinary } from "./paths.js";
export { assertPortFree, freePort, LOCALHOST } from "./ports.js";
export {
  SEQUENCER_APP,
  type SequencerNode,
  SequencerWatch,
  sequencerService,
  sequencerUrl,
  writeSequencerNetwork,
} from "./sequencer.js";
export {
  childEnvironment,
  describeExit,
  type ServiceExit,
  ServiceProcess,
  type ServiceSpec,
  STOP_GRACE_MS,
} from "./service-process.js";
export {
  type AggregatorServiceOptions,
  type AvsSyncServiceOptions,
  aggregatorService,
  aggregatorUrl,
  avsSyncService,
  type ChainEndpoint,
  type ChallengerServiceOptions,
  challengerService,
  type OperatorServiceOptions,
  operatorService,
  type TaskGeneratorServiceOptions,
  taskGeneratorService,
} from "./services.js";
export { StakeDrift, type StakeDriftOptions } from "./stake-drift.js";
export { type StartOptions, Supervisor, type SupervisorOptions } from "./supervisor.js";
export {
  type ChainEvent,
  ChainWatcher,
  type ChainWatcherOptions,
  type OnChainTask,
  type WatchedContracts,
} from "./watch/chain-watcher.js";
export { formatPercent, formatTokens } from "./watch/format.js";
export {
  type KnownOperator,
  ProgressView,
  type ProgressViewOptions,
  stakeKey,
  type TaskRecord,
  type TaskResponseRecord,
} from "./watch/progress.js";
export {
  NotADirectResponseError,
  operatorIdOf,
  type QuorumSigning,
  quorumsOf,
  readSigning,
  type SigningContracts,
  type SigningReport,
} from "./watch/signing.js";
export { median, type RunSummary } from "./watch/stats.js";
