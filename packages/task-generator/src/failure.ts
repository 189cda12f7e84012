import { describeFailure as describeChainFailure, type FailureDescription } from "@avskit/runtime";
import type { Hash } from "viem";

export type { FailureDescription };

/** A task transaction that was mined but reverted (no revert data is kept in a receipt). */
export class TaskTransactionRevertedError extends Error {
  readonly hash: Hash;
  constructor(hash: Hash) {
    super(`transaction ${hash} was mined but reverted`);
    this.name = "TaskTransactionRevertedError";
    this.hash = hash;
  }
}

/** The receipt arrived without the NewTaskCreated event: the address is not a TaskManager. */
export class MissingTaskEventError extends Error {
  readonly hash: Hash;
  constructor(hash: Hash) {
    super(`transaction ${hash} succeeded but emitted no NewTaskCreated event; is the address a TaskManager?`);
    this.name = "MissingTaskEventError";
    this.hash = hash;
  }
}

/**
 * Sorts a failed submission: a mined-but-reverted task transaction is a revert; anything else
 * is sorted like any viem failure (revert, receipt timeout, RPC, other).
 */
export function describeFailure(error: unknown): FailureDescription {
  if (error instanceof TaskTransactionRevertedError) {
    return { reason: "reverted", message: error.message };
  }
  return describeChainFailure(error);
}
