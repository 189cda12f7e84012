import { taskManagerAbi } from "@avskit/bindings";
import { abortable, type CursorLogs, LogCursor, type Logger, type ReadClient } from "@avskit/runtime";
import type { Address, Hex } from "viem";
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

const TASK_EVENTS: ["NewTaskCreated", "TaskResponded"] = ["NewTaskCreated", "TaskResponded"];
type TaskEventLogs = CursorLogs<typeof taskManagerAbi, typeof TASK_EVENTS>;

export interface TaskWatcherOptions {
  readonly client: ReadClient;
  readonly taskManager: Address;
  readonly responseWindowBlocks: number;
  readonly logger: Logger;
  readonly pollIntervalMs: number;
  /** Largest block range per eth_getLogs (the cursor's default when omitted). */
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
  #cursor: LogCursor<typeof taskManagerAbi, typeof TASK_EVENTS> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #stopping = new AbortController();
  #lastPollOk = 0;
  #consecutiveFailures = 0;
  #polling: Promise<void> | undefined;

  constructor(options: TaskWatcherOptions) {
    this.#options = options;
  }

  /** Head block scanned so far, and when the chain last answered. */
  get status(): { scannedBlock: string; lastPollOkAgoMs: number; failures: number } {
    return {
      scannedBlock: (this.#cursor?.lastRead ?? -1n).toString(),
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
    this.#cursor = new LogCursor({
      client: this.#options.client,
      address: this.#options.taskManager,
      abi: taskManagerAbi,
      eventNames: TASK_EVENTS,
      fromBlock: from,
      ...(this.#options.maxBlockRange !== undefined ? { maxRange: this.#options.maxBlockRange } : {}),
    });
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
      const head = await abortable(
        this.#options.client.getBlockNumber({ cacheTime: 0 }),
        this.#stopping.signal,
      );
      await this.#catchUp(head, false);
    } catch (error) {
      if (this.#stopping.signal.aborted) return;
      this.#consecutiveFailures++;
      this.#options.logger.warn({ err: error, failures: this.#consecutiveFailures }, "cannot poll the chain");
    }
  }

  async #catchUp(head: bigint, startup: boolean): Promise<void> {
    // The head first: tasks found below whose window has already passed are then recorded as
    // expired without being loaded.
    this.#options.onBlock(head);
    await this.#cursor!.readTo(head, (logs) => this.#handle(logs, startup), {
      signal: this.#stopping.signal,
    });
    this.#lastPollOk = Date.now();
    this.#consecutiveFailures = 0;
  }

  #handle(logs: TaskEventLogs, startup: boolean): void {
    const responded = new Set<number>();
    for (const log of logs) {
      if (log.eventName === "TaskResponded") responded.add(log.args.taskResponse.referenceTaskIndex);
    }
    for (const log of logs) {
      if (log.eventName !== "NewTaskCreated") continue;
      const { taskIndex, task } = log.args;
      // Read back at start-up, a task answered in the meantime needs no aggregation.
      if (startup && responded.has(taskIndex)) continue;
      this.#options.onTask(taskInfoFromEvent(taskIndex, task, this.#options.responseWindowBlocks));
    }
    for (const taskIndex of responded) this.#options.onResponded(taskIndex);
  }

  /** Stops polling; a round waiting on a hung request is cut short. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopping.abort(new Error("watcher stopped"));
    clearTimeout(this.#timer);
    await this.#polling;
  }
}
