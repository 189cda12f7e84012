import type { G1Point } from "@avskit/bls";
import type { Address, Hex } from "viem";
import { getAddress, isAddress } from "viem";
import { z } from "zod";
import type { Certificate, VoteKind } from "./certificate.js";
import { SequencerProtocolError, WireFormatError } from "./errors.js";
import { isAppName } from "./log.js";
import { createNetwork, type Member, type Network, type Snapshot } from "./network.js";
import {
  type G1Json,
  type G2Json,
  g1FromJson,
  g1Json,
  g1ToJson,
  g2FromJson,
  g2Json,
  g2ToJson,
} from "./points.js";
import type { TipStatement, ViewChangeVote } from "./statements.js";

// ---------------------------------------------------------------------------------------------
// Field schemas. Every codec parses JSON (already JSON.parse'd: `unknown`) with zod, then builds
// the typed value; a failure anywhere throws WireFormatError naming the field's JSON path.

const UINT64_MAX = (1n << 64n) - 1n;
const uint64 = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,19})$/, "expected a decimal uint64 string")
  // zod runs refinements even after a failed regex: only compare what is a number.
  .refine((s) => !/^[0-9]+$/.test(s) || BigInt(s) <= UINT64_MAX, "exceeds uint64");
const uint256 = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, "expected a decimal integer string");
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected 32 bytes of 0x hex");
const hex16 = z.string().regex(/^0x[0-9a-fA-F]{32}$/, "expected 16 bytes of 0x hex");
const signature65 = z.string().regex(/^0x[0-9a-fA-F]{130}$/, "expected a 65-byte 0x-hex signature");
const appName = z.string().refine(isAppName, "expected an app name (^[a-z0-9][a-z0-9-]{0,62}$)");
const base64 = z
  .string()
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, "expected standard base64");
const address = z.string().refine((s) => isAddress(s, { strict: false }), "expected an address");
const voteKind = z.enum(["lock", "finalize"]);

const lower = (s: string) => s.toLowerCase() as Hex;
const b64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

function pathOf(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

function parse<S extends z.ZodType>(schema: S, json: unknown, at: string): z.output<S> {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new WireFormatError(pathOf(at, issue.path), issue.message);
}

function join(at: string, field: string): string {
  return at === "" ? field : `${at}.${field}`;
}

function point(json: G1Json, at: string): G1Point {
  try {
    return g1FromJson(json);
  } catch (error) {
    throw new WireFormatError(at, (error as Error).message);
  }
}

// ---------------------------------------------------------------------------------------------
// Certificate

export interface CertificateJson {
  kind: VoteKind;
  app: string;
  term: string;
  index: string;
  chainHash: Hex;
  snapshotId: Hex;
  nonSigners: Hex[];
  signature: G1Json;
}

const certificateSchema = z.object({
  kind: voteKind,
  app: appName,
  term: uint64,
  index: uint64,
  chainHash: bytes32,
  snapshotId: bytes32,
  nonSigners: z.array(bytes32),
  signature: g1Json,
});

export function certificateToJson(cert: Certificate): CertificateJson {
  return {
    kind: cert.kind,
    app: cert.app,
    term: cert.term.toString(),
    index: cert.index.toString(),
    chainHash: cert.chainHash,
    snapshotId: cert.snapshotId,
    nonSigners: [...cert.nonSigners],
    signature: g1ToJson(cert.signature),
  };
}

/** Checks the shape and that the signature is a G1 point, not that the certificate is valid. */
export function certificateFromJson(json: unknown, at = ""): Certificate {
  const c = parse(certificateSchema, json, at);
  return {
    kind: c.kind,
    app: c.app,
    term: BigInt(c.term),
    index: BigInt(c.index),
    chainHash: lower(c.chainHash),
    snapshotId: lower(c.snapshotId),
    nonSigners: c.nonSigners.map(lower),
    signature: point(c.signature, join(at, "signature")),
  };
}

function nullableCertificateToJson(cert: Certificate | null | undefined): CertificateJson | null {
  return cert == null ? null : certificateToJson(cert);
}

function nullableCertificateFromJson(json: unknown, at: string): Certificate | null {
  return json === null ? null : certificateFromJson(json, at);
}

// ---------------------------------------------------------------------------------------------
// Statements

export interface TipStatementJson {
  term: string;
  app: string;
  index: string;
  chainHash: Hex;
  signature: Hex;
}

const tipStatementSchema = z.object({
  term: uint64,
  app: appName,
  index: uint64,
  chainHash: bytes32,
  signature: signature65,
});

export function tipStatementToJson(st: TipStatement): TipStatementJson {
  return {
    term: st.term.toString(),
    app: st.app,
    index: st.index.toString(),
    chainHash: st.chainHash,
    signature: st.signature,
  };
}

export function tipStatementFromJson(json: unknown, at = ""): TipStatement {
  const s = parse(tipStatementSchema, json, at);
  return {
    term: BigInt(s.term),
    app: s.app,
    index: BigInt(s.index),
    chainHash: lower(s.chainHash),
    signature: lower(s.signature),
  };
}

export interface ViewChangeVoteJson {
  newTerm: string;
  from: Hex;
  locks: Record<string, CertificateJson | null>;
  /** Absent when the voter names no new operator set. */
  next?: Hex;
  signature: Hex;
}

const locksSchema = z.record(appName, z.unknown());
const viewChangeVoteSchema = z.object({
  newTerm: uint64,
  from: bytes32,
  locks: locksSchema,
  next: bytes32.optional(),
  signature: signature65,
});

function locksToJson(
  locks: Readonly<Record<string, Certificate | null>>,
): Record<string, CertificateJson | null> {
  const out: Record<string, CertificateJson | null> = {};
  for (const [app, lock] of Object.entries(locks)) out[app] = nullableCertificateToJson(lock);
  return out;
}

function locksFromJson(json: Record<string, unknown>, at: string): Record<string, Certificate | null> {
  const out: Record<string, Certificate | null> = {};
  for (const [app, lock] of Object.entries(json)) out[app] = nullableCertificateFromJson(lock, join(at, app));
  return out;
}

export function viewChangeVoteToJson(vote: ViewChangeVote): ViewChangeVoteJson {
  return {
    newTerm: vote.newTerm.toString(),
    from: vote.from,
    locks: locksToJson(vote.locks),
    ...(vote.next === null ? {} : { next: vote.next }),
    signature: vote.signature,
  };
}

export function viewChangeVoteFromJson(json: unknown, at = ""): ViewChangeVote {
  const v = parse(viewChangeVoteSchema, json, at);
  return {
    newTerm: BigInt(v.newTerm),
    from: lower(v.from),
    locks: locksFromJson(v.locks, join(at, "locks")),
    next: v.next === undefined ? null : lower(v.next),
    signature: lower(v.signature),
  };
}

// ---------------------------------------------------------------------------------------------
// Client API: POST /v1/apps/:app/batches

export interface SubmitBatch {
  /** 16 bytes; the node picks one when absent. Re-sending the same id sequences it once. */
  id?: Hex;
  body: Uint8Array;
}
export interface SubmitBatchesRequest {
  batches: SubmitBatch[];
}
export interface SubmitBatchesRequestJson {
  batches: { id?: Hex; body: string }[];
}

const submitBatchesRequestSchema = z.object({
  batches: z.array(z.object({ id: hex16.optional(), body: base64 })),
});

export function submitBatchesRequestToJson(request: SubmitBatchesRequest): SubmitBatchesRequestJson {
  return {
    batches: request.batches.map((b) =>
      b.id === undefined ? { body: b64(b.body) } : { id: b.id, body: b64(b.body) },
    ),
  };
}

export function submitBatchesRequestFromJson(json: unknown): SubmitBatchesRequest {
  const r = parse(submitBatchesRequestSchema, json, "");
  return {
    batches: r.batches.map((b) =>
      b.id === undefined ? { body: unb64(b.body) } : { id: lower(b.id), body: unb64(b.body) },
    ),
  };
}

export interface SubmitBatchesResponse {
  ids: Hex[];
}
const submitBatchesResponseSchema = z.object({ ids: z.array(hex16) });

export function submitBatchesResponseToJson(response: SubmitBatchesResponse): SubmitBatchesResponse {
  return { ids: [...response.ids] };
}

export function submitBatchesResponseFromJson(json: unknown): SubmitBatchesResponse {
  return { ids: parse(submitBatchesResponseSchema, json, "").ids.map(lower) };
}

// ---------------------------------------------------------------------------------------------
// Client API: GET /v1/apps/:app/batches?after=N&limit=M&wait=ms

export interface FinalizedBatch {
  index: bigint;
  id: Hex;
  body: Uint8Array;
}

/**
 * Final batches (after, finality.index] of one app, with the chaining hash they start from, so
 * the reader recomputes the chain to finality.chainHash and checks the certificate.
 */
export interface FinalizedPage {
  app: string;
  after: bigint;
  /** h_after: genesisHash(app) for after = 0. */
  prevChainHash: Hex;
  batches: FinalizedBatch[];
  finality: Certificate | null;
  lastFinalized: bigint;
}

export interface FinalizedPageJson {
  app: string;
  after: string;
  prevChainHash: Hex;
  batches: { index: string; id: Hex; body: string }[];
  finality: CertificateJson | null;
  lastFinalized: string;
}

const finalizedPageSchema = z.object({
  app: appName,
  after: uint64,
  prevChainHash: bytes32,
  batches: z.array(z.object({ index: uint64, id: hex16, body: base64 })),
  finality: z.unknown().refine((v) => v !== undefined, "required (null when nothing is final)"),
  lastFinalized: uint64,
});

export function finalizedPageToJson(page: FinalizedPage): FinalizedPageJson {
  return {
    app: page.app,
    after: page.after.toString(),
    prevChainHash: page.prevChainHash,
    batches: page.batches.map((b) => ({ index: b.index.toString(), id: b.id, body: b64(b.body) })),
    finality: nullableCertificateToJson(page.finality),
    lastFinalized: page.lastFinalized.toString(),
  };
}

export function finalizedPageFromJson(json: unknown): FinalizedPage {
  const p = parse(finalizedPageSchema, json, "");
  return {
    app: p.app,
    after: BigInt(p.after),
    prevChainHash: lower(p.prevChainHash),
    batches: p.batches.map((b) => ({ index: BigInt(b.index), id: lower(b.id), body: unb64(b.body) })),
    finality: nullableCertificateFromJson(p.finality, "finality"),
    lastFinalized: BigInt(p.lastFinalized),
  };
}

// ---------------------------------------------------------------------------------------------
// Client API: GET /v1/apps/:app/ids/:id?wait=ms

export type BatchState = "pending" | "sequenced" | "finalized" | "unknown";

export interface BatchStatus {
  id: Hex;
  state: BatchState;
  index?: bigint;
}
export interface BatchStatusJson {
  id: Hex;
  state: BatchState;
  index?: string;
}

const batchStatusSchema = z.object({
  id: hex16,
  state: z.enum(["pending", "sequenced", "finalized", "unknown"]),
  index: uint64.optional(),
});

export function batchStatusToJson(status: BatchStatus): BatchStatusJson {
  return status.index === undefined
    ? { id: status.id, state: status.state }
    : { id: status.id, state: status.state, index: status.index.toString() };
}

export function batchStatusFromJson(json: unknown): BatchStatus {
  const s = parse(batchStatusSchema, json, "");
  return s.index === undefined
    ? { id: lower(s.id), state: s.state }
    : { id: lower(s.id), state: s.state, index: BigInt(s.index) };
}

// ---------------------------------------------------------------------------------------------
// Client API: GET /v1/apps/:app/finalized

export interface FinalizedTip {
  index: bigint;
  chainHash: Hex;
  finality: Certificate | null;
}
export interface FinalizedTipJson {
  index: string;
  chainHash: Hex;
  finality: CertificateJson | null;
}

const finalizedTipSchema = z.object({
  index: uint64,
  chainHash: bytes32,
  finality: z.unknown().refine((v) => v !== undefined, "required (null when nothing is final)"),
});

export function finalizedTipToJson(tip: FinalizedTip): FinalizedTipJson {
  return {
    index: tip.index.toString(),
    chainHash: tip.chainHash,
    finality: nullableCertificateToJson(tip.finality),
  };
}

export function finalizedTipFromJson(json: unknown): FinalizedTip {
  const t = parse(finalizedTipSchema, json, "");
  return {
    index: BigInt(t.index),
    chainHash: lower(t.chainHash),
    finality: nullableCertificateFromJson(t.finality, "finality"),
  };
}

// ---------------------------------------------------------------------------------------------
// Client API: GET /v1/state

export interface AppProgress {
  sequenced: bigint;
  locked: bigint;
  finalized: bigint;
}
export interface NodeState {
  node: Hex;
  term: bigint;
  leader: Hex;
  ready: boolean;
  snapshotId: Hex;
  apps: Record<string, AppProgress>;
}
export interface NodeStateJson {
  node: Hex;
  term: string;
  leader: Hex;
  ready: boolean;
  snapshotId: Hex;
  apps: Record<string, { sequenced: string; locked: string; finalized: string }>;
}

const nodeStateSchema = z.object({
  node: bytes32,
  term: uint64,
  leader: bytes32,
  ready: z.boolean(),
  snapshotId: bytes32,
  apps: z.record(appName, z.object({ sequenced: uint64, locked: uint64, finalized: uint64 })),
});

export function nodeStateToJson(state: NodeState): NodeStateJson {
  const apps: NodeStateJson["apps"] = {};
  for (const [app, p] of Object.entries(state.apps)) {
    apps[app] = {
      sequenced: p.sequenced.toString(),
      locked: p.locked.toString(),
      finalized: p.finalized.toString(),
    };
  }
  return {
    node: state.node,
    term: state.term.toString(),
    leader: state.leader,
    ready: state.ready,
    snapshotId: state.snapshotId,
    apps,
  };
}

export function nodeStateFromJson(json: unknown): NodeState {
  const s = parse(nodeStateSchema, json, "");
  const apps: Record<string, AppProgress> = {};
  for (const [app, p] of Object.entries(s.apps)) {
    apps[app] = { sequenced: BigInt(p.sequenced), locked: BigInt(p.locked), finalized: BigInt(p.finalized) };
  }
  return {
    node: lower(s.node),
    term: BigInt(s.term),
    leader: lower(s.leader),
    ready: s.ready,
    snapshotId: lower(s.snapshotId),
    apps,
  };
}

// ---------------------------------------------------------------------------------------------
// Client API: GET /v1/network

export type SnapshotJson =
  | {
      kind: "chain";
      chainId: number;
      registryCoordinator: Address;
      quorumNumber: number;
      referenceBlock: number;
    }
  | { kind: "static"; fileHash: Hex };

export interface MemberJson {
  operatorId: Hex;
  address: Address;
  stake: string;
  url: string;
  pubkeyG1: G1Json;
  pubkeyG2: G2Json;
}

export interface NetworkJson {
  snapshot: SnapshotJson;
  snapshotId: Hex;
  thresholdPercent: number;
  totalStake: string;
  members: MemberJson[];
}

const snapshotSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("chain"),
    chainId: z.number().int().positive(),
    registryCoordinator: address,
    quorumNumber: z.number().int().min(0).max(255),
    referenceBlock: z.number().int().min(0).max(0xffff_ffff),
  }),
  z.object({ kind: z.literal("static"), fileHash: bytes32 }),
]);

const networkSchema = z.object({
  snapshot: snapshotSchema,
  snapshotId: bytes32,
  thresholdPercent: z.number().int().min(1).max(100),
  totalStake: uint256,
  members: z.array(
    z.object({
      operatorId: bytes32,
      address,
      stake: uint256,
      url: z.string(),
      pubkeyG1: g1Json,
      pubkeyG2: g2Json,
    }),
  ),
});

export function networkToJson(network: Network): NetworkJson {
  return {
    snapshot: { ...network.snapshot },
    snapshotId: network.snapshotId,
    thresholdPercent: network.thresholdPercent,
    totalStake: network.totalStake.toString(),
    members: network.members.map((m) => ({
      operatorId: m.operatorId,
      address: m.address,
      stake: m.stake.toString(),
      url: m.url,
      pubkeyG1: g1ToJson(m.pubkeyG1),
      pubkeyG2: g2ToJson(m.pubkeyG2),
    })),
  };
}

/**
 * Rebuilds the network (keys checked on the curve and in the subgroup), and refuses one whose
 * stated snapshotId or totalStake is not what its snapshot and members give. This says the JSON
 * is self-consistent, not that it is the true network: compare snapshotId with one you trust.
 */
export function networkFromJson(json: unknown): Network {
  const n = parse(networkSchema, json, "");
  const members: Member[] = n.members.map((m, i) => {
    const at = `members[${i}]`;
    let pubkeyG2: Member["pubkeyG2"];
    try {
      pubkeyG2 = g2FromJson(m.pubkeyG2 as G2Json);
    } catch (error) {
      throw new WireFormatError(`${at}.pubkeyG2`, (error as Error).message);
    }
    return {
      operatorId: lower(m.operatorId),
      address: getAddress(m.address),
      pubkeyG1: point(m.pubkeyG1, `${at}.pubkeyG1`),
      pubkeyG2,
      stake: BigInt(m.stake),
      url: m.url,
    };
  });
  const snapshot: Snapshot =
    n.snapshot.kind === "chain"
      ? { ...n.snapshot, registryCoordinator: getAddress(n.snapshot.registryCoordinator) }
      : { kind: "static", fileHash: lower(n.snapshot.fileHash) };
  let network: Network;
  try {
    network = createNetwork(snapshot, members, n.thresholdPercent);
  } catch (error) {
    if (error instanceof SequencerProtocolError) throw new WireFormatError("members", error.message);
    throw error;
  }
  if (network.snapshotId !== lower(n.snapshotId)) {
    throw new WireFormatError("snapshotId", "is not the id of the snapshot given");
  }
  if (network.totalStake !== BigInt(n.totalStake)) {
    throw new WireFormatError("totalStake", "is not the sum of the members' stakes");
  }
  return network;
}

// ---------------------------------------------------------------------------------------------
// Peer bodies (authenticated routes). The library offers them so both ends of a peer route read
// one shape; PROTOCOL.md "Rounds" and "Leader change" say what they mean.

export interface LogEntry {
  id: Hex;
  body: Uint8Array;
}

/** POST /v1/peer/round */
export interface RoundRequest {
  app: string;
  term: bigint;
  prevIndex: bigint;
  prevHash: Hex;
  entries: LogEntry[];
  lockRequest: { index: bigint; chainHash: Hex };
  lockCertificate?: Certificate;
  finality?: Certificate;
  /** The leader's signed tip after these entries (what followers gossip to catch equivocation). */
  statement?: TipStatement;
}

export interface RoundRequestJson {
  app: string;
  term: string;
  prevIndex: string;
  prevHash: Hex;
  entries: { id: Hex; body: string }[];
  lockRequest: { index: string; chainHash: Hex };
  lockCertificate?: CertificateJson;
  finality?: CertificateJson;
  statement?: TipStatementJson;
}

const entrySchema = z.object({ id: hex16, body: base64 });
const roundRequestSchema = z.object({
  app: appName,
  term: uint64,
  prevIndex: uint64,
  prevHash: bytes32,
  entries: z.array(entrySchema),
  lockRequest: z.object({ index: uint64, chainHash: bytes32 }),
  lockCertificate: z.unknown().optional(),
  finality: z.unknown().optional(),
  statement: z.unknown().optional(),
});

export function roundRequestToJson(round: RoundRequest): RoundRequestJson {
  const json: RoundRequestJson = {
    app: round.app,
    term: round.term.toString(),
    prevIndex: round.prevIndex.toString(),
    prevHash: round.prevHash,
    entries: round.entries.map((e) => ({ id: e.id, body: b64(e.body) })),
    lockRequest: { index: round.lockRequest.index.toString(), chainHash: round.lockRequest.chainHash },
  };
  if (round.lockCertificate !== undefined) json.lockCertificate = certificateToJson(round.lockCertificate);
  if (round.finality !== undefined) json.finality = certificateToJson(round.finality);
  if (round.statement !== undefined) json.statement = tipStatementToJson(round.statement);
  return json;
}

export function roundRequestFromJson(json: unknown): RoundRequest {
  const r = parse(roundRequestSchema, json, "");
  const round: RoundRequest = {
    app: r.app,
    term: BigInt(r.term),
    prevIndex: BigInt(r.prevIndex),
    prevHash: lower(r.prevHash),
    entries: r.entries.map((e) => ({ id: lower(e.id), body: unb64(e.body) })),
    lockRequest: { index: BigInt(r.lockRequest.index), chainHash: lower(r.lockRequest.chainHash) },
  };
  if (r.lockCertificate !== undefined)
    round.lockCertificate = certificateFromJson(r.lockCertificate, "lockCertificate");
  if (r.finality !== undefined) round.finality = certificateFromJson(r.finality, "finality");
  if (r.statement !== undefined) round.statement = tipStatementFromJson(r.statement, "statement");
  return round;
}

export interface LogTip {
  index: bigint;
  chainHash: Hex;
}

/** The follower's answer to a round. */
export interface RoundReply {
  tip: LogTip;
  lockSignature?: G1Point;
  finalizeSignature?: G1Point;
}
export interface RoundReplyJson {
  tip: { index: string; chainHash: Hex };
  lockSignature?: G1Json;
  finalizeSignature?: G1Json;
}

const tipSchema = z.object({ index: uint64, chainHash: bytes32 });
const roundReplySchema = z.object({
  tip: tipSchema,
  lockSignature: g1Json.optional(),
  finalizeSignature: g1Json.optional(),
});

export function roundReplyToJson(reply: RoundReply): RoundReplyJson {
  const json: RoundReplyJson = { tip: { index: reply.tip.index.toString(), chainHash: reply.tip.chainHash } };
  if (reply.lockSignature !== undefined) json.lockSignature = g1ToJson(reply.lockSignature);
  if (reply.finalizeSignature !== undefined) json.finalizeSignature = g1ToJson(reply.finalizeSignature);
  return json;
}

export function roundReplyFromJson(json: unknown): RoundReply {
  const r = parse(roundReplySchema, json, "");
  const reply: RoundReply = { tip: { index: BigInt(r.tip.index), chainHash: lower(r.tip.chainHash) } };
  if (r.lockSignature !== undefined) reply.lockSignature = point(r.lockSignature, "lockSignature");
  if (r.finalizeSignature !== undefined)
    reply.finalizeSignature = point(r.finalizeSignature, "finalizeSignature");
  return reply;
}

export function logTipToJson(tip: LogTip): { index: string; chainHash: Hex } {
  return { index: tip.index.toString(), chainHash: tip.chainHash };
}

export function logTipFromJson(json: unknown, at = ""): LogTip {
  const t = parse(tipSchema, json, at);
  return { index: BigInt(t.index), chainHash: lower(t.chainHash) };
}

/** POST /v1/peer/forward and /v1/peer/dispute: pending batches handed to another node. */
export interface ForwardRequest {
  batches: { app: string; id: Hex; body: Uint8Array }[];
}
export interface ForwardRequestJson {
  batches: { app: string; id: Hex; body: string }[];
}

const forwardSchema = z.object({ batches: z.array(z.object({ app: appName, id: hex16, body: base64 })) });

export function forwardRequestToJson(request: ForwardRequest): ForwardRequestJson {
  return { batches: request.batches.map((b) => ({ app: b.app, id: b.id, body: b64(b.body) })) };
}

export function forwardRequestFromJson(json: unknown): ForwardRequest {
  return {
    batches: parse(forwardSchema, json, "").batches.map((b) => ({
      app: b.app,
      id: lower(b.id),
      body: unb64(b.body),
    })),
  };
}

/**
 * Where to get an operator set whose snapshot id a quorum voted for: a static network file's
 * text (its keccak256 is the snapshot's fileHash, so the text proves itself) or a chain snapshot
 * (the registries at its reference block say who the members are).
 */
export type NetworkDescriptor = { snapshot: Snapshot; text?: string };

const descriptorSchema = z.object({ snapshot: snapshotSchema, text: z.string().max(4_000_000).optional() });

function descriptorFromJson(d: z.infer<typeof descriptorSchema>): NetworkDescriptor {
  const snapshot: Snapshot =
    d.snapshot.kind === "chain"
      ? { ...d.snapshot, registryCoordinator: getAddress(d.snapshot.registryCoordinator) }
      : { kind: "static", fileHash: lower(d.snapshot.fileHash) };
  return d.text === undefined ? { snapshot } : { snapshot, text: d.text };
}

/** POST /v1/peer/new-view and GET /v1/peer/new-view. */
export interface NewView {
  term: bigint;
  votes: ViewChangeVote[];
  base: Record<string, Certificate | null>;
  /** The operator set the new term runs on, when a quorum of the votes named a new one. */
  next?: NetworkDescriptor;
  /**
   * With `next`: the set the votes are counted in (the term being left), so that a node that
   * joins on the new set can check the votes.
   */
  from?: NetworkDescriptor;
}
export interface NewViewJson {
  term: string;
  votes: ViewChangeVoteJson[];
  base: Record<string, CertificateJson | null>;
  next?: NetworkDescriptor;
  from?: NetworkDescriptor;
}

const newViewSchema = z.object({
  term: uint64,
  votes: z.array(z.unknown()),
  base: locksSchema,
  next: descriptorSchema.optional(),
  from: descriptorSchema.optional(),
});

function descriptorToJson(d: NetworkDescriptor): NetworkDescriptor {
  return d.text === undefined
    ? { snapshot: { ...d.snapshot } }
    : { snapshot: { ...d.snapshot }, text: d.text };
}

export function newViewToJson(view: NewView): NewViewJson {
  return {
    term: view.term.toString(),
    votes: view.votes.map(viewChangeVoteToJson),
    base: locksToJson(view.base),
    ...(view.next === undefined ? {} : { next: descriptorToJson(view.next) }),
    ...(view.from === undefined ? {} : { from: descriptorToJson(view.from) }),
  };
}

export function newViewFromJson(json: unknown): NewView {
  const v = parse(newViewSchema, json, "");
  return {
    term: BigInt(v.term),
    votes: v.votes.map((vote, i) => viewChangeVoteFromJson(vote, `votes[${i}]`)),
    base: locksFromJson(v.base, "base"),
    ...(v.next === undefined ? {} : { next: descriptorFromJson(v.next) }),
    ...(v.from === undefined ? {} : { from: descriptorFromJson(v.from) }),
  };
}

/** GET /v1/peer/log?app&after&limit: entries (after, after + limit] of the sender's log. */
export interface PeerLogPage {
  app: string;
  after: bigint;
  prevChainHash: Hex;
  entries: { index: bigint; id: Hex; body: Uint8Array }[];
}
export interface PeerLogPageJson {
  app: string;
  after: string;
  prevChainHash: Hex;
  entries: { index: string; id: Hex; body: string }[];
}

const peerLogPageSchema = z.object({
  app: appName,
  after: uint64,
  prevChainHash: bytes32,
  entries: z.array(z.object({ index: uint64, id: hex16, body: base64 })),
});

export function peerLogPageToJson(page: PeerLogPage): PeerLogPageJson {
  return {
    app: page.app,
    after: page.after.toString(),
    prevChainHash: page.prevChainHash,
    entries: page.entries.map((e) => ({ index: e.index.toString(), id: e.id, body: b64(e.body) })),
  };
}

export function peerLogPageFromJson(json: unknown): PeerLogPage {
  const p = parse(peerLogPageSchema, json, "");
  return {
    app: p.app,
    after: BigInt(p.after),
    prevChainHash: lower(p.prevChainHash),
    entries: p.entries.map((e) => ({ index: BigInt(e.index), id: lower(e.id), body: unb64(e.body) })),
  };
}
