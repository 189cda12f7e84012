import type { G1Point } from "@avskit/bls";
import {
  type Certificate,
  certificateHash,
  checkCertificate,
  type Network,
  type VoteKind,
  type VotePoint,
  verifyVoteShare,
} from "@avskit/sequencer-protocol";
import type { Hex } from "viem";

/**
 * Where the node's pairings run: certificate checks and, when an aggregate fails, the share
 * checks that find the bad ones. The node runs them off the event loop (WorkerBlsVerifier, in
 * verify-pool.ts); InThreadBlsVerifier is the same arithmetic on the calling thread, for tests.
 */
export interface BlsVerifier {
  /** Checks `cert` against the operator set it names (false for one not added). */
  checkCertificate(cert: Certificate): Promise<boolean>;
  /** The operators among `shares` whose share, under `network`'s snapshot, does not verify. */
  invalidShares(
    network: Network,
    kind: VoteKind,
    point: VotePoint,
    shares: ReadonlyMap<Hex, G1Point>,
  ): Promise<Hex[]>;
  /** Another operator set certificates may name (an operator-set change). */
  addNetwork(network: Network): void;
  close(): Promise<void>;
}

export class InThreadBlsVerifier implements BlsVerifier {
  readonly #networks = new Map<Hex, Network>();
  constructor(network: Network) {
    this.addNetwork(network);
  }
  addNetwork(network: Network): void {
    this.#networks.set(network.snapshotId, network);
  }
  async checkCertificate(cert: Certificate): Promise<boolean> {
    const network = this.#networks.get(cert.snapshotId.toLowerCase() as Hex);
    return network !== undefined && checkCertificate(network, cert).ok;
  }
  async invalidShares(
    network: Network,
    kind: VoteKind,
    point: VotePoint,
    shares: ReadonlyMap<Hex, G1Point>,
  ): Promise<Hex[]> {
    return [...shares]
      .filter(([id, share]) => !verifyVoteShare(network, kind, point, id, share))
      .map(([id]) => id);
  }
  async close(): Promise<void> {}
}

/**
 * Remembers the certificates already found valid (by hash), so a certificate carried by every
 * round until a newer one replaces it costs one pairing check, not one per round.
 */
export class CachingVerifier implements BlsVerifier {
  readonly #inner: BlsVerifier;
  readonly #valid = new Map<Hex, true>();
  constructor(inner: BlsVerifier) {
    this.#inner = inner;
  }
  async checkCertificate(cert: Certificate): Promise<boolean> {
    const hash = certificateHash(cert);
    if (this.#valid.has(hash)) return true;
    const ok = await this.#inner.checkCertificate(cert);
    if (ok) {
      this.#valid.set(hash, true);
      if (this.#valid.size > 4096) this.#valid.delete(this.#valid.keys().next().value!);
    }
    return ok;
  }
  invalidShares(
    network: Network,
    kind: VoteKind,
    point: VotePoint,
    shares: ReadonlyMap<Hex, G1Point>,
  ): Promise<Hex[]> {
    return this.#inner.invalidShares(network, kind, point, shares);
  }
  addNetwork(network: Network): void {
    this.#inner.addNetwork(network);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}
