import {
  connectChain,
  defineService,
  loadConfiguredSigner,
  type ServiceHandle,
  walletFor,
} from "@avskit/runtime";
import type { Address } from "viem";
import { ResponseChecker, type Settlement } from "./checker.js";
import { ChallengeLoop, type ChallengerStatus } from "./loop.js";
import { type ChallengerMetrics, createChallengerMetrics } from "./metrics.js";
import { challengerOptions, ENV_PREFIX } from "./options.js";
import { resolveChallengeTarget } from "./target.js";
import { TaskLookup } from "./task-lookup.js";

/** What an in-process start may add (tests, a progress view). */
export interface ChallengerDeps {
  /** Called with each settled response. */
  readonly onSettled?: (taskIndex: number, settlement: Settlement) => void;
  /**
   * How long a stop waits for the receipt of a challenge already sent (default 10 s), before it
   * gives up on it and logs its hash. Stays below the kit's 30 s stop bound.
   */
  readonly shutdownGraceMs?: number;
}

export interface ChallengerHandle extends ServiceHandle {
  readonly taskManager: Address;
  readonly sender: Address;
  readonly challengeWindowBlocks: number;
  readonly metrics: ChallengerMetrics;
  readonly status: () => ChallengerStatus;
}

const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/**
 * The challenger: connects, finds the TaskManager and its windows, and watches responses,
 * challenging wrong ones. Start-up problems (unreachable RPC, no deployment, no signer) are
 * thrown; once running, failures are logged and retried.
 */
export const challengerService = defineService({
  bin: "avskit-challenger",
  name: "challenger",
  description:
    "Watches TaskResponded events, recomputes each answer and challenges wrong ones inside the challenge window.",
  envPrefix: ENV_PREFIX,
  options: challengerOptions,
  // 9092 is the aggregator's: both run side by side in the local AVS.
  metricsAddr: "127.0.0.1:9093",
  helpAfter: `
SIGINT/SIGTERM stop it gracefully: no new challenge is sent, one already sent is waited for (10 s
at most, then its hash is logged as sent with its outcome unknown). A second signal exits at once.
Exit codes: 0 stopped as asked; 1 could not start, failed, or did not stop in time; 2 invalid
options.`,
  async start(config, context, deps: ChallengerDeps | undefined): Promise<ChallengerHandle> {
    const { logger } = context;
    const account = await loadConfiguredSigner(config, ENV_PREFIX);
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
    const metrics = createChallengerMetrics(context.registry);
    // Aborted once a stop's grace period is over: the receipt wait of a sent challenge ends.
    const receiptCutoff = new AbortController();
    const checker = new ResponseChecker({
      client,
      wallet,
      taskManager: target.taskManager,
      tasks: new TaskLookup({
        client,
        taskManager: target.taskManager,
        responseWindowBlocks: target.responseWindowBlocks,
        maxRange: config.maxLogRange,
      }),
      logger,
      metrics,
      txTimeoutMs: config.txTimeout,
      pollIntervalMs: Math.min(config.pollInterval, 1_000),
      stopSignal: context.signal,
      receiptSignal: receiptCutoff.signal,
    });
    const loop = new ChallengeLoop({
      client,
      target,
      checker,
      logger,
      metrics,
      pollIntervalMs: config.pollInterval,
      maxLogRange: config.maxLogRange,
      onSettled: deps?.onSettled,
      stopSignal: context.signal,
    });
    loop.start();

    return {
      taskManager: target.taskManager,
      sender: account.address,
      challengeWindowBlocks: target.challengeWindowBlocks,
      metrics,
      status: () => loop.status,
      summary: {
        chainId: client.chain.id,
        taskManager: target.taskManager,
        sender: account.address,
        responseWindowBlocks: target.responseWindowBlocks,
        challengeWindowBlocks: target.challengeWindowBlocks,
        pollIntervalMs: config.pollInterval,
      },
      health: () => ({ healthy: loop.healthy, taskManager: target.taskManager, ...loop.status }),
      async stop() {
        const graceMs = deps?.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
        const timer = setTimeout(
          () => receiptCutoff.abort(new Error(`not mined within the ${graceMs} ms stop grace period`)),
          graceMs,
        );
        await loop.ended();
        clearTimeout(timer);
        const status = loop.status;
        // Responses seen and not settled are not lost: a restart scans one challenge window back.
        if (status.pending > 0) {
          logger.warn(
            { ...status },
            "stopped with responses not settled; a restart reads them again while their challenge window is open",
          );
        } else {
          logger.info({ ...status }, "challenge loop ended");
        }
      },
    };
  },
});
