import { encodeAbiParameters, type Hex, keccak256, toBytes } from "viem";
import { type Certificate, certificateHash, checkCertificate, compareLocks } from "./certificate.js";
import { recoverRawDigest, signRawDigest } from "./ecdsa.js";
import { NetworkError } from "./errors.js";
import { normalizeBytes32 } from "./hex.js";
import { hasQuorumStake, leaderOf, memberById, type Network } from "./network.js";

export const TIP_TAG: Hex = keccak256(toBytes("avskit.sequencer.tip.v1"));
export const VIEW_CHANGE_TAG: Hex = keccak256(toBytes("avskit.sequencer.view-change.v1"));

/** The leader's signed word that its log of `app` in `term` is `chainHash` at `index`. */
export interface TipStatement {
  term: bigint;
  app: string;
  index: bigint;
  chainHash: Hex;
  /** 65-byte ECDSA (r ‖ s ‖ v) over tipStatementDigest, by the leader's registered address. */
  signature: Hex;
}

/** keccak256(abi.encode(TIP_TAG, snapshotId, keccak256(app), uint64 term, uint64 index, chainHash)). */
export function tipStatementDigest(snapshotId: Hex, tip: Omit<TipStatement, "signature">): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "uint64" },
        { type: "uint64" },
        { type: "bytes32" },
      ],
      [TIP_TAG, snapshotId, keccak256(toBytes(tip.app)), tip.term, tip.index, tip.chainHash],
    ),
  );
}

export function signTipStatement(
  privateKey: Hex,
  snapshotId: Hex,
  tip: Omit<TipStatement, "signature">,
): TipStatement {
  const statement = { term: tip.term, app: tip.app, index: tip.index, chainHash: tip.chainHash };
  return { ...statement, signature: signRawDigest(privateKey, tipStatementDigest(snapshotId, statement)) };
}

/** Whether the statement is signed by leaderOf(network, st.term). */
export function verifyTipStatement(network: Network, st: TipStatement): boolean {
  if (st.term < 1n) return false;
  let digest: Hex;
  try {
    digest = tipStatementDigest(network.snapshotId, st);
  } catch {
    return false;
  }
  return recoverRawDigest(digest, st.signature) === leaderOf(network, st.term).address;
}

/**
 * Two statements of one leader for one (term, app, index) with different hashes: proof that the
 * leader equivocated. Both must verify.
 */
export function isEquivocation(network: Network, a: TipStatement, b: TipStatement): boolean {
  return (
    a.term === b.term &&
    a.app === b.app &&
    a.index === b.index &&
    a.chainHash.toLowerCase() !== b.chainHash.toLowerCase() &&
    verifyTipStatement(network, a) &&
    verifyTipStatement(network, b)
  );
}

/** A member's vote to move to `newTerm`, carrying its current lock per app. */
export interface ViewChangeVote {
  newTerm: bigint;
  from: Hex;
  locks: Readonly<Record<string, Certificate | null>>;
  /**
   * The snapshot id of the operator set the voter's own source (file or chain) now gives, when it
   * differs from the one the term runs on: the new term runs on it if a quorum names it (see
   * justifyNewView). Null when the voter sees no change.
   */
  next: Hex | null;
  /** 65-byte ECDSA over viewChangeDigest, by `from`'s registered address. */
  signature: Hex;
}

/** Finds the network of a snapshot id (certificates of earlier terms name the snapshot they count). */
export type NetworkLookup = (snapshotId: Hex) => Network | undefined;

/** The lookup that knows only `network`. */
export function onlyNetwork(network: Network): NetworkLookup {
  return (id) => (id.toLowerCase() === network.snapshotId ? network : undefined);
}

function checkLock(networks: NetworkLookup, lock: Certificate): { ok: true } | { ok: false; reason: string } {
  const network = networks(lock.snapshotId.toLowerCase() as Hex);
  if (network === undefined) return { ok: false, reason: `unknown snapshot ${lock.snapshotId}` };
  return checkCertificate(network, lock);
}

/**
 * keccak256(abi.encode(bytes32[] keccak256(app), bytes32[] lock)) over the apps in ascending
 * name order, where lock is certificateHash(cert) or zero for no lock: commits to every lock.
 */
export function locksDigest(locks: Readonly<Record<string, Certificate | null>>): Hex {
  const apps = Object.keys(locks).sort();
  const zero: Hex = `0x${"0".repeat(64)}`;
  return keccak256(
    encodeAbiParameters(
      [{ type: "bytes32[]" }, { type: "bytes32[]" }],
      [
        apps.map((app) => keccak256(toBytes(app))),
        apps.map((app) => {
          const lock = locks[app] ?? null;
          return lock === null ? zero : certificateHash(lock);
        }),
      ],
    ),
  );
}

/** keccak256(abi.encode(VIEW_CHANGE_TAG, snapshotId, uint64 newTerm, locksDigest, next or zero)). */
export function viewChangeDigest(
  snapshotId: Hex,
  newTerm: bigint,
  locks: Readonly<Record<string, Certificate | null>>,
  next: Hex | null = null,
): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "uint64" },
        { type: "bytes32" },
        { type: "bytes32" },
      ],
      [VIEW_CHANGE_TAG, snapshotId, newTerm, locksDigest(locks), next ?? `0x${"0".repeat(64)}`],
    ),
  );
}

export function signViewChangeVote(
  privateKey: Hex,
  network: Network,
  from: Hex,
  newTerm: bigint,
  locks: Readonly<Record<string, Certificate | null>>,
  next: Hex | null = null,
): ViewChangeVote {
  const id = normalizeBytes32(from);
  if (id === undefined) throw new NetworkError(`bad operatorId ${from}`);
  const nextId = next === null ? null : normalizeBytes32(next);
  if (nextId === undefined) throw new NetworkError(`bad next snapshot id ${next}`);
  const copy: Record<string, Certificate | null> = { ...locks };
  return {
    newTerm,
    from: id,
    locks: copy,
    next: nextId,
    signature: signRawDigest(privateKey, viewChangeDigest(network.snapshotId, newTerm, copy, nextId)),
  };
}

/**
 * Whether the vote is signed by `from`'s registered address and each lock is a lock of the app it
 * is filed under. Does not check the locks' BLS signatures (justifyNewView checks the one that
 * counts).
 */
export function verifyViewChangeVote(network: Network, vote: ViewChangeVote): boolean {
  const member = memberById(network, vote.from);
  if (member === undefined || vote.newTerm < 1n) return false;
  for (const [app, lock] of Object.entries(vote.locks)) {
    if (lock !== null && (lock.kind !== "lock" || lock.app !== app)) return false;
  }
  let digest: Hex;
  try {
    digest = viewChangeDigest(network.snapshotId, vote.newTerm, vote.locks, vote.next);
  } catch {
    return false;
  }
  return recoverRawDigest(digest, vote.signature) === member.address;
}

/**
 * verifyViewChangeVote plus every lock's certificate: what a new leader runs on each vote it
 * receives, so one voter's forged lock cannot spoil the quorum it assembles.
 */
export function checkViewChangeVote(
  network: Network,
  vote: ViewChangeVote,
  networks: NetworkLookup = onlyNetwork(network),
): { ok: true } | { ok: false; reason: string } {
  if (!verifyViewChangeVote(network, vote)) return { ok: false, reason: "bad view-change vote signature" };
  for (const [app, lock] of Object.entries(vote.locks)) {
    if (lock === null) continue;
    const check = checkLock(networks, lock);
    if (!check.ok) return { ok: false, reason: `lock of ${app}: ${check.reason}` };
  }
  return { ok: true };
}

export type NewViewJustification =
  | { ok: true; base: Record<string, Certificate | null>; next: Hex | null }
  | { ok: false; reason: string };

/**
 * Whether `votes` justify term `term`: each a valid vote for that term from a distinct member of
 * `network` (the operator set of the term being left), together with quorum by stake. The base of
 * each app is the highest lock among them (by term, then index), whose certificate must be valid
 * against the snapshot it names (`networks`). `next` is the snapshot that voters with quorum
 * stake named, if any (at most one can have it when θ > 50): the new term runs on it.
 */
export function justifyNewView(
  network: Network,
  term: bigint,
  votes: readonly ViewChangeVote[],
  networks: NetworkLookup = onlyNetwork(network),
): NewViewJustification {
  const nextStake = new Map<Hex, bigint>();
  const voters = new Set<Hex>();
  let stake = 0n;
  const base: Record<string, Certificate | null> = {};
  const baseVoter: Record<string, Hex> = {};
  for (const vote of votes) {
    if (vote.newTerm !== term)
      return { ok: false, reason: `a vote from ${vote.from} is for term ${vote.newTerm}, not ${term}` };
    const member = memberById(network, vote.from);
    if (member === undefined) return { ok: false, reason: `${vote.from} is not a member` };
    if (voters.has(member.operatorId)) return { ok: false, reason: `${member.operatorId} voted twice` };
    if (!verifyViewChangeVote(network, vote))
      return { ok: false, reason: `the vote from ${member.operatorId} is not validly signed` };
    voters.add(member.operatorId);
    stake += member.stake;
    if (vote.next !== null) nextStake.set(vote.next, (nextStake.get(vote.next) ?? 0n) + member.stake);
    for (const [app, lock] of Object.entries(vote.locks)) {
      const current = Object.hasOwn(base, app) ? base[app]! : null;
      if (!Object.hasOwn(base, app) || compareLocks(lock, current) > 0) {
        base[app] = lock;
        baseVoter[app] = member.operatorId;
      }
    }
  }
  if (!hasQuorumStake(network, stake)) {
    return {
      ok: false,
      reason: `the voters hold ${stake} of ${network.totalStake} stake, below ${network.thresholdPercent}%`,
    };
  }
  for (const [app, lock] of Object.entries(base)) {
    if (lock === null) continue;
    const check = checkLock(networks, lock);
    if (!check.ok)
      return {
        ok: false,
        reason: `the highest lock of ${app} (from ${baseVoter[app]}) is not valid: ${check.reason}`,
      };
  }
  let next: Hex | null = null;
  for (const [id, s] of nextStake) if (id !== network.snapshotId && hasQuorumStake(network, s)) next = id;
  return { ok: true, base, next };
}
