import { type G1Point, type G2Point, operatorIdFromPublicKey } from "@avskit/bls";
import { type Address, encodeAbiParameters, getAddress, type Hex, isAddress, keccak256, toBytes } from "viem";
import { NetworkError } from "./errors.js";
import { compareHex, normalizeBytes32 } from "./hex.js";

/** One operator of a stake snapshot. */
export interface Member {
  /** keccak256(pkG1.X ‖ pkG1.Y), lowercase hex: the registries' operatorId. */
  operatorId: Hex;
  /** The member's ECDSA address: it signs peer requests and statements. */
  address: Address;
  pubkeyG1: G1Point;
  pubkeyG2: G2Point;
  stake: bigint;
  /** Where its node listens (http or https). */
  url: string;
}

/** What the stakes were counted against. */
export type Snapshot =
  | {
      kind: "chain";
      chainId: number;
      registryCoordinator: Address;
      quorumNumber: number;
      referenceBlock: number;
    }
  | { kind: "static"; fileHash: Hex };

export interface Network {
  snapshot: Snapshot;
  snapshotId: Hex;
  /** Sorted by operatorId, ascending. */
  members: readonly Member[];
  totalStake: bigint;
  /** θ: a set has quorum when 100·stake(S) ≥ θ·totalStake. */
  thresholdPercent: number;
}

export const DEFAULT_THRESHOLD_PERCENT = 67;

/** Separates static snapshot ids from chain ones (whose encoding has no tag). */
export const STATIC_TAG: Hex = keccak256(toBytes("avskit.sequencer.static.v1"));

export function snapshotIdOf(snapshot: Snapshot): Hex {
  if (snapshot.kind === "chain") {
    return keccak256(
      encodeAbiParameters(
        [{ type: "uint256" }, { type: "address" }, { type: "uint8" }, { type: "uint32" }],
        [
          BigInt(snapshot.chainId),
          snapshot.registryCoordinator,
          snapshot.quorumNumber,
          snapshot.referenceBlock,
        ],
      ),
    );
  }
  return keccak256(
    encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }], [STATIC_TAG, snapshot.fileHash]),
  );
}

function checkSnapshot(snapshot: Snapshot): Snapshot {
  if (snapshot.kind === "chain") {
    const { chainId, registryCoordinator, quorumNumber, referenceBlock } = snapshot;
    if (!Number.isSafeInteger(chainId) || chainId <= 0) throw new NetworkError(`bad chainId ${chainId}`);
    if (!isAddress(registryCoordinator, { strict: false })) {
      throw new NetworkError(`bad registryCoordinator ${registryCoordinator}`);
    }
    if (!Number.isInteger(quorumNumber) || quorumNumber < 0 || quorumNumber > 255) {
      throw new NetworkError(`bad quorumNumber ${quorumNumber}`);
    }
    if (!Number.isInteger(referenceBlock) || referenceBlock < 0 || referenceBlock > 0xffff_ffff) {
      throw new NetworkError(`bad referenceBlock ${referenceBlock}`);
    }
    return {
      kind: "chain",
      chainId,
      registryCoordinator: getAddress(registryCoordinator),
      quorumNumber,
      referenceBlock,
    };
  }
  const fileHash = normalizeBytes32(snapshot.fileHash);
  if (fileHash === undefined) throw new NetworkError(`bad fileHash ${snapshot.fileHash}`);
  return { kind: "static", fileHash };
}

/**
 * Builds a network: members sorted by operatorId, ids lowercased, addresses checksummed. Refuses
 * an operatorId that is not the hash of its G1 key (the registries derive it so, and peers look
 * members up by it), duplicate ids or addresses, negative stakes, zero total stake and a
 * threshold outside (0, 100].
 */
export function createNetwork(
  snapshot: Snapshot,
  members: readonly Member[],
  thresholdPercent: number = DEFAULT_THRESHOLD_PERCENT,
): Network {
  if (!Number.isInteger(thresholdPercent) || thresholdPercent < 1 || thresholdPercent > 100) {
    throw new NetworkError(`thresholdPercent must be an integer in [1, 100], got ${thresholdPercent}`);
  }
  const checked = checkSnapshot(snapshot);
  const ids = new Set<Hex>();
  const addresses = new Set<string>();
  const sorted = members.map((member) => {
    const operatorId = normalizeBytes32(member.operatorId);
    if (operatorId === undefined) throw new NetworkError(`bad operatorId ${member.operatorId}`);
    if (operatorIdFromPublicKey(member.pubkeyG1) !== operatorId) {
      throw new NetworkError(`operator ${operatorId}: operatorId is not keccak256 of its G1 key`);
    }
    if (!isAddress(member.address, { strict: false })) {
      throw new NetworkError(`operator ${operatorId}: bad address ${member.address}`);
    }
    if (member.stake < 0n) throw new NetworkError(`operator ${operatorId}: negative stake`);
    if (ids.has(operatorId)) throw new NetworkError(`operator ${operatorId} appears twice`);
    const address = getAddress(member.address);
    if (addresses.has(address)) throw new NetworkError(`address ${address} appears twice`);
    ids.add(operatorId);
    addresses.add(address);
    return Object.freeze({ ...member, operatorId, address });
  });
  sorted.sort((a, b) => compareHex(a.operatorId, b.operatorId));
  const totalStake = sorted.reduce((sum, m) => sum + m.stake, 0n);
  if (totalStake === 0n) throw new NetworkError("total stake is zero");
  return Object.freeze({
    snapshot: Object.freeze(checked),
    snapshotId: snapshotIdOf(checked),
    members: Object.freeze(sorted),
    totalStake,
    thresholdPercent,
  });
}

const indexes = new WeakMap<Network, Map<Hex, Member>>();

function index(network: Network): Map<Hex, Member> {
  let byId = indexes.get(network);
  if (byId === undefined) {
    byId = new Map(network.members.map((m) => [m.operatorId, m] as const));
    indexes.set(network, byId);
  }
  return byId;
}

/** The member with this operatorId (any case), if any. */
export function memberById(network: Network, operatorId: Hex): Member | undefined {
  const id = normalizeBytes32(operatorId);
  return id === undefined ? undefined : index(network).get(id);
}

/** Σ stake of the members among `operatorIds`, each counted once; non-members count nothing. */
export function stakeOf(network: Network, operatorIds: Iterable<Hex>): bigint {
  const seen = new Set<Hex>();
  let stake = 0n;
  for (const raw of operatorIds) {
    const member = memberById(network, raw);
    if (member === undefined || seen.has(member.operatorId)) continue;
    seen.add(member.operatorId);
    stake += member.stake;
  }
  return stake;
}

/** 100·stake ≥ θ·total. */
export function hasQuorumStake(network: Network, stake: bigint): boolean {
  return 100n * stake >= BigInt(network.thresholdPercent) * network.totalStake;
}

export function hasQuorum(network: Network, operatorIds: Iterable<Hex>): boolean {
  return hasQuorumStake(network, stakeOf(network, operatorIds));
}

/** members[(term − 1) mod n]; terms start at 1. */
export function leaderOf(network: Network, term: bigint): Member {
  if (term < 1n) throw new NetworkError(`term must be ≥ 1, got ${term}`);
  const n = BigInt(network.members.length);
  return network.members[Number((term - 1n) % n)]!;
}
