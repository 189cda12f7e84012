import { type Network, type RegistryNetworks, snapshotIdOf } from "@avskit/sequencer-protocol";
import { BlockNotFoundError, type Hex, type PublicClient } from "viem";

/**
 * Where the operator set whose stake signs an event comes from, and how a replica finds the one an
 * event names.
 *
 * - **Static** (`--network-file`): one set for the life of the log; an event must name it.
 * - **Registries** (`--rpc-url`): every event names a reference block, a multiple of
 *   `--network-epoch-blocks`, and its `snapshotId` is that block's chain snapshot (chain id,
 *   coordinator, quorum, block). The signers' stake is the registries' at that block. A replica
 *   accepts the block only when it was mined at or before the observation (a block that does not
 *   exist yet, or is later, cannot have been what confirmers read) and at most `maxReferenceAgeMs`
 *   before it (old stake, e.g. of an operator since ejected, does not count). Both read only the
 *   chain's history, so every replica decides alike, whenever it reads the event. The rounding
 *   bounds the sets an attacker can make a replica load to (age window / epoch blocks).
 */
export interface SnapshotRef {
  readonly snapshotId: Hex;
  readonly referenceBlock?: number | undefined;
  readonly observedAt: number;
}

export type SnapshotProblem =
  | "SNAPSHOT_MISMATCH"
  | "REFERENCE_BLOCK_TOO_NEW"
  | "REFERENCE_BLOCK_TOO_OLD"
  | "REFERENCE_BLOCK_NOT_ROUNDED";

export type Resolution =
  | { readonly ok: true; readonly network: Network }
  | { readonly ok: false; readonly reason: SnapshotProblem; readonly detail: string };

export interface NetworkSource {
  readonly kind: "static" | "registries";
  /** The rules a data dir is kept under (a replica refuses to start under others). */
  readonly identity: Record<string, unknown>;
  /** The set to watch and count stake in now (see refresh). */
  current(): Network;
  /** Moves `current` to the newest reference block (registries; nothing for a static set). */
  refresh(): Promise<void>;
  /** The set an event or a statement names, or why it is refused. Throws only when the chain cannot be read (try again). */
  resolve(ref: SnapshotRef): Promise<Resolution>;
  /** A set already resolved, by snapshot id (who may send peer requests under it). */
  known(snapshotId: Hex): Network | undefined;
}

/** The reference block a network was read at (undefined for a static set). */
export const referenceBlockOf = (network: Network): number | undefined =>
  network.snapshot.kind === "chain" ? network.snapshot.referenceBlock : undefined;

/** One set for the life of the log (a static network file's). */
export function staticSource(network: Network): NetworkSource {
  return {
    kind: "static",
    identity: { snapshotId: network.snapshotId },
    current: () => network,
    refresh: async () => {},
    known: (id) => (id.toLowerCase() === network.snapshotId ? network : undefined),
    resolve: async (ref) => {
      if (ref.snapshotId !== network.snapshotId || ref.referenceBlock !== undefined)
        return {
          ok: false,
          reason: "SNAPSHOT_MISMATCH",
          detail: `snapshot ${ref.snapshotId}, this replica's is ${network.snapshotId}`,
        };
      return { ok: true, network };
    },
  };
}

export interface RegistrySourceOptions {
  readonly client: PublicClient;
  readonly registries: RegistryNetworks;
  readonly maxReferenceAgeMs: number;
}

export async function registrySource(options: RegistrySourceOptions): Promise<NetworkSource> {
  const { client, registries, maxReferenceAgeMs } = options;
  const { epochBlocks } = registries.params;
  const byId = new Map<Hex, Network>();
  const remember = (network: Network) => {
    byId.set(network.snapshotId, network);
    if (byId.size > 64) byId.delete(byId.keys().next().value!);
    return network;
  };
  // Mining times never change; kept so that peer requests naming a block cost one read per block.
  const minedAt = new Map<number, number>();
  const minedAtOf = async (block: number): Promise<number | undefined> => {
    let at = minedAt.get(block);
    if (at === undefined) {
      try {
        at = Number((await client.getBlock({ blockNumber: BigInt(block) })).timestamp) * 1000;
      } catch (error) {
        if (error instanceof BlockNotFoundError) return undefined;
        throw error;
      }
      minedAt.set(block, at);
      if (minedAt.size > 1024) minedAt.delete(minedAt.keys().next().value!);
    }
    return at;
  };
  let current = remember(await registries.load(await registries.latestReferenceBlock()));
  return {
    kind: "registries",
    identity: {
      registries: registries.snapshotAt(0),
      epochBlocks,
      maxReferenceAgeMs,
    },
    current: () => current,
    async refresh() {
      const block = await registries.latestReferenceBlock();
      if (block !== referenceBlockOf(current)) current = remember(await registries.load(block));
    },
    known: (id) => byId.get(id.toLowerCase() as Hex),
    async resolve(ref) {
      const block = ref.referenceBlock;
      if (block === undefined)
        return {
          ok: false,
          reason: "SNAPSHOT_MISMATCH",
          detail: "no reference block (a static network's event)",
        };
      const expected = snapshotIdOf(registries.snapshotAt(block));
      if (ref.snapshotId !== expected)
        return {
          ok: false,
          reason: "SNAPSHOT_MISMATCH",
          detail: `snapshot ${ref.snapshotId} is not these registries' at block ${block} (${expected})`,
        };
      if (block % epochBlocks !== 0)
        return {
          ok: false,
          reason: "REFERENCE_BLOCK_NOT_ROUNDED",
          detail: `block ${block} is not a multiple of ${epochBlocks}`,
        };
      const mined = await minedAtOf(block);
      if (mined === undefined)
        return { ok: false, reason: "REFERENCE_BLOCK_TOO_NEW", detail: `block ${block} is not mined yet` };
      if (mined > ref.observedAt)
        return {
          ok: false,
          reason: "REFERENCE_BLOCK_TOO_NEW",
          detail: `block ${block} was mined at ${mined}, after the observation at ${ref.observedAt}`,
        };
      if (mined < ref.observedAt - maxReferenceAgeMs)
        return {
          ok: false,
          reason: "REFERENCE_BLOCK_TOO_OLD",
          detail: `block ${block} was mined at ${mined}, more than ${maxReferenceAgeMs} ms before the observation at ${ref.observedAt}`,
        };
      return { ok: true, network: remember(await registries.load(block)) };
    },
  };
}
