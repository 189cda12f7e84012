import { type Address, encodeAbiParameters, type Hex, keccak256, toBytes } from "viem";
import { addressOfPrivateKey, recoverRawDigest, signRawDigest } from "./ecdsa.js";
import { NetworkError } from "./errors.js";
import { normalizeBytes32 } from "./hex.js";
import { type Member, memberById, type Network } from "./network.js";

export const PEER_HEADERS = Object.freeze({
  from: "x-avskit-from",
  seq: "x-avskit-seq",
  signature: "x-avskit-signature",
  /** The snapshot id the request is signed under (the sender's current operator set). */
  snapshot: "x-avskit-snapshot",
} as const);

export const PEER_TAG: Hex = keccak256(toBytes("avskit.sequencer.peer.v1"));

/** How far a request's seq (ms × 1000 + counter) may be from the receiver's clock, either way. */
export const DEFAULT_PEER_WINDOW_MS = 30_000;

export type PeerRejection =
  /** A header is missing, repeated or malformed. */
  | "UNAUTHENTICATED"
  /** Signed under an operator set the receiver does not know (yet: it learns one from its own source or a new view). */
  | "UNKNOWN_SNAPSHOT"
  | "NOT_A_MEMBER"
  | "BAD_PEER_SIGNATURE"
  | "STALE_PEER_REQUEST"
  | "REPLAYED_PEER_REQUEST";

export type PeerCheck = { ok: true; member: Member } | { ok: false; code: PeerRejection };

function bodyBytes(body: string | Uint8Array): Uint8Array {
  return typeof body === "string" ? toBytes(body) : body;
}

/**
 * keccak256(abi.encode(PEER_TAG, snapshotId, toOperatorId, uint64 seq,
 * keccak256(method ‖ " " ‖ path), keccak256(body))): binds a request to its network, receiver,
 * route and exact body. `method` is upper-cased; `path` is the request target as sent
 * (with its query string).
 */
export function peerRequestDigest(
  snapshotId: Hex,
  to: Hex,
  seq: bigint,
  method: string,
  path: string,
  body: string | Uint8Array,
): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "uint64" },
        { type: "bytes32" },
        { type: "bytes32" },
      ],
      [
        PEER_TAG,
        snapshotId,
        to,
        seq,
        keccak256(toBytes(`${method.toUpperCase()} ${path}`)),
        keccak256(bodyBytes(body)),
      ],
    ),
  );
}

/** Signs this member's requests to its peers. */
export class PeerSigner {
  readonly #privateKey: Hex;
  #network: Network;
  readonly #self: Hex;
  #lastSeq = 0n;

  constructor(privateKey: Hex, network: Network, self: Hex) {
    this.#privateKey = privateKey;
    this.#network = network;
    this.#self = this.#memberOf(network, self).operatorId;
  }

  #memberOf(network: Network, self: Hex): Member {
    const member = memberById(network, self);
    if (member === undefined) throw new NetworkError(`${self} is not a member of the network`);
    if (addressOfPrivateKey(this.#privateKey) !== member.address) {
      throw new NetworkError(`the ECDSA key is not the one registered for ${member.operatorId}`);
    }
    return member;
  }

  /** Signs under another operator set from now on (a term that runs on a new snapshot). */
  setNetwork(network: Network): void {
    this.#memberOf(network, this.#self);
    this.#network = network;
  }

  /** Date.now()·1000 + a counter: strictly increasing, even within one millisecond or if the clock steps back. */
  nextSeq(): bigint {
    const now = BigInt(Date.now()) * 1000n;
    this.#lastSeq = now > this.#lastSeq ? now : this.#lastSeq + 1n;
    return this.#lastSeq;
  }

  /** The three x-avskit-* headers for one request to `to`. */
  headers(to: Hex, method: string, path: string, body: string | Uint8Array): Record<string, string> {
    const toId = normalizeBytes32(to);
    if (toId === undefined) throw new NetworkError(`bad operatorId ${to}`);
    const seq = this.nextSeq();
    const digest = peerRequestDigest(this.#network.snapshotId, toId, seq, method, path, body);
    return {
      [PEER_HEADERS.from]: this.#self,
      [PEER_HEADERS.seq]: seq.toString(),
      [PEER_HEADERS.signature]: signRawDigest(this.#privateKey, digest),
      [PEER_HEADERS.snapshot]: this.#network.snapshotId,
    };
  }
}

const SEQ = /^[1-9][0-9]{0,19}$/;
const UINT64_MAX = (1n << 64n) - 1n;

function single(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return value;
}

/**
 * Checks peer requests addressed to `self`: membership, the signature of the member's address,
 * freshness, and no replay within the window. Only ECDSA work: it runs before any BLS work.
 */
export class PeerVerifier {
  readonly #networks: (snapshotId: Hex) => Network | undefined;
  readonly #self: Hex;
  readonly #windowMs: number;
  readonly #now: () => number;
  /** Per sender: the seqs seen that are still inside the window. */
  readonly #seen = new Map<Hex, Set<bigint>>();
  #lastPrune = 0;

  /**
   * `networks` is the operator set requests must come from, or a lookup of every set this
   * receiver knows by snapshot id (a request names the one it is signed under).
   */
  constructor(
    networks: Network | ((snapshotId: Hex) => Network | undefined),
    self: Hex,
    options: { windowMs?: number; now?: () => number } = {},
  ) {
    const id = normalizeBytes32(self);
    if (id === undefined) throw new NetworkError(`bad operatorId ${self}`);
    this.#networks =
      typeof networks === "function"
        ? networks
        : (sid) => (sid === networks.snapshotId ? networks : undefined);
    this.#self = id;
    this.#windowMs = options.windowMs ?? DEFAULT_PEER_WINDOW_MS;
    this.#now = options.now ?? Date.now;
  }

  verify(
    headers: Record<string, string | string[] | undefined>,
    method: string,
    path: string,
    body: string | Uint8Array,
  ): PeerCheck {
    const fromRaw = single(headers[PEER_HEADERS.from]);
    const seqRaw = single(headers[PEER_HEADERS.seq]);
    const signature = single(headers[PEER_HEADERS.signature]);
    const snapshotRaw = single(headers[PEER_HEADERS.snapshot]);
    if (
      fromRaw === undefined ||
      seqRaw === undefined ||
      signature === undefined ||
      snapshotRaw === undefined
    ) {
      return { ok: false, code: "UNAUTHENTICATED" };
    }
    const from = normalizeBytes32(fromRaw);
    const snapshotId = normalizeBytes32(snapshotRaw);
    if (
      from === undefined ||
      snapshotId === undefined ||
      !SEQ.test(seqRaw) ||
      !/^0x[0-9a-fA-F]{130}$/.test(signature)
    ) {
      return { ok: false, code: "UNAUTHENTICATED" };
    }
    const seq = BigInt(seqRaw);
    if (seq > UINT64_MAX) return { ok: false, code: "UNAUTHENTICATED" };
    const network = this.#networks(snapshotId);
    if (network === undefined) return { ok: false, code: "UNKNOWN_SNAPSHOT" };
    const member = memberById(network, from);
    if (member === undefined) return { ok: false, code: "NOT_A_MEMBER" };
    const digest = peerRequestDigest(network.snapshotId, this.#self, seq, method, path, body);
    const signer: Address | undefined = recoverRawDigest(digest, signature);
    if (signer !== member.address) return { ok: false, code: "BAD_PEER_SIGNATURE" };
    const now = this.#now();
    const sentAt = Number(seq / 1000n);
    if (Math.abs(now - sentAt) > this.#windowMs) return { ok: false, code: "STALE_PEER_REQUEST" };
    this.#prune(now);
    let seen = this.#seen.get(member.operatorId);
    if (seen === undefined) {
      seen = new Set();
      this.#seen.set(member.operatorId, seen);
    }
    if (seen.has(seq)) return { ok: false, code: "REPLAYED_PEER_REQUEST" };
    seen.add(seq);
    return { ok: true, member };
  }

  /** Drops seqs older than the window: a replay of one of them is refused as stale anyway. */
  #prune(now: number): void {
    if (now - this.#lastPrune < this.#windowMs / 4) return;
    this.#lastPrune = now;
    const oldest = BigInt(Math.floor(now - this.#windowMs)) * 1000n;
    for (const seen of this.#seen.values()) {
      for (const seq of seen) if (seq < oldest) seen.delete(seq);
    }
  }
}
