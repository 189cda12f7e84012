import {
  type CodeReader,
  operatorStateRetrieverAbi,
  registryCoordinatorAbi,
  resolveContracts,
} from "@avskit/bindings";
import { g1FromSolidity, g2FromSolidity } from "@avskit/bls";
import type { Address, PublicClient } from "viem";
import { NetworkError } from "./errors.js";
import { createNetwork, type Member, type Network } from "./network.js";

export interface ChainNetworkParams {
  registryCoordinator: Address;
  operatorStateRetriever: Address;
  quorumNumber: number;
  /** The block whose operator set and stakes count; every node must use the same one. */
  referenceBlock: number;
  thresholdPercent?: number;
  chainId: number;
}

/**
 * The network of one quorum at a block: its operators with keys and stakes
 * (OperatorStateRetriever.getOperatorsWithPubkeys at `referenceBlock`), each one's url the socket
 * it registered (RegistryCoordinator.getOperatorSocket). Both are read at the latest block, so no
 * archive node is needed: the operator set and stakes come from the registries' history at
 * `referenceBlock`, keys never change once registered, and a socket is only where to reach a node
 * (not part of the snapshot), so the newest is the one to use. Refuses a client
 * on another chain than `chainId`, since the chain id is part of the snapshot every vote signs.
 */
export async function loadChainNetwork(client: PublicClient, p: ChainNetworkParams): Promise<Network> {
  const actual = await client.getChainId();
  if (actual !== p.chainId) throw new NetworkError(`the RPC serves chain ${actual}, not ${p.chainId}`);
  if (!Number.isInteger(p.quorumNumber) || p.quorumNumber < 0 || p.quorumNumber > 255) {
    throw new NetworkError(`bad quorumNumber ${p.quorumNumber}`);
  }
  const quorumNumbers = `0x${p.quorumNumber.toString(16).padStart(2, "0")}` as const;
  const [operators] = await client.readContract({
    address: p.operatorStateRetriever,
    abi: operatorStateRetrieverAbi,
    functionName: "getOperatorsWithPubkeys",
    args: [p.registryCoordinator, quorumNumbers, p.referenceBlock],
  });
  if (operators === undefined) throw new NetworkError(`no operator list for quorum ${p.quorumNumber}`);
  const members: Member[] = await Promise.all(
    operators.map(async (op) => {
      const url = await client.readContract({
        address: p.registryCoordinator,
        abi: registryCoordinatorAbi,
        functionName: "getOperatorSocket",
        args: [op.operatorId],
      });
      return {
        operatorId: op.operatorId,
        address: op.operator,
        pubkeyG1: g1FromSolidity(op.pubkeyG1),
        pubkeyG2: g2FromSolidity({
          X: [op.pubkeyG2.X[0], op.pubkeyG2.X[1]],
          Y: [op.pubkeyG2.Y[0], op.pubkeyG2.Y[1]],
        }),
        stake: op.stake,
        url,
      };
    }),
  );
  return createNetwork(
    {
      kind: "chain",
      chainId: p.chainId,
      registryCoordinator: p.registryCoordinator,
      quorumNumber: p.quorumNumber,
      referenceBlock: p.referenceBlock,
    },
    members,
    p.thresholdPercent,
  );
}

export interface RegistryNetworksParams {
  registryCoordinator: Address;
  operatorStateRetriever: Address;
  quorumNumber: number;
  chainId: number;
  thresholdPercent?: number;
  /** Reference blocks are multiples of this (see `latestReferenceBlock`). */
  epochBlocks: number;
  /** Networks kept in memory, most recently used first (default 32). */
  cacheSize?: number;
}

/** The chain snapshot of one quorum's registries at `referenceBlock` (what its snapshot id hashes). */
export type ChainSnapshot = Extract<Network["snapshot"], { kind: "chain" }>;

/**
 * One quorum's operator sets as the registries give them, block by block: loaded once per
 * reference block (the history at a block never changes), and the newest reference block the
 * latest block less one rounded down to `epochBlocks`, so every reader within one window names
 * the same snapshot and the number of snapshots anyone can make a reader load is bounded.
 */
export class RegistryNetworks {
  readonly #client: PublicClient;
  readonly #p: RegistryNetworksParams;
  readonly #cache = new Map<number, Promise<Network>>();

  constructor(client: PublicClient, params: RegistryNetworksParams) {
    if (!Number.isSafeInteger(params.epochBlocks) || params.epochBlocks < 1)
      throw new NetworkError(`bad epochBlocks ${params.epochBlocks}`);
    this.#client = client;
    this.#p = params;
  }

  get params(): Readonly<RegistryNetworksParams> {
    return this.#p;
  }

  snapshotAt(referenceBlock: number): ChainSnapshot {
    return {
      kind: "chain",
      chainId: this.#p.chainId,
      registryCoordinator: this.#p.registryCoordinator,
      quorumNumber: this.#p.quorumNumber,
      referenceBlock,
    };
  }

  /** Whether a chain snapshot is one of these registries' (any reference block). */
  isOurs(snapshot: ChainSnapshot): boolean {
    return (
      snapshot.chainId === this.#p.chainId &&
      snapshot.registryCoordinator.toLowerCase() === this.#p.registryCoordinator.toLowerCase() &&
      snapshot.quorumNumber === this.#p.quorumNumber
    );
  }

  /** The latest block less one, rounded down to `epochBlocks`. */
  async latestReferenceBlock(): Promise<number> {
    const latest = Number(await this.#client.getBlockNumber()) - 1;
    return Math.max(0, latest - (latest % this.#p.epochBlocks));
  }

  /** The operator set at `referenceBlock` (a failed read is not kept: the next call tries again). */
  load(referenceBlock: number): Promise<Network> {
    const block = Math.max(0, referenceBlock);
    let network = this.#cache.get(block);
    if (network === undefined) {
      network = loadChainNetwork(this.#client, {
        registryCoordinator: this.#p.registryCoordinator,
        operatorStateRetriever: this.#p.operatorStateRetriever,
        quorumNumber: this.#p.quorumNumber,
        referenceBlock: block,
        chainId: this.#p.chainId,
        ...(this.#p.thresholdPercent !== undefined ? { thresholdPercent: this.#p.thresholdPercent } : {}),
      });
      network.catch(() => this.#cache.delete(block));
      if (this.#cache.size >= (this.#p.cacheSize ?? 32)) this.#cache.delete(this.#cache.keys().next().value!);
    } else this.#cache.delete(block);
    this.#cache.set(block, network);
    return network;
  }

  /** A loader for the snapshots of these registries only (a new view's, a data dir's). */
  readonly loadChain = async (snapshot: ChainSnapshot): Promise<Network> => {
    if (!this.isOurs(snapshot)) throw new NetworkError("a snapshot of other registries than this reader's");
    return this.load(snapshot.referenceBlock);
  };
}

/** Where a service's registry network options point (see runtime's registryNetworkOptions). */
export interface RegistryLocation {
  readonly deploymentsDir?: string | undefined;
  readonly registryCoordinator?: Address | undefined;
  readonly operatorStateRetriever?: Address | undefined;
  readonly quorum: number;
  readonly networkEpochBlocks: number;
  readonly threshold?: number;
}

/**
 * The registries a service's options name: the coordinator and retriever from the flags or the
 * deployments file (an address without code fails here, naming where it came from).
 */
export async function openRegistryNetworks(
  client: PublicClient & CodeReader,
  location: RegistryLocation,
): Promise<RegistryNetworks> {
  const { addresses } = await resolveContracts(client, {
    ...(location.deploymentsDir !== undefined ? { dir: location.deploymentsDir } : {}),
    contracts: {
      registryCoordinator: { flag: "--registry-coordinator", address: location.registryCoordinator },
      operatorStateRetriever: {
        flag: "--operator-state-retriever",
        address: location.operatorStateRetriever,
      },
    },
  });
  return new RegistryNetworks(client, {
    registryCoordinator: addresses.registryCoordinator,
    operatorStateRetriever: addresses.operatorStateRetriever,
    quorumNumber: location.quorum,
    chainId: await client.getChainId(),
    epochBlocks: location.networkEpochBlocks,
    ...(location.threshold !== undefined ? { thresholdPercent: location.threshold } : {}),
  });
}
