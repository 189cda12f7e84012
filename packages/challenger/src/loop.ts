import { type Logger, type ReadClient, ReceiptWaitAbortedError, sleep } from "@avskit/runtime";
import type { ResponseChecker, Settlement } from "./checker.js";
import { ChallengeNotSentError } from "./errors.js";
import { describeFailure } from "./failure.js";
import type { ChallengerMetrics } from "./metrics.js";
import { type RespondedTask, ResponseScanner } from "./scanner.js";
import type { ChallengeTarget } from "./target.js";

export interface ChallengerStatus {
  readonly running: boolean;
  readonly lastScannedBlock: number | undefined;
  readonly pending: number;
  readonly settled: number;
  readonly consecutivePollFailures: number;
  readonly lastError: string | undefined;
}

/** Consecutive failed polls after which /health reports unhealthy. */
const UNHEALTHY_AFTER_FAILURES = 3;

/**
 * Polls TaskResponded events and settles each response: correct ones are left alone, wrong
 * ones are challenged. On start it reads back one challenge window, so responses made while it
 * was down are still checked. RPC failures are logged and retried on the next poll while the
 * response's window is open. `stopSignal` (the service's stop request) ends the polling: no
 * challenge is sent after it.
 */
export class ChallengeLoop {
  readonly #client: ReadClient;
  readonly #target: ChallengeTarget;
  readonly #checker: ResponseChecker;
  readonly #logger: Logger;
  readonly #metrics: ChallengerMetrics;
  readonly #pollIntervalMs: number;
  readonly #maxLogRange: number;
  readonly #onSettled: ((taskIndex: number, settlement: Settlement) => void) | undefined;
  readonly #stopSignal: AbortSignal;
  readonly #pending = new Map<number, RespondedTask>();
  #settledCount = 0;
  #scanner: ResponseScanner | undefined;
  #consecutiveFailures = 0;
  #lastError: string | undefined;
  #running: Promise<void> | undefined;

  constructor(options: {
    client: ReadClient;
    target: ChallengeTarget;
    checker: ResponseChecker;
    logger: Logger;
    metrics: ChallengerMetrics;
    pollIntervalMs: number;
    maxLogRange: number;
    onSettled: ((taskIndex: number, settlement: Settlement) => void) | undefined;
    stopSignal: AbortSignal;
  }) {
    this.#client = options.client;
    this.#target = options.target;
    this.#checker = options.checker;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#pollIntervalMs = options.pollIntervalMs;
    this.#maxLogRange = options.maxLogRange;
    this.#onSettled = options.onSettled;
    this.#stopSignal = options.stopSignal;
  }

  get status(): ChallengerStatus {
    return {
      running: !this.#stopSignal.aborted,
      lastScannedBlock: this.#scanner ? Number(this.#scanner.lastScanned) : undefined,
      pending: this.#pending.size,
      settled: this.#settledCount,
      consecutivePollFailures: this.#consecutiveFailures,
      lastError: this.#lastError,
    };
  }

  get healthy(): boolean {
    return !this.#stopSignal.aborted && this.#consecutiveFailures < UNHEALTHY_AFTER_FAILURES;
  }

  start(): void {
    this.#running = this.#run();
  }

  /**
   * Settles once the loop has ended: the stop signal ends it after the current step. A challenge
   * already sent is waited for until its receipt wait is cut off (the checker's receiptSignal),
   * then its hash is logged as sent with its outcome unknown.
   */
  async ended(): Promise<void> {
    await this.#running;
  }

  async #run(): Promise<void> {
    while (!this.#stopSignal.aborted) {
      try {
        await this.#poll();
        this.#consecutiveFailures = 0;
        this.#lastError = undefined;
      } catch (error) {
        this.#consecutiveFailures += 1;
        const failure = describeFailure(error);
        this.#lastError = failure.message;
        if (failure.reason === "rpc") {
          this.#logger.warn(
            { detail: failure.message },
            "RPC endpoint unavailable; retrying on the next poll",
          );
        } else {
          this.#logger.error({ err: error }, "poll failed; retrying on the next poll");
        }
      }
      await sleep(this.#pollIntervalMs, this.#stopSignal);
    }
  }

  async #poll(): Promise<void> {
    const head = await this.#client.getBlockNumber({ cacheTime: 0 });
    if (!this.#scanner) {
      // A response in block R can be challenged up to block R + window; the next block is head + 1.
      const firstOpen = head + 1n - BigInt(this.#target.challengeWindowBlocks);
      const startBlock = firstOpen > 0n ? firstOpen : 0n;
      this.#scanner = new ResponseScanner({
        client: this.#client,
        taskManager: this.#target.taskManager,
        maxRange: this.#maxLogRange,
        startBlock,
      });
      this.#logger.info(
        {
          fromBlock: Number(startBlock),
          head: Number(head),
          challengeWindowBlocks: this.#target.challengeWindowBlocks,
        },
        "scanning responses from one challenge window back",
      );
    }
    await this.#scanner.scanTo(head, (events) => {
      for (const event of events) {
        const taskIndex = event.response.referenceTaskIndex;
        // The cursor never reads a block twice, and a task has at most one response.
        this.#pending.set(taskIndex, event);
      }
    });
    this.#metrics.lastScannedBlock.set(Number(this.#scanner.lastScanned));
    await this.#settlePending(head);
  }

  async #settlePending(head: bigint): Promise<void> {
    const ordered = [...this.#pending.entries()].sort(([x], [y]) => x - y);
    for (const [taskIndex, responded] of ordered) {
      if (this.#stopSignal.aborted) break;
      // A challenge sent now lands in block head + 1 at the earliest.
      const deadline = responded.metadata.taskRespondedBlock + this.#target.challengeWindowBlocks;
      if (head + 1n > BigInt(deadline)) {
        this.#pending.delete(taskIndex);
        const verdict = this.#checker.drop(taskIndex);
        this.#settledCount += 1;
        this.#metrics.responsesExpired.inc();
        // Only a response known to be wrong is a missed challenge; an unchecked one may be right.
        if (verdict === "wrong") this.#metrics.challengesFailed.inc({ reason: "window-closed" });
        this.#logger.warn(
          { taskIndex, verdict: verdict ?? "unchecked", deadlineBlock: deadline, head: Number(head) },
          "challenge window closed before the response was settled",
        );
        this.#onSettled?.(taskIndex, { kind: "expired", verdict });
        continue;
      }
      let settlement: Settlement;
      try {
        settlement = await this.#checker.settle(responded);
      } catch (error) {
        // Cut off by the stop: the response stays unsettled; a restart reads it again while its
        // window is open (and finds it challenged if the transaction was mined).
        if (error instanceof ChallengeNotSentError) {
          this.#logger.info({ taskIndex }, "stopping: the challenge was not sent");
          break;
        }
        if (error instanceof ReceiptWaitAbortedError) {
          this.#logger.warn(
            { taskIndex, tx: error.hash },
            "challenge transaction sent, outcome unknown: stopped waiting for its receipt; it may still be mined",
          );
          break;
        }
        // The response stays pending and is retried on the next poll, while its window is open.
        if (describeFailure(error).reason === "rpc") {
          this.#metrics.pendingResponses.set(this.#pending.size);
          throw error;
        }
        this.#logger.warn(
          { taskIndex, err: error },
          "could not settle the response yet; retrying on the next poll",
        );
        continue;
      }
      this.#pending.delete(taskIndex);
      this.#settledCount += 1;
      this.#onSettled?.(taskIndex, settlement);
    }
    this.#metrics.pendingResponses.set(this.#pending.size);
  }
}
