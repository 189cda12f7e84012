import { type Logger, type ReadClient, ReceiptWaitAbortedError, type WriteClient } from "@avskit/runtime";
import type { Address, Hash } from "viem";
import { describeFailure } from "./failure.js";
import type { TaskGeneratorMetrics } from "./metrics.js";
import { randomOperands } from "./operands.js";
import { type CreatedTask, SubmissionAbandonedError, type SubmissionPhase, submitTask } from "./submit.js";

export interface TaskLoopSettings {
  readonly taskManager: Address;
  readonly quorums: readonly number[];
  readonly intervalMs: number;
  readonly thresholdPercentage: number;
  readonly maxOperand: bigint;
  readonly maxTasks: number | undefined;
  readonly txTimeoutMs: number;
  readonly pollIntervalMs: number;
  /** How long a stop waits for the receipt of a transaction already sent. */
  readonly shutdownGraceMs: number;
}

export interface TaskLoopStatus {
  readonly running: boolean;
  readonly tasksCreated: number;
  readonly lastTaskIndex: number | undefined;
  readonly consecutiveFailures: number;
  readonly lastError: string | undefined;
}

/** Consecutive failed ticks after which /health reports unhealthy. */
const UNHEALTHY_AFTER_FAILURES = 3;

/**
 * The timer: a task at once, then one per interval. Never two submissions at a time: a tick
 * that finds the previous one still pending is skipped and logged. Failures are logged and
 * counted; the next tick tries again. `stopSignal` (the service's stop request) ends the ticks.
 */
export class TaskLoop {
  readonly #client: ReadClient;
  readonly #wallet: WriteClient;
  readonly #settings: TaskLoopSettings;
  readonly #logger: Logger;
  readonly #metrics: TaskGeneratorMetrics;
  readonly #stopSignal: AbortSignal;
  /** Aborted once the stop's grace period is over: the receipt wait of a sent task ends. */
  readonly #cutoff = new AbortController();
  readonly #onFinished: (reason: string) => void;
  #startedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #phase: SubmissionPhase | undefined;
  #pendingHash: Hash | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #tasksCreated = 0;
  #lastTaskIndex: number | undefined;
  #consecutiveFailures = 0;
  #lastError: string | undefined;

  constructor(options: {
    client: ReadClient;
    wallet: WriteClient;
    settings: TaskLoopSettings;
    logger: Logger;
    metrics: TaskGeneratorMetrics;
    /** Aborted when the service is asked to stop: no task is sent after it. */
    stopSignal: AbortSignal;
    /** Called once when the loop stops by itself (--max-tasks reached). */
    onFinished: (reason: string) => void;
  }) {
    this.#client = options.client;
    this.#wallet = options.wallet;
    this.#settings = options.settings;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#onFinished = options.onFinished;
    this.#stopSignal = options.stopSignal;
    if (this.#stopSignal.aborted) this.#stopping = true;
    else this.#stopSignal.addEventListener("abort", () => void this.stop(), { once: true });
  }

  get status(): TaskLoopStatus {
    return {
      running: !this.#stopping,
      tasksCreated: this.#tasksCreated,
      lastTaskIndex: this.#lastTaskIndex,
      consecutiveFailures: this.#consecutiveFailures,
      lastError: this.#lastError,
    };
  }

  get healthy(): boolean {
    return !this.#stopping && this.#consecutiveFailures < UNHEALTHY_AFTER_FAILURES;
  }

  start(): void {
    if (this.#stopping) return;
    this.#startedAt = Date.now();
    this.#tick(0);
  }

  #scheduleAfter(tick: number): void {
    if (this.#stopping) return;
    // Ticks missed while the process was starved are dropped, not fired in a burst.
    const elapsed = Date.now() - this.#startedAt;
    const next = Math.max(tick + 1, Math.floor(elapsed / this.#settings.intervalMs) + 1);
    const delay = Math.max(0, this.#startedAt + next * this.#settings.intervalMs - Date.now());
    this.#timer = setTimeout(() => this.#tick(next), delay);
  }

  #tick(tick: number): void {
    if (this.#stopping) return;
    if (this.#inFlight) {
      this.#metrics.ticksSkipped.inc();
      this.#logger.warn(
        { tick, phase: this.#phase, pendingTx: this.#pendingHash },
        "previous task still pending; skipping this tick",
      );
    } else {
      this.#inFlight = this.#submitOnce().finally(() => {
        this.#inFlight = undefined;
        this.#phase = undefined;
        this.#pendingHash = undefined;
        const { maxTasks } = this.#settings;
        if (maxTasks !== undefined && this.#tasksCreated >= maxTasks && !this.#stopping) {
          this.#onFinished(`--max-tasks ${maxTasks} reached`);
        }
      });
    }
    this.#scheduleAfter(tick);
  }

  async #submitOnce(): Promise<void> {
    const operands = randomOperands(this.#settings.maxOperand);
    const started = Date.now();
    try {
      const task = await submitTask({
        client: this.#client,
        wallet: this.#wallet,
        taskManager: this.#settings.taskManager,
        operands,
        thresholdPercentage: this.#settings.thresholdPercentage,
        quorums: this.#settings.quorums,
        txTimeoutMs: this.#settings.txTimeoutMs,
        pollIntervalMs: this.#settings.pollIntervalMs,
        signal: this.#stopSignal,
        receiptSignal: this.#cutoff.signal,
        onPhase: (phase, hash) => {
          this.#phase = phase;
          this.#pendingHash = hash;
        },
      });
      this.#recordSuccess(task, Date.now() - started);
    } catch (error) {
      if (error instanceof SubmissionAbandonedError) return;
      if (error instanceof ReceiptWaitAbortedError) {
        // Not a failure: the stop came first. The hash is all that is known; the log keeps it.
        this.#logger.warn(
          { tx: error.hash, a: operands.a.toString(), b: operands.b.toString() },
          "task transaction sent, outcome unknown: stopped waiting for its receipt; it may still be mined",
        );
        return;
      }
      this.#recordFailure(error, operands.a, operands.b);
    }
  }

  #recordSuccess(task: CreatedTask, latencyMs: number): void {
    this.#tasksCreated += 1;
    this.#lastTaskIndex = task.taskIndex;
    this.#consecutiveFailures = 0;
    this.#lastError = undefined;
    this.#metrics.tasksCreated.inc();
    this.#metrics.lastTaskIndex.set(task.taskIndex);
    this.#logger.info(
      {
        taskIndex: task.taskIndex,
        a: task.a.toString(),
        b: task.b.toString(),
        quorums: this.#settings.quorums,
        thresholdPercentage: task.quorumThresholdPercentage,
        taskCreatedBlock: task.taskCreatedBlock,
        tx: task.hash,
        gasUsed: Number(task.gasUsed),
        latencyMs,
      },
      "task created",
    );
  }

  #recordFailure(error: unknown, a: bigint, b: bigint): void {
    const failure = describeFailure(error);
    this.#consecutiveFailures += 1;
    this.#lastError = failure.errorName ?? failure.message;
    this.#metrics.failures.inc({ reason: failure.reason });
    const context = { reason: failure.reason, a: a.toString(), b: b.toString(), tx: this.#pendingHash };
    switch (failure.reason) {
      case "reverted":
        this.#logger.error(
          {
            ...context,
            errorName: failure.errorName,
            errorArgs: failure.errorArgs?.map((arg) => (typeof arg === "bigint" ? arg.toString() : arg)),
            detail: failure.message,
          },
          `createNewTask reverted: ${failure.errorName ?? "no error data"}`,
        );
        break;
      case "rpc":
        this.#logger.warn(
          { ...context, detail: failure.message },
          "RPC endpoint unavailable; the next tick tries again",
        );
        break;
      case "timeout":
        this.#logger.warn(
          { ...context, detail: failure.message },
          "task transaction not mined within --tx-timeout; it may still be mined",
        );
        break;
      default:
        this.#logger.error({ ...context, err: error }, "task submission failed");
    }
  }

  /**
   * Stops ticking. A submission not yet sent is abandoned (nothing is sent); one already sent
   * is waited for up to the grace period, then its receipt wait is cut off and its hash logged
   * ("sent, outcome unknown"). Settles once nothing is in flight any more.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    const inFlight = this.#inFlight;
    if (!inFlight) return;
    if (this.#phase === "preparing") {
      await inFlight;
      this.#logger.info("in-flight task abandoned before it was sent; nothing was sent");
      return;
    }
    const hash = this.#pendingHash;
    const graceMs = this.#settings.shutdownGraceMs;
    this.#logger.info({ tx: hash, graceMs }, "waiting for the in-flight task");
    const graceTimer = setTimeout(
      () => this.#cutoff.abort(new Error(`not mined within the ${graceMs} ms stop grace period`)),
      graceMs,
    );
    await inFlight;
    clearTimeout(graceTimer);
    if (!this.#cutoff.signal.aborted) {
      this.#logger.info({ tx: hash, lastTaskIndex: this.#lastTaskIndex }, "in-flight task finished");
    }
  }
}
