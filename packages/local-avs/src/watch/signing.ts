import { taskResponseDigest as responseDigest } from "@avskit/aggregator-api";
import { indexRegistryAbi, taskManagerAbi } from "@avskit/bindings";
import type { ReadClient } from "@avskit/runtime";
import {
  type Address,
  decodeFunctionData,
  encodePacked,
  getAddress,
  type Hash,
  type Hex,
  hexToBytes,
  keccak256,
} from "viem";
import type { OnChainTask } from "./chain-watcher.js";

/** How one of a task's quorums signed its response. */
export interface QuorumSigning {
  readonly quorum: number;
  /** Operators in the quorum at the task's reference block. */
  readonly operators: number;
  /** Those of them whose signature is in the aggregate. */
  readonly signers: number;
  /** As the contract counted it (checkSignatures). */
  readonly signedStake: bigint;
  readonly totalStake: bigint;
}

/** Who signed an accepted response, recovered from its respondToTask transaction. */
export interface SigningReport {
  /** operatorIds of the non-signers, as the aggregator listed them. */
  readonly nonSignerIds: readonly Hex[];
  readonly quorums: readonly QuorumSigning[];
  readonly gasUsed: bigint;
  /** The account that sent the response (the aggregator's). */
  readonly sender: Address;
}

export interface SigningContracts {
  readonly taskManager: Address;
  readonly indexRegistry: Address;
}

/** operatorId = keccak256(abi.encodePacked(pubkeyG1.X, pubkeyG1.Y)), as the BLS registry defines it. */
export function operatorIdOf(pubkey: { X: bigint; Y: bigint }): Hex {
  return keccak256(encodePacked(["uint256", "uint256"], [pubkey.X, pubkey.Y]));
}

/** The quorum numbers of a task's `bytes quorumNumbers`. */
export function quorumsOf(quorumNumbers: Hex): number[] {
  return [...hexToBytes(quorumNumbers)];
}

/** The response transaction is not a direct respondToTask call (e.g. it went through a contract). */
export class NotADirectResponseError extends Error {
  constructor(txHash: Hash, functionName: string) {
    super(`transaction ${txHash} calls ${functionName}, not respondToTask: signers not recoverable from it`);
    this.name = "NotADirectResponseError";
  }
}

/**
 * Reads which operators signed a response: the non-signers from the transaction's calldata,
 * the signed and total stake per quorum by asking the task manager's own checkSignatures with
 * that calldata, and the quorums' operator lists at the reference block.
 */
export async function readSigning(
  client: ReadClient,
  contracts: SigningContracts,
  task: OnChainTask,
  sum: bigint,
  txHash: Hash,
): Promise<SigningReport> {
  const [transaction, receipt] = await Promise.all([
    client.getTransaction({ hash: txHash }),
    client.getTransactionReceipt({ hash: txHash }),
  ]);
  let call: ReturnType<typeof decodeFunctionData<typeof taskManagerAbi>>;
  try {
    call = decodeFunctionData({ abi: taskManagerAbi, data: transaction.input });
  } catch {
    throw new NotADirectResponseError(txHash, "an unknown function");
  }
  if (call.functionName !== "respondToTask") throw new NotADirectResponseError(txHash, call.functionName);
  const params = call.args[2];
  const nonSignerIds = params.nonSignerPubkeys.map(operatorIdOf);
  const digest = responseDigest({ referenceTaskIndex: task.taskIndex, sum });
  const [stakeTotals] = await client.readContract({
    address: contracts.taskManager,
    abi: taskManagerAbi,
    functionName: "checkSignatures",
    args: [digest, task.quorumNumbers, task.taskCreatedBlock, params],
    blockNumber: receipt.blockNumber,
  });
  const nonSigners = new Set(nonSignerIds.map((id) => id.toLowerCase()));
  const quorums = await Promise.all(
    quorumsOf(task.quorumNumbers).map(async (quorum, i): Promise<QuorumSigning> => {
      const members = await client.readContract({
        address: contracts.indexRegistry,
        abi: indexRegistryAbi,
        functionName: "getOperatorListAtBlockNumber",
        args: [quorum, task.taskCreatedBlock],
      });
      return {
        quorum,
        operators: members.length,
        signers: members.filter((id) => !nonSigners.has(id.toLowerCase())).length,
        signedStake: stakeTotals.signedStakeForQuorum[i] ?? 0n,
        totalStake: stakeTotals.totalStakeForQuorum[i] ?? 0n,
      };
    }),
  );
  return { nonSignerIds, quorums, gasUsed: receipt.gasUsed, sender: getAddress(transaction.from) };
}
