import { aggregateG1, type G1Point, G2, signDigest, verifySignature } from "@avskit/bls";
import {
  type G1Json,
  g1FromJson,
  g1ToJson,
  hasQuorumStake,
  memberById,
  type Network,
} from "@avskit/sequencer-protocol";
import { encodeAbiParameters, type Hex, keccak256, toBytes } from "viem";
import { z } from "zod";

/** A liveness state an event moves an operator to. */
export type Liveness = "up" | "down";

/**
 * What confirmers sign: operator `subject` is in `state`, seen at `observedAt` (ms since the Unix
 * epoch), which falls in epoch `epoch`. The asker proposes the time; every confirmer signs the
 * same statement, so their BN254 signatures aggregate into one.
 */
export interface Statement {
  readonly subject: Hex;
  readonly state: Liveness;
  readonly observedAt: number;
  readonly epoch: number;
}

/** A confirmed statement as it travels through the sequencer (one batch body, JSON). */
export interface DowntimeEvent extends Statement {
  readonly type: typeof EVENT_TYPE;
  /** The network (stake snapshot) the signers' stake is counted in. */
  readonly snapshotId: Hex;
  /** On a network read from the registries: the block whose stakes count (its snapshot is `snapshotId`). */
  readonly referenceBlock?: number | undefined;
  /** Members that did not sign, strictly ascending. */
  readonly nonSigners: readonly Hex[];
  readonly signature: G1Json;
}

export const EVENT_TYPE = "avskit.downtime.event.v1";

/** Separates these statements from every other message the operators' keys sign (votes, tasks). */
export const STATEMENT_TAG: Hex = keccak256(toBytes("avskit.downtime.statement.v1"));

const UINT64_MAX = 2 ** 53 - 1;

/**
 * keccak256(abi.encode(STATEMENT_TAG, snapshotId, subject, uint8 state (1 = down, 0 = up),
 * uint64 observedAt, uint64 epoch)): bound to the network, so a statement signed for one operator
 * set is not one of another.
 */
export function statementDigest(snapshotId: Hex, statement: Statement): Hex {
  if (!Number.isSafeInteger(statement.observedAt) || statement.observedAt < 0)
    throw new RangeError("observedAt must be a whole number of milliseconds ≥ 0");
  if (!Number.isSafeInteger(statement.epoch) || statement.epoch < 0)
    throw new RangeError("epoch must be a whole number ≥ 0");
  return keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "uint8" },
        { type: "uint64" },
        { type: "uint64" },
      ],
      [
        STATEMENT_TAG,
        snapshotId,
        statement.subject,
        statement.state === "down" ? 1 : 0,
        BigInt(statement.observedAt),
        BigInt(statement.epoch),
      ],
    ),
  );
}

export function signStatement(secretKey: bigint, snapshotId: Hex, statement: Statement): G1Point {
  return signDigest(secretKey, statementDigest(snapshotId, statement));
}

/** Whether `share` is member `operatorId`'s signature of the statement (false for a non-member). */
export function verifyStatementShare(
  network: Network,
  statement: Statement,
  operatorId: Hex,
  share: G1Point,
): boolean {
  const member = memberById(network, operatorId);
  if (member === undefined) return false;
  return verifySignature(member.pubkeyG2, statementDigest(network.snapshotId, statement), share);
}

/**
 * The event from verified shares, or undefined while their signers' stake is below the network's
 * threshold: stake decides, never the number of signers.
 */
export function buildEvent(
  network: Network,
  statement: Statement,
  shares: ReadonlyMap<Hex, G1Point>,
): DowntimeEvent | undefined {
  let stake = 0n;
  const signed: G1Point[] = [];
  const signers = new Set<Hex>();
  for (const [id, share] of shares) {
    const member = memberById(network, id);
    if (member === undefined || signers.has(member.operatorId)) continue;
    signers.add(member.operatorId);
    signed.push(share);
    stake += member.stake;
  }
  if (!hasQuorumStake(network, stake)) return undefined;
  return {
    type: EVENT_TYPE,
    subject: statement.subject,
    state: statement.state,
    observedAt: statement.observedAt,
    epoch: statement.epoch,
    snapshotId: network.snapshotId,
    ...(network.snapshot.kind === "chain" ? { referenceBlock: network.snapshot.referenceBlock } : {}),
    nonSigners: network.members.filter((m) => !signers.has(m.operatorId)).map((m) => m.operatorId),
    signature: g1ToJson(aggregateG1(signed)),
  };
}

const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected 0x and 64 hex digits")
  .transform((s) => s.toLowerCase() as Hex);
const uintString = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, "expected a decimal unsigned integer");

const eventSchema = z.strictObject({
  type: z.literal(EVENT_TYPE),
  subject: bytes32,
  state: z.enum(["up", "down"]),
  observedAt: z.number().int().min(0).max(UINT64_MAX),
  epoch: z.number().int().min(0).max(UINT64_MAX),
  snapshotId: bytes32,
  referenceBlock: z.number().int().min(0).max(0xffff_ffff).optional(),
  nonSigners: z.array(bytes32).max(10_000),
  signature: z.strictObject({ X: uintString, Y: uintString }),
});

export type ParsedEvent = { ok: true; event: DowntimeEvent } | { ok: false; problem: string };

/** The event in a JSON value, or what is wrong with it (for the refusal's detail). */
export function parseEvent(json: unknown): ParsedEvent {
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, problem: `${issue?.path.join(".") || "event"}: ${issue?.message ?? "invalid"}` };
  }
  return { ok: true, event: parsed.data };
}

/** Σ pkG2 of every member, cached per network: the signers' key is that minus the non-signers'. */
const totalKeys = new WeakMap<Network, ReturnType<typeof G2.ZERO.add>>();

export type SignatureCheck =
  | { ok: true; signerStake: bigint }
  | {
      ok: false;
      reason: "UNKNOWN_NON_SIGNER" | "UNSORTED_NON_SIGNERS" | "BELOW_THRESHOLD" | "BAD_SIGNATURE";
    };

/** The stake part of an event's check (no pairing): who signed and whether they reach the threshold. */
export function checkSigners(network: Network, event: DowntimeEvent): SignatureCheck {
  let nonSignerStake = 0n;
  let previous: Hex | undefined;
  for (const id of event.nonSigners) {
    const member = memberById(network, id);
    if (member === undefined) return { ok: false, reason: "UNKNOWN_NON_SIGNER" };
    if (previous !== undefined && previous >= member.operatorId)
      return { ok: false, reason: "UNSORTED_NON_SIGNERS" };
    previous = member.operatorId;
    nonSignerStake += member.stake;
  }
  const signerStake = network.totalStake - nonSignerStake;
  if (!hasQuorumStake(network, signerStake)) return { ok: false, reason: "BELOW_THRESHOLD" };
  return { ok: true, signerStake };
}

/** One pairing check: the aggregate verifies for the signers' summed key. */
export function verifyEventSignature(network: Network, event: DowntimeEvent): boolean {
  let total = totalKeys.get(network);
  if (total === undefined) {
    total = network.members.reduce((sum, m) => sum.add(m.pubkeyG2), G2.ZERO);
    totalKeys.set(network, total);
  }
  let key = total;
  for (const id of event.nonSigners) key = key.subtract(memberById(network, id)!.pubkeyG2);
  if (key.is0()) return false;
  let signature: G1Point;
  try {
    signature = g1FromJson(event.signature);
  } catch {
    return false;
  }
  return verifySignature(key, statementDigest(network.snapshotId, event), signature);
}
