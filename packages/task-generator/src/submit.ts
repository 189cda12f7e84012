import { taskManagerAbi, withAllErrors } from "@avskit/bindings";
import { type ReadClient, type WriteClient, waitForReceipt } from "@avskit/runtime";
import { type Address, type Hash, type Hex, parseEventLogs, toHex } from "viem";
import { MissingTaskEventError, TaskTransactionRevertedError } from "./failure.js";
import type { Operands } from "./operands.js";

/** `bytes quorumNumbers`: one byte per quorum, ascending. */
export function quorumNumbersBytes(quorums: readonly number[]): Hex {
  return toHex(Uint8Array.from(quorums));
}

/** The TaskManager's ABI with every contract's custom errors, so a revert from any of them is named. */
const taskManagerWithErrors = withAllErrors(taskManagerAbi);

export interface CreatedTask {
  readonly taskIndex: number;
  readonly a: bigint;
  readonly b: bigint;
  readonly taskCreatedBlock: number;
  readonly quorumThresholdPercentage: number;
  readonly quorumNumbers: Hex;
  readonly hash: Hash;
  readonly gasUsed: bigint;
}

/** Where a submission stands, so shutdown knows whether anything was sent. */
export type SubmissionPhase = "preparing" | "sending" | "sent";

export interface SubmitTaskParams {
  readonly client: ReadClient;
  readonly wallet: WriteClient;
  readonly taskManager: Address;
  readonly operands: Operands;
  readonly thresholdPercentage: number;
  readonly quorums: readonly number[];
  readonly txTimeoutMs: number;
  readonly pollIntervalMs: number;
  /** Checked before sending: once aborted, nothing is sent. */
  readonly signal: AbortSignal;
  /** Ends the wait for the receipt of a transaction already sent (ReceiptWaitAbortedError, with its hash). */
  readonly receiptSignal: AbortSignal;
  readonly onPhase: (phase: SubmissionPhase, hash?: Hash) => void;
}

/** Thrown (and not logged as a failure) when shutdown came before the transaction was sent. */
export class SubmissionAbandonedError extends Error {
  constructor() {
    super("shutdown requested before the task was sent; nothing was sent");
    this.name = "SubmissionAbandonedError";
  }
}

/**
 * Posts one task. The call is simulated first, so a revert (missing role, bad threshold) is
 * reported with the contract's custom error and costs no gas; viem picks nonce and fees.
 */
export async function submitTask(params: SubmitTaskParams): Promise<CreatedTask> {
  const { client, wallet, taskManager, operands } = params;
  const quorumNumbers = quorumNumbersBytes(params.quorums);
  params.onPhase("preparing");
  const { request } = await client.simulateContract({
    account: wallet.account,
    address: taskManager,
    abi: taskManagerWithErrors,
    functionName: "createNewTask",
    args: [operands.a, operands.b, params.thresholdPercentage, quorumNumbers],
  });
  if (params.signal.aborted) throw new SubmissionAbandonedError();
  params.onPhase("sending");
  const hash = await wallet.writeContract(request);
  params.onPhase("sent", hash);
  const receipt = await waitForReceipt(client, hash, {
    timeoutMs: params.txTimeoutMs,
    pollIntervalMs: params.pollIntervalMs,
    signal: params.receiptSignal,
  });
  if (receipt.status !== "success") throw new TaskTransactionRevertedError(hash);
  const [created] = parseEventLogs({
    abi: taskManagerAbi,
    logs: receipt.logs,
    eventName: "NewTaskCreated",
  }).filter((log) => log.address.toLowerCase() === taskManager.toLowerCase());
  if (created === undefined) throw new MissingTaskEventError(hash);
  const { taskIndex, task } = created.args;
  return {
    taskIndex,
    a: task.a,
    b: task.b,
    taskCreatedBlock: task.taskCreatedBlock,
    quorumThresholdPercentage: task.quorumThresholdPercentage,
    quorumNumbers: task.quorumNumbers,
    hash,
    gasUsed: receipt.gasUsed,
  };
}
