export { Cluster, ClusterNode, type ClusterOptions, type NodeState, sequencerCliPath } from "./cluster.js";
export { ClusterError, InvariantViolationError, SequencerE2eError } from "./errors.js";
export { getJson, type JsonReply, postJson, sleep } from "./http.js";
export { type CheckedNodes, InvariantChecker, type InvariantCheckerOptions } from "./invariants.js";
export { Load, type LoadOptions, newBatch, type OutgoingBatch, postBatches } from "./load.js";
export { PeerProxy } from "./peer-proxy.js";
export { freePort } from "./ports.js";
