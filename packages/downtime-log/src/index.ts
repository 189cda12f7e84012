export { type EpochAnswer, epochSummary, type OperatorEpochAnswer, operatorEpoch } from "./answers.js";
export { type CheckContext, type Decision, decide } from "./check.js";
export { DowntimeDb, type EventRow, type Position, type RefusalRow } from "./db.js";
export { EjectError, type EjectParameters, type EjectReturnType, ejectForDowntime } from "./eject.js";
export { EJECT_ENV_PREFIX, ejectMain, ejectOptions } from "./eject-cli-main.js";
export { DEFAULT_EPOCHS, type EpochConfig, epochBounds, epochOf } from "./epochs.js";
export { DowntimeMetrics } from "./metrics.js";
export {
  type NetworkSource,
  type RegistrySourceOptions,
  type Resolution,
  referenceBlockOf,
  registrySource,
  type SnapshotRef,
  staticSource,
} from "./networks.js";
export { downtimeOptions, ENV_PREFIX } from "./options.js";
export { probe, SuspicionTracker } from "./probe.js";
export { type QueryIo, queryMain } from "./query.js";
export { DECLINES, type DeclineReason, REFUSALS, type RefusalReason } from "./refusals.js";
export {
  answerReport,
  type DowntimeReport,
  parseReport,
  REPORT_TYPEHASH,
  type ReportReply,
  reportDigest,
} from "./report.js";
export { DOWNTIME_APP, type DowntimeConfig, type DowntimeHandle, downtimeService } from "./service.js";
export {
  buildEvent,
  checkSigners,
  type DowntimeEvent,
  EVENT_TYPE,
  type Liveness,
  parseEvent,
  STATEMENT_TAG,
  type Statement,
  signStatement,
  statementDigest,
  verifyEventSignature,
  verifyStatementShare,
} from "./statement.js";
export { CONFIRM_PATH, type ConfirmReply, type ConfirmRequest, parseConfirmRequest } from "./watcher.js";
