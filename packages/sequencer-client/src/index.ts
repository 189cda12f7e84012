export { type BatchInput, bodyJson, bodyText, encodeBody, type JsonValue } from "./body.js";
export {
  type BatchesOptions,
  type ClientCounters,
  type ClientLogger,
  type FinalizedPoint,
  type LogFn,
  type SendOptions,
  type SendResult,
  SequencerClient,
  type SequencerClientEvent,
  type SequencerClientOptions,
} from "./client.js";
export {
  type NodeFailure,
  NodeRejectedError,
  NoHealthyNodeError,
  SendRefusedError,
  SendTimeoutError,
  SequencerClientError,
  VerificationError,
  type VerificationReason,
} from "./errors.js";
export type { FetchLike } from "./http.js";
export type { NodeState, NodeStatus } from "./nodes.js";
export { checkPage, type PageCheck, type VerifiedBatch } from "./verify.js";
