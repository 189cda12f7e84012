import {
  connectChain,
  createLogger,
  type Logger,
  loadConfiguredSigner,
  type Registry,
  type RunningServer,
  startOpsServer,
  walletFor,
} from "@avskit/runtime";
import type { Account, Address } from "viem";
import { TaskLoop, type TaskLoopStatus } from "./loop.js";
import { createTaskGeneratorMetrics, type TaskGeneratorMetrics } from "./metrics.js";
import { ENV_PREFIX, type TaskGeneratorConfig } from "./options.js";
import { resolveTaskTarget } from "./target.js";

export interface TaskGeneratorDeps {
  /** Defaults to a JSON logger at the config's level and format. */
  readonly logger?: Logger;
  /** Registry to add the metrics to; a fresh one by default. */
  readonly registry?: Registry;
  /** The signing account; loaded from the config's key or keystore when omitted. */
  readonly account?: Account;
  /** How long stop() waits for a task transaction already sent (default 10 s). */
  readonly shutdownGraceMs?: number;
}

export interface TaskGenerator {
  readonly taskManager: Address;
  readonly quorums: readonly number[];
  readonly sender: Address;
  /** The /metrics and /health base URL, when served. */
  readonly opsUrl: string | undefined;
  readonly metrics: TaskGeneratorMetrics;
  readonly status: () => TaskLoopStatus;
  /** Settles once the generator has stopped: stop() was called, or --max-tasks was reached. */
  readonly done: Promise<void>;
  /** Stops the timer, settles the in-flight task (see TaskLoop.stop) and closes the ops server. Idempotent. */
  stop(reason?: string): Promise<void>;
}

/**
 * Connects, finds the TaskManager and starts posting tasks (the first one at once). Start-up
 * problems (unreachable RPC, no deployment, no signer) are thrown; once running, failures are
 * logged and retried on the next tick.
 */
export async function startTaskGenerator(
  config: TaskGeneratorConfig,
  deps: TaskGeneratorDeps = {},
): Promise<TaskGenerator> {
  const logger =
    deps.logger ?? createLogger({ name: "task-generator", level: config.logLevel, format: config.logFormat });
  const account = deps.account ?? (await loadConfiguredSigner(config, ENV_PREFIX));
  // One retry per request: an outage is handled by the next tick, not by stacking retries.
  const chainOptions = { rpcUrl: config.rpcUrl, pollingIntervalMs: config.pollInterval, retryCount: 1 };
  const client = await connectChain(chainOptions);
  const wallet = walletFor(client, account, chainOptions);
  const target = await resolveTaskTarget(client, config);
  const metrics = createTaskGeneratorMetrics(deps.registry);
  metrics.lastTaskIndex.set(-1);

  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  let opsServer: RunningServer | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (reason = "stop requested"): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, "task generator stopping");
      await loop.stop();
      await opsServer
        ?.close()
        .catch((error: unknown) => logger.warn({ err: error }, "closing the ops server failed"));
      logger.info({ reason, ...loop.status, running: false }, "task generator stopped");
      resolveDone();
    })();
    return stopping;
  };

  const loop = new TaskLoop({
    client,
    wallet,
    logger,
    metrics,
    settings: {
      taskManager: target.taskManager,
      quorums: target.quorums,
      intervalMs: config.interval,
      thresholdPercentage: config.thresholdPercentage,
      maxOperand: config.maxOperand,
      maxTasks: config.maxTasks,
      txTimeoutMs: config.txTimeout,
      pollIntervalMs: config.pollInterval,
      shutdownGraceMs: deps.shutdownGraceMs ?? 10_000,
    },
    onFinished: (reason) => void stop(reason),
  });

  if (config.metricsAddr) {
    opsServer = await startOpsServer({
      host: config.metricsAddr.host,
      port: config.metricsAddr.port,
      registry: metrics.registry,
      logger,
      health: () => ({ healthy: loop.healthy, taskManager: target.taskManager, ...loop.status }),
    });
  }

  logger.info(
    {
      chainId: client.chain.id,
      taskManager: target.taskManager,
      sender: account.address,
      quorums: target.quorums,
      thresholdPercentage: config.thresholdPercentage,
      intervalMs: config.interval,
      maxOperand: config.maxOperand.toString(),
      maxTasks: config.maxTasks,
    },
    "task generator started",
  );
  loop.start();

  return {
    taskManager: target.taskManager,
    quorums: target.quorums,
    sender: account.address,
    opsUrl: opsServer?.url,
    metrics,
    status: () => loop.status,
    done,
    stop,
  };
}
