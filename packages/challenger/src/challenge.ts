import { taskManagerAbi, withAllErrors } from "@avskit/bindings";
import { type ReadClient, type WriteClient, waitForReceipt } from "@avskit/runtime";
import { type Address, type Hash, isAddressEqual, parseEventLogs } from "viem";
import { ChallengeNotSentError } from "./errors.js";
import type { G1Point } from "./record-hash.js";
import type { TaskResponse, TaskResponseMetadata } from "./scanner.js";
import type { Task } from "./task-lookup.js";

export interface ChallengeParams {
  readonly client: ReadClient;
  readonly wallet: WriteClient;
  readonly taskManager: Address;
  readonly taskIndex: number;
  readonly task: Task;
  readonly response: TaskResponse;
  readonly metadata: TaskResponseMetadata;
  readonly nonSignerPubkeys: readonly G1Point[];
  readonly txTimeoutMs: number;
  readonly pollIntervalMs: number;
  /** The service's stop request, checked before sending: once aborted, nothing is sent. */
  readonly stopSignal: AbortSignal;
  /** Ends the wait for the receipt of a challenge already sent (ReceiptWaitAbortedError, with its hash). */
  readonly receiptSignal: AbortSignal;
  /** Called once the transaction is sent (the simulation passed). */
  readonly onSent: (hash: Hash) => void;
}

export interface ChallengeResult {
  /** true: TaskChallengedSuccessfully; false: TaskChallengedUnsuccessfully (the response was right). */
  readonly proven: boolean;
  readonly hash: Hash;
  readonly gasUsed: bigint;
  readonly blockNumber: bigint;
}

/** The TaskManager's ABI with every contract's custom errors: a revert raised deeper is still named. */
const taskManagerWithErrors = withAllErrors(taskManagerAbi);

/** A challenge transaction that was mined but reverted. */
export class ChallengeRevertedError extends Error {
  readonly hash: Hash;
  constructor(hash: Hash) {
    super(`challenge transaction ${hash} was mined but reverted`);
    this.name = "ChallengeRevertedError";
    this.hash = hash;
  }
}

/**
 * Sends raiseAndResolveChallenge after simulating it, so a challenge the contract would refuse
 * (window closed, already challenged, wrong non-signers) is reported with its custom error and
 * costs no gas. The outcome is read from the receipt's events. A stop before the send throws
 * ChallengeNotSentError; one during the receipt wait (once `receiptSignal` aborts) throws the
 * runtime's ReceiptWaitAbortedError with the hash.
 */
export async function sendChallenge(params: ChallengeParams): Promise<ChallengeResult> {
  const { client, wallet, taskManager } = params;
  const { request } = await client.simulateContract({
    account: wallet.account,
    address: taskManager,
    abi: taskManagerWithErrors,
    functionName: "raiseAndResolveChallenge",
    args: [
      { ...params.task },
      { ...params.response },
      { ...params.metadata },
      params.nonSignerPubkeys.map((point) => ({ X: point.X, Y: point.Y })),
    ],
  });
  if (params.stopSignal.aborted) throw new ChallengeNotSentError(params.taskIndex);
  const hash = await wallet.writeContract(request);
  params.onSent(hash);
  const receipt = await waitForReceipt(client, hash, {
    timeoutMs: params.txTimeoutMs,
    pollIntervalMs: params.pollIntervalMs,
    signal: params.receiptSignal,
  });
  if (receipt.status !== "success") throw new ChallengeRevertedError(hash);
  const events = parseEventLogs({
    abi: taskManagerAbi,
    logs: receipt.logs,
    eventName: ["TaskChallengedSuccessfully", "TaskChallengedUnsuccessfully"],
  }).filter((log) => isAddressEqual(log.address, taskManager) && log.args.taskIndex === params.taskIndex);
  const proven = events.some((log) => log.eventName === "TaskChallengedSuccessfully");
  return { proven, hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
}
