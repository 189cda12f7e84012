import { taskManagerAbi } from "@avskit/bindings";
import type { ReadClient } from "@avskit/runtime";
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
 * Finds task `taskIndex` from its NewTaskCreated event (taskIndex is indexed, so the node
 * filters). A response must land within the response window of the task's creation, so the
 * event lies in [respondedBlock - responseWindow, respondedBlock]; tasks are cached by index.
 */
export class TaskLookup {
  readonly #client: ReadClient;
  readonly #taskManager: Address;
  readonly #responseWindow: number;
  readonly #cache = new Map<number, Task>();

  constructor(client: ReadClient, taskManager: Address, responseWindowBlocks: number) {
    this.#client = client;
    this.#taskManager = taskManager;
    this.#responseWindow = responseWindowBlocks;
  }

  async find(taskIndex: number, respondedBlock: number): Promise<Task> {
    const cached = this.#cache.get(taskIndex);
    if (cached) return cached;
    const toBlock = BigInt(respondedBlock);
    const fromBlock = BigInt(Math.max(0, respondedBlock - this.#responseWindow - 1));
    const logs = await this.#client.getContractEvents({
      address: this.#taskManager,
      abi: taskManagerAbi,
      eventName: "NewTaskCreated",
      args: { taskIndex },
      fromBlock,
      toBlock,
      strict: true,
    });
    const found = logs[0]?.args.task;
    if (!found) throw new TaskNotFoundError(taskIndex, fromBlock, toBlock);
    const task: Task = {
      a: found.a,
      b: found.b,
      taskCreatedBlock: found.taskCreatedBlock,
      quorumThresholdPercentage: found.quorumThresholdPercentage,
      quorumNumbers: found.quorumNumbers,
    };
    this.#cache.set(taskIndex, task);
    return task;
  }

  forget(taskIndex: number): void {
    this.#cache.delete(taskIndex);
  }
}
