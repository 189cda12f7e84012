import type { Hex } from "viem";
import type { TaskInfo } from "./task.js";
import type { Submission } from "./task-aggregation.js";

/** How a submission ended. */
export type SubmitResult =
  | {
      readonly kind: "responded";
      readonly txHash: Hex;
      readonly gasUsed: bigint;
      readonly blockNumber: bigint;
    }
  /** Someone (an earlier run of this aggregator, or another one) responded first. */
  | { readonly kind: "already-responded" }
  /**
   * The service's stop ended the submission before its outcome was known: with `txHash` the
   * transaction was sent and may still land (a restarted aggregator sees its TaskResponded);
   * without, nothing was sent.
   */
  | { readonly kind: "cut-off"; readonly txHash: Hex | undefined; readonly reason: string };

/**
 * Lands `respondToTask` for a submission. The chain implementation checks first whether the task
 * was already responded, builds the signature-check input, estimates gas, manages the nonce and
 * retries transient failures until the response window closes; it throws when it gives up, and
 * resolves as `cut-off` when the service's stop ends it.
 */
export interface ResponseSubmitter {
  submit(task: TaskInfo, submission: Submission, onSent: (txHash: Hex) => void): Promise<SubmitResult>;
}

/** The chain refused a response for good (window closed, or a revert other than "already responded"). */
export class SubmissionFailedError extends Error {
  readonly taskIndex: number;
  constructor(taskIndex: number, message: string, options?: ErrorOptions) {
    super(`task ${taskIndex}: ${message}`, options);
    this.name = "SubmissionFailedError";
    this.taskIndex = taskIndex;
  }
}

/**
 * The chain's own signature check (run by the simulation before anything is sent) refused
 * the aggregate. Nothing was sent; the aggregator re-checks the signatures one by one.
 */
export class AggregateRejectedError extends SubmissionFailedError {
  constructor(taskIndex: number, revert: string, options?: ErrorOptions) {
    super(taskIndex, `the signature checker refused the aggregate (${revert})`, options);
    this.name = "AggregateRejectedError";
  }
}
