import { taskManagerAbi } from "@avskit/bindings";
import type { ReadClient } from "@avskit/runtime";
import type { Address, Hash, Hex } from "viem";

/** ITaskManager.TaskResponse. */
export interface TaskResponse {
  readonly referenceTaskIndex: number;
  readonly sum: bigint;
}

/** ITaskManager.TaskResponseMetadata. */
export interface TaskResponseMetadata {
  readonly taskRespondedBlock: number;
  readonly hashOfNonSigners: Hex;
}

/** One TaskResponded event and where it was emitted. */
export interface RespondedTask {
  readonly response: TaskResponse;
  readonly metadata: TaskResponseMetadata;
  readonly txHash: Hash;
  readonly blockNumber: bigint;
}

/**
 * A cursor over TaskResponded events: each poll reads the blocks after the last one read, up
 * to the head, in ranges of at most `maxRange` blocks. The cursor only moves past a range once
 * that range has been read, so an RPC failure loses nothing.
 */
export class ResponseScanner {
  readonly #client: ReadClient;
  readonly #taskManager: Address;
  readonly #maxRange: bigint;
  #lastScanned: bigint;

  constructor(options: { client: ReadClient; taskManager: Address; maxRange: number; startBlock: bigint }) {
    this.#client = options.client;
    this.#taskManager = options.taskManager;
    this.#maxRange = BigInt(options.maxRange);
    this.#lastScanned = options.startBlock - 1n;
  }

  /** The last block whose events have been read (startBlock - 1 before the first poll). */
  get lastScanned(): bigint {
    return this.#lastScanned;
  }

  /** Reads up to `head`; `onEvents` receives each range's events as soon as they are read. */
  async scanTo(head: bigint, onEvents: (events: RespondedTask[]) => void): Promise<void> {
    while (this.#lastScanned < head) {
      const fromBlock = this.#lastScanned + 1n;
      const toBlock = fromBlock + this.#maxRange - 1n < head ? fromBlock + this.#maxRange - 1n : head;
      const logs = await this.#client.getContractEvents({
        address: this.#taskManager,
        abi: taskManagerAbi,
        eventName: "TaskResponded",
        fromBlock,
        toBlock,
        strict: true,
      });
      onEvents(
        logs.map((log) => ({
          response: {
            referenceTaskIndex: log.args.taskResponse.referenceTaskIndex,
            sum: log.args.taskResponse.sum,
          },
          metadata: {
            taskRespondedBlock: log.args.taskResponseMetadata.taskRespondedBlock,
            hashOfNonSigners: log.args.taskResponseMetadata.hashOfNonSigners,
          },
          txHash: log.transactionHash,
          blockNumber: log.blockNumber,
        })),
      );
      this.#lastScanned = toBlock;
    }
  }
}
