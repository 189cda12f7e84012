import type { Address, Hash, Hex } from "viem";

/** The TaskManager address holds no contract on this chain (wrong chain, or not deployed yet). */
export class TaskManagerNotDeployedError extends Error {
  readonly address: Address;
  readonly chainId: number;
  constructor(address: Address, chainId: number, source: string) {
    super(
      `no contract at the TaskManager address ${address} (from ${source}) on chain ${chainId}; deploy first`,
    );
    this.name = "TaskManagerNotDeployedError";
    this.address = address;
    this.chainId = chainId;
  }
}

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
