import { operatorStateRetrieverAbi, operatorStateRetrieverBytecode, taskManagerAbi } from "@avskit/bindings";
import type { ReadClient } from "@avskit/runtime";
import type {
  Abi,
  Address,
  ContractFunctionArgs,
  ContractFunctionName,
  ContractFunctionReturnType,
  Hex,
} from "viem";

/** The contracts the aggregator reads and writes. */
export interface AvsContracts {
  readonly taskManager: Address;
  readonly registryCoordinator: Address;
  readonly stakeRegistry: Address;
  /** A deployed OperatorStateRetriever; when absent its code is run in a deployless eth_call. */
  readonly operatorStateRetriever: Address | undefined;
  /** TASK_RESPONSE_WINDOW_BLOCK of the task manager. */
  readonly responseWindowBlocks: number;
}

/** No contract code at an address the aggregator was given. */
export class ContractNotDeployedError extends Error {
  constructor(what: string, address: Address, chainId: number) {
    super(`no ${what} contract at ${address} on chain ${chainId}`);
    this.name = "ContractNotDeployedError";
  }
}

/** Reads the registries and the response window from the task manager itself, so one address is enough. */
export async function discoverContracts(
  client: ReadClient,
  taskManager: Address,
  operatorStateRetriever?: Address,
): Promise<AvsContracts> {
  for (const [what, address] of [
    ["TaskManager", taskManager],
    ["OperatorStateRetriever", operatorStateRetriever],
  ] as const) {
    if (address === undefined) continue;
    const code = await client.getCode({ address });
    if (code === undefined || code === "0x")
      throw new ContractNotDeployedError(what, address, client.chain.id);
  }
  const read = <F extends "registryCoordinator" | "stakeRegistry" | "TASK_RESPONSE_WINDOW_BLOCK">(
    functionName: F,
  ) => client.readContract({ address: taskManager, abi: taskManagerAbi, functionName });
  const [registryCoordinator, stakeRegistry, responseWindowBlocks] = await Promise.all([
    read("registryCoordinator"),
    read("stakeRegistry"),
    read("TASK_RESPONSE_WINDOW_BLOCK"),
  ]);
  return {
    taskManager,
    registryCoordinator: registryCoordinator as Address,
    stakeRegistry: stakeRegistry as Address,
    operatorStateRetriever,
    responseWindowBlocks: Number(responseWindowBlocks),
  };
}

type RetrieverAbi = typeof operatorStateRetrieverAbi;
type RetrieverView = ContractFunctionName<RetrieverAbi, "view" | "pure">;

/** Calls an OperatorStateRetriever view, at its address or deployless (its code in the call). */
export function readRetriever<F extends RetrieverView>(
  client: ReadClient,
  contracts: AvsContracts,
  functionName: F,
  args: ContractFunctionArgs<RetrieverAbi, "view" | "pure", F>,
): Promise<ContractFunctionReturnType<RetrieverAbi, "view" | "pure", F>> {
  const target =
    contracts.operatorStateRetriever !== undefined
      ? { address: contracts.operatorStateRetriever }
      : { code: operatorStateRetrieverBytecode as Hex };
  return client.readContract({
    ...target,
    abi: operatorStateRetrieverAbi as Abi,
    functionName,
    args: args as readonly unknown[],
  } as Parameters<ReadClient["readContract"]>[0]) as Promise<
    ContractFunctionReturnType<RetrieverAbi, "view" | "pure", F>
  >;
}

/** `bytes quorumNumbers` as the contracts take it: one byte per quorum, ascending. */
export function quorumBytes(quorums: readonly number[]): Hex {
  return `0x${quorums.map((q) => q.toString(16).padStart(2, "0")).join("")}`;
}

export function quorumsFromBytes(bytes: Hex): number[] {
  const quorums: number[] = [];
  for (let i = 2; i < bytes.length; i += 2) quorums.push(Number.parseInt(bytes.slice(i, i + 2), 16));
  return quorums;
}
