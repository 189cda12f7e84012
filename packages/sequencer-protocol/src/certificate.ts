import {
  aggregateG1,
  type G1Point,
  G2,
  type G2Point,
  g1ToSolidity,
  signDigest,
  verifySignature,
} from "@avskit/bls";
import { encodeAbiParameters, type Hex, keccak256, toBytes } from "viem";
import { CertificateError, type CertificateRejection } from "./errors.js";
import { compareHex, normalizeBytes32 } from "./hex.js";
import { hasQuorumStake, memberById, type Network } from "./network.js";

export type VoteKind = "lock" | "finalize";

/** A point of one app's log: its chaining hash at `index`, in leader term `term`. */
export interface VotePoint {
  app: string;
  term: bigint;
  index: bigint;
  chainHash: Hex;
}

/** An aggregate of members' BLS votes on one point; `nonSigners` sorted ascending, unique. */
export interface Certificate extends VotePoint {
  kind: VoteKind;
  snapshotId: Hex;
  nonSigners: readonly Hex[];
  signature: G1Point;
}

export const VOTE_DOMAINS: Readonly<Record<VoteKind, Hex>> = Object.freeze({
  lock: keccak256(toBytes("avskit.sequencer.lock.v1")),
  finalize: keccak256(toBytes("avskit.sequencer.finalize.v1")),
});

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * keccak256(abi.encode(domain(kind), keccak256(app), uint64 term, uint64 index, chainHash,
 * snapshotId)): the message members sign with signDigest, and the `msgHash` the on-chain
 * BLSSignatureChecker.checkSignatures takes.
 */
export function voteDigest(kind: VoteKind, point: VotePoint, snapshotId: Hex): Hex {
  if (point.term < 0n || point.term > UINT64_MAX || point.index < 0n || point.index > UINT64_MAX) {
    throw new RangeError("term and index must be uint64");
  }
  return keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "uint64" },
        { type: "uint64" },
        { type: "bytes32" },
        { type: "bytes32" },
      ],
      [
        VOTE_DOMAINS[kind],
        keccak256(toBytes(point.app)),
        point.term,
        point.index,
        point.chainHash,
        snapshotId,
      ],
    ),
  );
}

/** One member's share: σ = sk·hashToG1(voteDigest). */
export function signVote(secretKey: bigint, kind: VoteKind, point: VotePoint, snapshotId: Hex): G1Point {
  return signDigest(secretKey, voteDigest(kind, point, snapshotId));
}

/** Whether `share` is `operatorId`'s vote on the point (false for a non-member). One pairing check. */
export function verifyVoteShare(
  network: Network,
  kind: VoteKind,
  point: VotePoint,
  operatorId: Hex,
  share: G1Point,
): boolean {
  const member = memberById(network, operatorId);
  if (member === undefined) return false;
  return verifySignature(member.pubkeyG2, voteDigest(kind, point, network.snapshotId), share);
}

/**
 * Aggregates the members' shares into a certificate, or undefined when the members among the
 * shares' senders lack quorum by stake. Shares of non-members are ignored; shares are NOT
 * verified here (verify each with verifyVoteShare first, or the certificate built from an
 * aggregate, and bisect on failure).
 */
export function buildCertificate(
  network: Network,
  kind: VoteKind,
  point: VotePoint,
  shares: ReadonlyMap<Hex, G1Point>,
): Certificate | undefined {
  const signed = new Map<Hex, G1Point>();
  for (const [id, share] of shares) {
    const member = memberById(network, id);
    if (member !== undefined) signed.set(member.operatorId, share);
  }
  let stake = 0n;
  for (const id of signed.keys()) stake += memberById(network, id)!.stake;
  if (!hasQuorumStake(network, stake)) return undefined;
  return {
    kind,
    app: point.app,
    term: point.term,
    index: point.index,
    chainHash: point.chainHash,
    snapshotId: network.snapshotId,
    nonSigners: network.members.filter((m) => !signed.has(m.operatorId)).map((m) => m.operatorId),
    signature: aggregateG1([...signed.values()]),
  };
}

/** Σ of every member's G2 key, so a certificate's signers' key is that minus its few non-signers. */
const totalKeys = new WeakMap<Network, G2Point>();

function totalKeyG2(network: Network): G2Point {
  let total = totalKeys.get(network);
  if (total === undefined) {
    total = network.members.reduce((sum, m) => sum.add(m.pubkeyG2), G2.ZERO);
    totalKeys.set(network, total);
  }
  return total;
}

export type CertificateCheck = { ok: true } | { ok: false; reason: CertificateRejection };

/**
 * Whether `cert` is valid for `network`: same snapshot, non-signers strictly ascending members,
 * signers with quorum by stake, and e(H(digest), Σ signers' G2) = e(σ, G2). The cheap checks run
 * first, so only a well-formed certificate costs a pairing.
 */
export function checkCertificate(network: Network, cert: Certificate): CertificateCheck {
  if (cert.snapshotId.toLowerCase() !== network.snapshotId) return { ok: false, reason: "SNAPSHOT_MISMATCH" };
  let nonSignerStake = 0n;
  let nonSignerKey = G2.ZERO;
  let previous: Hex | undefined;
  for (const raw of cert.nonSigners) {
    const id = normalizeBytes32(raw);
    const member = id === undefined ? undefined : memberById(network, id);
    if (member === undefined) return { ok: false, reason: "UNKNOWN_NON_SIGNER" };
    if (previous !== undefined && compareHex(previous, member.operatorId) >= 0) {
      return { ok: false, reason: "UNSORTED_NON_SIGNERS" };
    }
    previous = member.operatorId;
    nonSignerStake += member.stake;
    nonSignerKey = nonSignerKey.add(member.pubkeyG2);
  }
  if (!hasQuorumStake(network, network.totalStake - nonSignerStake)) {
    return { ok: false, reason: "BELOW_THRESHOLD" };
  }
  let digest: Hex;
  try {
    digest = voteDigest(cert.kind, cert, network.snapshotId);
  } catch {
    return { ok: false, reason: "BAD_SIGNATURE" };
  }
  const signersKey = totalKeyG2(network).subtract(nonSignerKey);
  if (signersKey.is0() || !verifySignature(signersKey, digest, cert.signature)) {
    return { ok: false, reason: "BAD_SIGNATURE" };
  }
  return { ok: true };
}

/** checkCertificate, throwing CertificateError { reason } when it is not valid. */
export function assertCertificate(network: Network, cert: Certificate): void {
  const check = checkCertificate(network, cert);
  if (!check.ok) {
    throw new CertificateError(
      check.reason,
      `${cert.kind} certificate for ${cert.app} at term ${cert.term}, index ${cert.index} is not valid`,
    );
  }
}

/** Orders locks by term, then index; null (no lock) below any lock. */
export function compareLocks(a: Certificate | null, b: Certificate | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (a.term !== b.term) return a.term < b.term ? -1 : 1;
  if (a.index !== b.index) return a.index < b.index ? -1 : 1;
  return 0;
}

/**
 * A digest of the whole certificate (its vote digest, non-signers and signature): what a
 * view-change vote commits to for each of its locks.
 */
export function certificateHash(cert: Certificate): Hex {
  const { X, Y } = g1ToSolidity(cert.signature);
  return keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "bytes32[]" }, { type: "uint256" }, { type: "uint256" }],
      [voteDigest(cert.kind, cert, cert.snapshotId), [...cert.nonSigners], X, Y],
    ),
  );
}
