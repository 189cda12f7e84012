import { taskManagerAbi } from "@avskit/bindings";
import { LogCursor, type ReadClient } from "@avskit/runtime";
import type { Address, Hex } from "viem";
import { TaskNotFoundError } from "./errors.js";

/** ITaskManager.Task, as emitted by NewTaskCreated. */
export interface Task {
  readonly a: bigint;
  readonly b: bigint;
  readonly taskCreatedBlock: number;
  readonly quorumThresholdPercentage: number;
  readonly quorumNumbers: Hex;
}

/**
 * Finds task `taskIndex` from its NewTaskCreated event. A response must land within the response
 * window of the task's creation, so the event lies in [respondedBlock - responseWindow,
 * respondedBlock]; that range is read through the runtime's LogCursor, in ranges of at most
 * `maxRange` blocks (a long window would exceed a provider's eth_getLogs cap). The cursor reads
 * every TaskManager event of the range, a handful per task. Tasks are cached by index.
 */
export class TaskLookup {
  readonly #client: ReadClient;
  readonly #taskManager: Address;
  readonly #responseWindow: number;
  readonly #maxRange: number;
  readonly #cache = new Map<number, Task>();

  constructor(options: {
    client: ReadClient;
    taskManager: Address;
    responseWindowBlocks: number;
    maxRange: number;
  }) {
    this.#client = options.client;
    this.#taskManager = options.taskManager;
    this.#responseWindow = options.responseWindowBlocks;
    this.#maxRange = options.maxRange;
  }

  async find(taskIndex: number, respondedBlock: number): Promise<Task> {
    const cached = this.#cache.get(taskIndex);
    if (cached) return cached;
    const toBlock = BigInt(respondedBlock);
    const fromBlock = BigInt(Math.max(0, respondedBlock - this.#responseWindow - 1));
    const cursor = new LogCursor({
      client: this.#client,
      address: this.#taskManager,
      abi: taskManagerAbi,
      eventNames: ["NewTaskCreated"],
      fromBlock,
      maxRange: this.#maxRange,
    });
    let task: Task | undefined;
    await cursor.readTo(toBlock, (logs) => {
      const created = logs.find((log) => log.args.taskIndex === taskIndex)?.args.task;
      if (created !== undefined && task === undefined) {
        task = {
          a: created.a,
          b: created.b,
          taskCreatedBlock: created.taskCreatedBlock,
          quorumThresholdPercentage: created.quorumThresholdPercentage,
          quorumNumbers: created.quorumNumbers,
        };
      }
    });
    if (task === undefined) throw new TaskNotFoundError(taskIndex, fromBlock, toBlock);
    this.#cache.set(taskIndex, task);
    return task;
  }

  forget(taskIndex: number): void {
    this.#cache.delete(taskIndex);
  }
}
