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
  /** A deployed OperatorStateRetriever; when absent, `retrieverCode` is injected into each eth_call. */
  readonly operatorStateRetriever: Address | undefined;
  /** The retriever's runtime code, for eth_call state overrides when none is deployed. */
  readonly retrieverCode: Hex | undefined;
  /** TASK_RESPONSE_WINDOW_BLOCK of the task manager. */
  readonly responseWindowBlocks: number;
}

/**
 * Reads the registries and the response window from the task manager itself, so one address is
 * enough. The addresses come from `resolveContracts`, which has checked that they hold code.
 */
export async function discoverContracts(
  client: ReadClient,
  taskManager: Address,
  operatorStateRetriever?: Address,
): Promise<AvsContracts> {
  const read = <F extends "registryCoordinator" | "stakeRegistry" | "TASK_RESPONSE_WINDOW_BLOCK">(
    functionName: F,
  ) => client.readContract({ address: taskManager, abi: taskManagerAbi, functionName });
  const [registryCoordinator, stakeRegistry, responseWindowBlocks, retrieverCode] = await Promise.all([
    read("registryCoordinator"),
    read("stakeRegistry"),
    read("TASK_RESPONSE_WINDOW_BLOCK"),
    operatorStateRetriever === undefined ? retrieverRuntimeCode(client) : undefined,
  ]);
  return {
    taskManager,
    registryCoordinator: registryCoordinator as Address,
    stakeRegistry: stakeRegistry as Address,
    operatorStateRetriever,
    retrieverCode,
    responseWindowBlocks: Number(responseWindowBlocks),
  };
}

/**
 * The retriever's runtime code, obtained by running its creation code in an eth_call (the
 * constructor returns it). Views are then called at a placeholder address with that code put
 * there by a state override: unlike viem's deployless reads (which return the result through a
 * constructor and so hit the 24 KB code-size limit), results of any size come back.
 */
async function retrieverRuntimeCode(client: ReadClient): Promise<Hex> {
  const { data } = await client.call({ data: operatorStateRetrieverBytecode as Hex });
  if (data === undefined || data === "0x")
    throw new Error("the OperatorStateRetriever's creation code returned no runtime code");
  return data;
}

/** Where the retriever's code is placed by state override: an address no key controls (keccak("avskit.operator-state-retriever")[12:]). */
export const VIRTUAL_RETRIEVER: Address = "0x3985F7D338Af57Afad7fF5Bc5624A5a2e1449db4";

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
      : {
          address: VIRTUAL_RETRIEVER,
          stateOverride: [{ address: VIRTUAL_RETRIEVER, code: contracts.retrieverCode! }],
        };
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
