import { operatorStateRetrieverAbi, registryCoordinatorAbi } from "@avskit/bindings";
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
