import { taskManagerAbi } from "@avskit/bindings";
import { abortable, LogCursor, type Logger, type ReadClient, sleep } from "@avskit/runtime";
import type { Address } from "viem";
import type { Task } from "./task.js";

export interface TaskWatcherOptions {
  readonly client: ReadClient;
  readonly taskManager: Address;
  /** The task manager's TASK_RESPONSE_WINDOW_BLOCK: how far back a (re)start looks. */
  readonly windowBlocks: number;
  readonly pollIntervalMs: number;
  /** Largest getLogs range per request (RPC providers cap it; the runtime's default when omitted). */
  readonly maxBlockRange?: number;
  readonly logger: Logger;
  readonly onTask: (task: Task, head: bigint) => void;
  readonly onPoll?: (head: bigint) => void;
  readonly onError?: (error: unknown) => void;
}

/**
 * Polls `NewTaskCreated` logs with the runtime's LogCursor. It starts `windowBlocks` behind the
 * head, so after a restart it sees again every task that may still be answered; each task index
 * is reported once per watcher. A failed poll keeps the cursor where it was and is retried.
 */
export class TaskWatcher {
  readonly #options: TaskWatcherOptions;
  #cursor: LogCursor<typeof taskManagerAbi, ["NewTaskCreated"]> | undefined;
  #head: bigint | undefined;
  #lastPollAt: number | undefined;
  readonly #reported = new Map<number, number>(); // taskIndex → taskCreatedBlock

  constructor(options: TaskWatcherOptions) {
    this.#options = options;
  }

  /** The latest block seen, or undefined before the first successful poll. */
  get head(): bigint | undefined {
    return this.#head;
  }

  /** Wall-clock time (ms) of the last successful poll. */
  get lastPollAt(): number | undefined {
    return this.#lastPollAt;
  }

  /** Polls until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.pollOnce(signal);
      } catch (error) {
        if (signal.aborted) break;
        this.#options.onError?.(error);
        this.#options.logger.warn({ err: error }, "polling for tasks failed; retrying at the next interval");
      }
      await sleep(this.#options.pollIntervalMs, signal);
    }
  }

  /** One poll: reads logs from the cursor to the current head; `signal` cuts a hung request short. */
  async pollOnce(signal?: AbortSignal): Promise<void> {
    const { client, taskManager, windowBlocks } = this.#options;
    const head = await abortable(client.getBlockNumber({ cacheTime: 0 }), signal);
    this.#head = head;
    if (this.#cursor === undefined) {
      const fromBlock = head > BigInt(windowBlocks) ? head - BigInt(windowBlocks) : 0n;
      this.#cursor = new LogCursor({
        client,
        address: taskManager,
        abi: taskManagerAbi,
        eventNames: ["NewTaskCreated"],
        fromBlock,
        ...(this.#options.maxBlockRange !== undefined ? { maxRange: this.#options.maxBlockRange } : {}),
      });
      this.#options.logger.info(
        { fromBlock, head, windowBlocks },
        "watching for tasks (catching up on the response window)",
      );
    }
    await this.#cursor.readTo(
      head,
      (logs) => {
        for (const log of logs) {
          const { taskIndex, task } = log.args;
          if (this.#reported.has(taskIndex)) continue;
          this.#reported.set(taskIndex, task.taskCreatedBlock);
          this.#options.onTask(
            {
              taskIndex,
              a: task.a,
              b: task.b,
              taskCreatedBlock: task.taskCreatedBlock,
              quorumThresholdPercentage: task.quorumThresholdPercentage,
              quorumNumbers: task.quorumNumbers,
            },
            head,
          );
        }
      },
      signal ? { signal } : {},
    );
    this.#forgetOldTasks(head);
    this.#lastPollAt = Date.now();
    this.#options.onPoll?.(head);
  }

  /** Tasks older than the window can never be reported again (the cursor has passed them). */
  #forgetOldTasks(head: bigint): void {
    const horizon = Number(head) - this.#options.windowBlocks * 2;
    for (const [taskIndex, createdBlock] of this.#reported) {
      if (createdBlock < horizon) this.#reported.delete(taskIndex);
    }
  }
}
