import { taskManagerAbi } from "@avskit/bindings";
import type { Logger, ReadClient } from "@avskit/runtime";
import { type Address, type Hex, parseEventLogs } from "viem";
import type { TaskInfo } from "../task.js";
import { quorumsFromBytes } from "./contracts.js";

/** The Task struct as NewTaskCreated emits it and respondToTask takes it back. */
export interface OnChainTask {
  readonly a: bigint;
  readonly b: bigint;
  readonly taskCreatedBlock: number;
  readonly quorumThresholdPercentage: number;
  readonly quorumNumbers: Hex;
}

export function taskInfoFromEvent(
  taskIndex: number,
  task: OnChainTask,
  responseWindowBlocks: number,
): TaskInfo {
  return {
    taskIndex,
    task,
    quorumNumbers: quorumsFromBytes(task.quorumNumbers),
    thresholdPercentage: task.quorumThresholdPercentage,
    referenceBlock: BigInt(task.taskCreatedBlock),
    lastResponseBlock: BigInt(task.taskCreatedBlock) + BigInt(responseWindowBlocks),
    seenAtMs: Date.now(),
  };
}

export interface TaskLogs {
  readonly created: { taskIndex: number; task: OnChainTask; blockNumber: bigint }[];
  readonly responded: number[];
}

/** NewTaskCreated and TaskResponded logs of the task manager in [fromBlock, toBlock]. */
export async function readTaskLogs(
  client: ReadClient,
  taskManager: Address,
  fromBlock: bigint,
  toBlock: bigint,
): Promise<TaskLogs> {
  const logs = await client.getLogs({ address: taskManager, fromBlock, toBlock });
  const parsed = parseEventLogs({
    abi: taskManagerAbi,
    logs,
    eventName: ["NewTaskCreated", "TaskResponded"],
    strict: true,
  });
  const created: TaskLogs["created"] = [];
  const responded: number[] = [];
  for (const log of parsed) {
    if (log.eventName === "NewTaskCreated") {
      const { taskIndex, task } = log.args as { taskIndex: number; task: OnChainTask };
      created.push({ taskIndex, task, blockNumber: log.blockNumber });
    } else if (log.eventName === "TaskResponded") {
      const { taskResponse } = log.args as { taskResponse: { referenceTaskIndex: number } };
      responded.push(taskResponse.referenceTaskIndex);
    }
  }
  return { created, responded };
}

export interface TaskWatcherOptions {
  readonly client: ReadClient;
  readonly taskManager: Address;
  readonly responseWindowBlocks: number;
  readonly logger: Logger;
  readonly pollIntervalMs: number;
  /** Largest block range per eth_getLogs. */
  readonly maxBlockRange?: number;
  readonly onTask: (task: TaskInfo) => void;
  readonly onResponded: (taskIndex: number) => void;
  readonly onBlock: (blockNumber: bigint) => void;
}

/**
 * Follows the task manager by polling: new blocks, NewTaskCreated (tasks to aggregate) and
 * TaskResponded (tasks someone answered). On start it reads back one response window, so a
 * restarted aggregator picks up every task that can still be answered.
 */
export class TaskWatcher {
  readonly #options: TaskWatcherOptions;
  #scanned = -1n;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #lastPollOk = 0;
  #consecutiveFailures = 0;
  #polling: Promise<void> | undefined;

  constructor(options: TaskWatcherOptions) {
    this.#options = options;
  }

  /** Head block scanned so far, and when the chain last answered. */
  get status(): { scannedBlock: string; lastPollOkAgoMs: number; failures: number } {
    return {
      scannedBlock: this.#scanned.toString(),
      lastPollOkAgoMs: this.#lastPollOk === 0 ? -1 : Date.now() - this.#lastPollOk,
      failures: this.#consecutiveFailures,
    };
  }

  /** Reads back the open window, then keeps polling until stopped. */
  async start(): Promise<void> {
    const head = await this.#options.client.getBlockNumber();
    const from =
      head > BigInt(this.#options.responseWindowBlocks)
        ? head - BigInt(this.#options.responseWindowBlocks)
        : 0n;
    this.#scanned = from - 1n;
    await this.#catchUp(head, true);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#polling = this.poll().finally(() => {
        this.#polling = undefined;
        this.#schedule();
      });
    }, this.#options.pollIntervalMs);
  }

  /** One polling round; errors are logged and retried on the next round. */
  async poll(): Promise<void> {
    try {
      const head = await this.#options.client.getBlockNumber({ cacheTime: 0 });
      await this.#catchUp(head, false);
    } catch (error) {
      this.#consecutiveFailures++;
      this.#options.logger.warn({ err: error, failures: this.#consecutiveFailures }, "cannot poll the chain");
    }
  }

  async #catchUp(head: bigint, startup: boolean): Promise<void> {
    // The head first: tasks found below whose window has already passed are then recorded as
    // expired without being loaded.
    this.#options.onBlock(head);
    const maxRange = BigInt(this.#options.maxBlockRange ?? 2_000);
    while (this.#scanned < head) {
      const from = this.#scanned + 1n;
      const to = head - from + 1n > maxRange ? from + maxRange - 1n : head;
      const logs = await readTaskLogs(this.#options.client, this.#options.taskManager, from, to);
      const responded = new Set(logs.responded);
      for (const created of logs.created) {
        if (startup && responded.has(created.taskIndex)) continue;
        this.#options.onTask(
          taskInfoFromEvent(created.taskIndex, created.task, this.#options.responseWindowBlocks),
        );
      }
      for (const taskIndex of responded) this.#options.onResponded(taskIndex);
      this.#scanned = to;
    }
    this.#lastPollOk = Date.now();
    this.#consecutiveFailures = 0;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#polling;
  }
}
