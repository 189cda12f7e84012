import type { Hash, Hex } from "viem";

/** No NewTaskCreated event for a responded task where the response window says it must be. */
export class TaskNotFoundError extends Error {
  readonly taskIndex: number;
  constructor(taskIndex: number, fromBlock: bigint, toBlock: bigint) {
    super(`no NewTaskCreated event for task ${taskIndex} in blocks ${fromBlock}..${toBlock}`);
    this.name = "TaskNotFoundError";
    this.taskIndex = taskIndex;
  }
}

/**
 * The non-signers' keys could not be recovered from the response transaction (neither from its
 * calldata nor from a call trace) such that they hash to the recorded hashOfNonSigners.
 */
export class NonSignersUnavailableError extends Error {
  readonly taskIndex: number;
  readonly responseTx: Hash;
  readonly expectedHash: Hex;
  constructor(taskIndex: number, responseTx: Hash, expectedHash: Hex, detail: string) {
    super(
      `cannot recover the non-signer keys of task ${taskIndex} from its response transaction ${responseTx}: ${detail}`,
    );
    this.name = "NonSignersUnavailableError";
    this.taskIndex = taskIndex;
    this.responseTx = responseTx;
    this.expectedHash = expectedHash;
  }
}

/** A stop came after the challenge was prepared and before it was sent: nothing was sent. */
export class ChallengeNotSentError extends Error {
  readonly taskIndex: number;
  constructor(taskIndex: number) {
    super(`stopping: the challenge of task ${taskIndex} was not sent`);
    this.name = "ChallengeNotSentError";
    this.taskIndex = taskIndex;
  }
}
