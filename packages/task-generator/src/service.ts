import {
  connectChain,
  defineService,
  EXIT,
  loadConfiguredSigner,
  type ServiceHandle,
  walletFor,
} from "@avskit/runtime";
import type { Address } from "viem";
import { UnknownQuorumError } from "./errors.js";
import { TaskLoop, type TaskLoopStatus } from "./loop.js";
import { createTaskGeneratorMetrics, type TaskGeneratorMetrics } from "./metrics.js";
import { ENV_PREFIX, taskGeneratorOptions } from "./options.js";
import { resolveTaskTarget } from "./target.js";

/** What an in-process start may swap in (tests). */
export interface TaskGeneratorDeps {
  /**
   * How long a stop waits for the receipt of a task transaction already sent (default 10 s),
   * before it gives up on it and logs its hash. Stays below the kit's 30 s stop bound.
   */
  readonly shutdownGraceMs?: number;
}

export interface TaskGeneratorHandle extends ServiceHandle {
  readonly taskManager: Address;
  readonly quorums: readonly number[];
  readonly sender: Address;
  readonly metrics: TaskGeneratorMetrics;
  readonly status: () => TaskLoopStatus;
  /** Resolves with 0 once --max-tasks tasks were posted; never without --max-tasks. */
  readonly finished: Promise<number>;
}

const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/**
 * The task generator: connects, finds the TaskManager and posts a task every --interval (the
 * first at once). Start-up problems (unreachable RPC, no deployment, no signer, unknown quorum)
 * are thrown; once running, failures are logged and the next tick tries again.
 */
export const taskGeneratorService = defineService({
  bin: "avskit-task-generator",
  name: "task-generator",
  description: "Posts a task with random operands to the TaskManager every --interval.",
  envPrefix: ENV_PREFIX,
  options: taskGeneratorOptions,
  metricsAddr: "127.0.0.1:9091",
  helpAfter: `
SIGINT/SIGTERM stop it gracefully: no new task is sent, one already sent is waited for (10 s at
most, then its hash is logged as sent with its outcome unknown). A second signal exits at once.
Exit codes: 0 stopped as asked, or --max-tasks reached; 1 could not start, failed, or did not stop
in time; 2 invalid options (an unknown --quorums included).`,
  isUsageError: (error) => error instanceof UnknownQuorumError,
  async start(config, context, deps: TaskGeneratorDeps | undefined): Promise<TaskGeneratorHandle> {
    const { logger } = context;
    const account = await loadConfiguredSigner(config, ENV_PREFIX);
    // One retry per request: an outage is handled by the next tick, not by stacking retries.
    const chainOptions = { rpcUrl: config.rpcUrl, pollingIntervalMs: config.pollInterval, retryCount: 1 };
    const client = await connectChain(chainOptions);
    const wallet = walletFor(client, account, chainOptions);
    const target = await resolveTaskTarget(client, config);
    const metrics = createTaskGeneratorMetrics(context.registry);
    metrics.lastTaskIndex.set(-1);

    let finish!: (code: number) => void;
    const finished = new Promise<number>((resolve) => {
      finish = resolve;
    });
    const loop = new TaskLoop({
      client,
      wallet,
      logger,
      metrics,
      stopSignal: context.signal,
      settings: {
        taskManager: target.taskManager,
        quorums: target.quorums,
        intervalMs: config.interval,
        thresholdPercentage: config.thresholdPercentage,
        maxOperand: config.maxOperand,
        maxTasks: config.maxTasks,
        txTimeoutMs: config.txTimeout,
        pollIntervalMs: config.pollInterval,
        shutdownGraceMs: deps?.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS,
      },
      onFinished: (reason) => {
        logger.info({ ...loop.status }, reason);
        finish(EXIT.ok);
      },
    });
    loop.start();

    return {
      taskManager: target.taskManager,
      quorums: target.quorums,
      sender: account.address,
      metrics,
      status: () => loop.status,
      finished,
      summary: {
        chainId: client.chain.id,
        taskManager: target.taskManager,
        sender: account.address,
        quorums: target.quorums,
        thresholdPercentage: config.thresholdPercentage,
        intervalMs: config.interval,
        maxOperand: config.maxOperand.toString(),
        maxTasks: config.maxTasks,
      },
      health: () => ({ healthy: loop.healthy, taskManager: target.taskManager, ...loop.status }),
      async stop() {
        await loop.stop();
        logger.info({ ...loop.status, running: false }, "task loop ended");
      },
    };
  },
});
