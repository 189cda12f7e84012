import { taskManagerAbi } from "@avskit/bindings";
import { LogCursor, type ReadClient } from "@avskit/runtime";
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
 * TaskResponded events, in block order: each poll reads the blocks after the last one read, up
 * to the head, through the runtime's LogCursor (ranges of at most `maxRange` blocks; it moves
 * past a range only once its events were handed over, so an RPC failure loses nothing).
 */
export class ResponseScanner {
  readonly #cursor: LogCursor<typeof taskManagerAbi, ["TaskResponded"]>;

  constructor(options: { client: ReadClient; taskManager: Address; maxRange: number; startBlock: bigint }) {
    this.#cursor = new LogCursor({
      client: options.client,
      address: options.taskManager,
      abi: taskManagerAbi,
      eventNames: ["TaskResponded"],
      fromBlock: options.startBlock,
      maxRange: options.maxRange,
    });
  }

  /** The last block whose events have been read (startBlock - 1 before the first poll). */
  get lastScanned(): bigint {
    return this.#cursor.lastRead;
  }

  /** Reads up to `head`; `onEvents` receives each range's events as soon as they are read. */
  async scanTo(head: bigint, onEvents: (events: RespondedTask[]) => void): Promise<void> {
    await this.#cursor.readTo(head, (logs) =>
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
      ),
    );
  }
}
