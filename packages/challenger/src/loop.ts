import {
  connectChain,
  createLogger,
  type Logger,
  loadConfiguredSigner,
  type ReadClient,
  type Registry,
  type RunningServer,
  sleep,
  startOpsServer,
  walletFor,
} from "@avskit/runtime";
import type { Account, Address } from "viem";
import { ResponseChecker, type Settlement } from "./checker.js";
import { describeFailure } from "./failure.js";
import { type ChallengerMetrics, createChallengerMetrics } from "./metrics.js";
import { type ChallengerConfig, ENV_PREFIX } from "./options.js";
import { type RespondedTask, ResponseScanner } from "./scanner.js";
import { type ChallengeTarget, resolveChallengeTarget } from "./target.js";
import { TaskLookup } from "./task-lookup.js";

export interface ChallengerDeps {
  /** Defaults to a JSON logger at the config's level and format. */
  readonly logger?: Logger;
  /** Registry to add the metrics to; a fresh one by default. */
  readonly registry?: Registry;
  /** The account that pays for challenges; loaded from the config's key or keystore when omitted. */
  readonly account?: Account;
  /** Called with each settled response (tests and the devnet's progress view use it). */
  readonly onSettled?: (taskIndex: number, settlement: Settlement) => void;
  /** How long stop() waits for a challenge transaction already sent (default 10 s). */
  readonly shutdownGraceMs?: number;
}

export interface ChallengerStatus {
  readonly running: boolean;
  readonly lastScannedBlock: number | undefined;
  readonly pending: number;
  readonly settled: number;
  readonly consecutivePollFailures: number;
  readonly lastError: string | undefined;
}

export interface Challenger {
  readonly taskManager: Address;
  readonly sender: Address;
  readonly challengeWindowBlocks: number;
  /** The /metrics and /health base URL, when served. */
  readonly opsUrl: string | undefined;
  readonly metrics: ChallengerMetrics;
  readonly status: () => ChallengerStatus;
  /** Settles once the challenger has stopped. */
  readonly done: Promise<void>;
  /** Stops polling after the current step (a challenge already sent is waited for) and closes the ops server. Idempotent. */
  stop(reason?: string): Promise<void>;
}

/** Consecutive failed polls after which /health reports unhealthy. */
const UNHEALTHY_AFTER_FAILURES = 3;

/**
 * Polls TaskResponded events and settles each response: correct ones are left alone, wrong
 * ones are challenged. On start it reads back one challenge window, so responses made while it
 * was down are still checked. RPC failures are logged and retried on the next poll while the
 * response's window is open.
 */
class ChallengeLoop {
  readonly #client: ReadClient;
  readonly #target: ChallengeTarget;
  readonly #checker: ResponseChecker;
  readonly #logger: Logger;
  readonly #metrics: ChallengerMetrics;
  readonly #pollIntervalMs: number;
  readonly #maxLogRange: number;
  readonly #onSettled: ((taskIndex: number, settlement: Settlement) => void) | undefined;
  readonly #abort = new AbortController();
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
  }) {
    this.#client = options.client;
    this.#target = options.target;
    this.#checker = options.checker;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#pollIntervalMs = options.pollIntervalMs;
    this.#maxLogRange = options.maxLogRange;
    this.#onSettled = options.onSettled;
  }

  get status(): ChallengerStatus {
    return {
      running: !this.#abort.signal.aborted,
      lastScannedBlock: this.#scanner ? Number(this.#scanner.lastScanned) : undefined,
      pending: this.#pending.size,
      settled: this.#settledCount,
      consecutivePollFailures: this.#consecutiveFailures,
      lastError: this.#lastError,
    };
  }

  get healthy(): boolean {
    return !this.#abort.signal.aborted && this.#consecutiveFailures < UNHEALTHY_AFTER_FAILURES;
  }

  start(): void {
    this.#running = this.#run();
  }

  /**
   * Stops after the current step. A challenge already sent is waited for up to `graceMs`; past
   * that the loop is abandoned (the transaction may still be mined) and the log says so.
   */
  async stop(graceMs: number): Promise<void> {
    this.#abort.abort();
    const running = this.#running;
    if (!running) return;
    const grace = new AbortController();
    const outcome = await Promise.race([
      running.then(() => "finished" as const),
      sleep(graceMs, grace.signal).then(() => "abandoned" as const),
    ]);
    grace.abort();
    if (outcome === "abandoned") {
      this.#logger.warn(
        { graceMs },
        "abandoned the current step at shutdown; a challenge transaction already sent may still be mined",
      );
    }
  }

  async #run(): Promise<void> {
    while (!this.#abort.signal.aborted) {
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
      await sleep(this.#pollIntervalMs, this.#abort.signal);
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
      if (this.#abort.signal.aborted) break;
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

/**
 * Connects, finds the TaskManager and its windows, and starts watching. Start-up problems
 * (unreachable RPC, no deployment, no signer) are thrown; once running, failures are logged and
 * retried.
 */
export async function startChallenger(
  config: ChallengerConfig,
  deps: ChallengerDeps = {},
): Promise<Challenger> {
  const logger =
    deps.logger ?? createLogger({ name: "challenger", level: config.logLevel, format: config.logFormat });
  const account = deps.account ?? (await loadConfiguredSigner(config, ENV_PREFIX));
  const chainOptions = {
    rpcUrl: config.rpcUrl,
    pollingIntervalMs: Math.min(config.pollInterval, 1_000),
    retryCount: 1,
  };
  const client = await connectChain(chainOptions);
  const wallet = walletFor(client, account, chainOptions);
  const target = await resolveChallengeTarget(client, {
    taskManagerAddr: config.taskManagerAddr,
    deploymentsDir: config.deploymentsDir,
  });
  const metrics = createChallengerMetrics(deps.registry);
  const checker = new ResponseChecker({
    client,
    wallet,
    taskManager: target.taskManager,
    tasks: new TaskLookup(client, target.taskManager, target.responseWindowBlocks),
    logger,
    metrics,
    txTimeoutMs: config.txTimeout,
    pollIntervalMs: Math.min(config.pollInterval, 1_000),
  });
  const loop = new ChallengeLoop({
    client,
    target,
    checker,
    logger,
    metrics,
    pollIntervalMs: config.pollInterval,
    maxLogRange: config.maxLogRange,
    onSettled: deps.onSettled,
  });

  let opsServer: RunningServer | undefined;
  if (config.metricsAddr) {
    opsServer = await startOpsServer({
      host: config.metricsAddr.host,
      port: config.metricsAddr.port,
      registry: metrics.registry,
      logger,
      health: () => ({ healthy: loop.healthy, taskManager: target.taskManager, ...loop.status }),
    });
  }

  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  let stopping: Promise<void> | undefined;
  const stop = (reason = "stop requested"): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, "challenger stopping");
      await loop.stop(deps.shutdownGraceMs ?? 10_000);
      await opsServer
        ?.close()
        .catch((error: unknown) => logger.warn({ err: error }, "closing the ops server failed"));
      logger.info({ reason, ...loop.status, running: false }, "challenger stopped");
      resolveDone();
    })();
    return stopping;
  };

  logger.info(
    {
      chainId: client.chain.id,
      taskManager: target.taskManager,
      sender: account.address,
      responseWindowBlocks: target.responseWindowBlocks,
      challengeWindowBlocks: target.challengeWindowBlocks,
      pollIntervalMs: config.pollInterval,
    },
    "challenger started",
  );
  loop.start();

  return {
    taskManager: target.taskManager,
    sender: account.address,
    challengeWindowBlocks: target.challengeWindowBlocks,
    opsUrl: opsServer?.url,
    metrics,
    status: () => loop.status,
    done,
    stop,
  };
}
