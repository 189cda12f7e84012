import { type Deployment, loadDeployment, taskManagerAbi } from "@avskit/bindings";
import {
  connectChain,
  createLogger,
  createMetricsRegistry,
  type Logger,
  listen,
  loadConfiguredSigner,
  type Registry,
  type RunningServer,
  startOpsServer,
  walletFor,
} from "@avskit/runtime";
import type { Account, Address } from "viem";
import { Aggregator, type TaskEvent } from "./aggregator.js";
import { type SameMessageBatchVerifier, VerificationBatcher } from "./batcher.js";
import { type AvsContracts, discoverContracts } from "./chain/contracts.js";
import { ChainOperatorStates } from "./chain/operator-states.js";
import { ChainSubmitter } from "./chain/submitter.js";
import { TaskWatcher } from "./chain/task-events.js";
import { verifyBatchOfSameMessage } from "./fast-verifier.js";
import { buildHttpApi } from "./http.js";
import { AggregatorMetrics } from "./metrics.js";
import { type AggregatorConfig, ENV_PREFIX } from "./options.js";

export interface AggregatorDeps {
  /** Defaults to a JSON logger at the config's level and format. */
  readonly logger?: Logger;
  /** Registry to add the metrics to; a fresh one by default. */
  readonly registry?: Registry;
  /** The signing account; loaded from the config's key or keystore when omitted. */
  readonly account?: Account;
  /** Sees every task event (progress views, tests, the benchmark). */
  readonly onEvent?: (event: TaskEvent) => void;
  /** The batch verifier; the BLS library's by default (the benchmark swaps in the naive one to compare). */
  readonly verifier?: SameMessageBatchVerifier;
}

export interface RunningAggregator {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:8090. */
  readonly url: string;
  readonly opsUrl: string | undefined;
  readonly contracts: AvsContracts;
  readonly sender: Address;
  readonly aggregator: Aggregator;
  readonly metrics: AggregatorMetrics;
  readonly registry: Registry;
  /** Stops taking requests, stops watching the chain, lets a submission in flight finish. Idempotent. */
  stop(reason?: string): Promise<void>;
}

/** The account lacks AGGREGATOR_ROLE on the task manager: every respondToTask would revert. */
export class NotAnAggregatorError extends Error {
  constructor(account: Address, taskManager: Address) {
    super(`account ${account} does not have AGGREGATOR_ROLE on the TaskManager ${taskManager}`);
    this.name = "NotAnAggregatorError";
  }
}

async function resolveAddresses(
  config: AggregatorConfig,
  chainId: number,
): Promise<{ taskManager: Address; retriever: Address | undefined }> {
  let deployment: Deployment | undefined;
  if (config.taskManagerAddr === undefined) {
    deployment = await loadDeployment(chainId, config.deploymentsDir ? { dir: config.deploymentsDir } : {});
  }
  // Newer deployment files may name a deployed OperatorStateRetriever.
  const fromFile = (deployment?.contracts as Record<string, unknown> | undefined)?.operatorStateRetriever;
  const retriever =
    config.operatorStateRetrieverAddr ??
    (typeof fromFile === "string"
      ? (fromFile as Address)
      : (fromFile as { address?: Address } | undefined)?.address);
  return { taskManager: config.taskManagerAddr ?? deployment!.contracts.taskManager.proxy, retriever };
}

/**
 * Connects, checks the account may respond, serves the HTTP API and follows the chain (it reads
 * back one response window first, so tasks still open after a restart are aggregated again as
 * operators retry). Start-up problems are thrown; once running, chain errors are logged and
 * retried.
 */
export async function startAggregator(
  config: AggregatorConfig,
  deps: AggregatorDeps = {},
): Promise<RunningAggregator> {
  const logger =
    deps.logger ?? createLogger({ name: "aggregator", level: config.logLevel, format: config.logFormat });
  const account = deps.account ?? (await loadConfiguredSigner(config, ENV_PREFIX));
  const chainOptions = { rpcUrl: config.rpcUrl, pollingIntervalMs: Math.min(config.pollInterval, 250) };
  const client = await connectChain(chainOptions);
  const wallet = walletFor(client, account, chainOptions);
  const { taskManager, retriever } = await resolveAddresses(config, client.chain.id);
  const contracts = await discoverContracts(client, taskManager, retriever);
  const role = await client.readContract({
    address: taskManager,
    abi: taskManagerAbi,
    functionName: "AGGREGATOR_ROLE",
  });
  const allowed = await client.readContract({
    address: taskManager,
    abi: taskManagerAbi,
    functionName: "hasRole",
    args: [role, account.address],
  });
  if (!allowed) throw new NotAnAggregatorError(account.address, taskManager);

  const registry = deps.registry ?? createMetricsRegistry();
  const metrics = new AggregatorMetrics(registry);
  const shutdownController = new AbortController();
  const batcher = new VerificationBatcher(
    deps.verifier ?? verifyBatchOfSameMessage,
    {
      idleMs: config.batchIdle,
      maxWaitMs: config.batchMaxWait,
      maxBatchSize: config.maxBatchSize,
      maxQueued: config.maxPending,
    },
    (report) => {
      metrics.batchSize.observe(report.size);
      metrics.verifyCpuSeconds.inc(report.cpuMs / 1000);
    },
  );
  const submitter = new ChainSubmitter({
    client,
    wallet,
    contracts,
    logger,
    gasMultiplier: config.gasMultiplier,
    signal: shutdownController.signal,
  });
  const aggregator = new Aggregator({
    operatorStates: new ChainOperatorStates(client, contracts, { logger }),
    submitter,
    batcher,
    metrics,
    logger,
    collectionWindowMs: config.collectionWindow,
    onEvent: (event) => {
      if (event.kind === "new-digest") submitter.prefetch(event.digest);
      deps.onEvent?.(event);
    },
  });
  const watcher = new TaskWatcher({
    client,
    taskManager,
    responseWindowBlocks: contracts.responseWindowBlocks,
    logger,
    pollIntervalMs: config.pollInterval,
    onTask: (task) => {
      logger.info(
        {
          taskIndex: task.taskIndex,
          quorums: task.quorumNumbers,
          threshold: task.thresholdPercentage,
          referenceBlock: task.referenceBlock,
          lastResponseBlock: task.lastResponseBlock,
        },
        "new task",
      );
      aggregator.addTask(task);
    },
    onResponded: (taskIndex) => aggregator.markRespondedOnChain(taskIndex),
    onBlock: (block) => aggregator.onBlock(block),
  });

  const health = () => {
    const status = watcher.status;
    const stale =
      status.lastPollOkAgoMs < 0 || status.lastPollOkAgoMs > Math.max(10_000, 10 * config.pollInterval);
    return {
      healthy: !stale && !shutdownController.signal.aborted,
      chain: status,
      latestBlock: aggregator.latestBlock.toString(),
    };
  };
  const app = buildHttpApi({ aggregator, metrics, logger, bodyLimit: config.bodyLimit, health });
  let api: RunningServer | undefined;
  let ops: RunningServer | undefined;
  try {
    await watcher.start();
    api = await listen(app, config.listen.host, config.listen.port);
    if (config.metricsAddr) {
      ops = await startOpsServer({
        host: config.metricsAddr.host,
        port: config.metricsAddr.port,
        registry,
        logger,
        health: () => ({ ...health(), ...aggregator.load }),
      });
    }
  } catch (error) {
    await watcher.stop();
    await api?.close();
    await aggregator.close();
    throw error;
  }
  logger.info(
    {
      url: api.url,
      taskManager,
      operatorStateRetriever: retriever ?? "state override",
      sender: account.address,
      responseWindowBlocks: contracts.responseWindowBlocks,
    },
    "aggregator listening",
  );

  let stopping: Promise<void> | undefined;
  const stop = (reason = "stop requested"): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, "aggregator stopping");
      await api?.close();
      await watcher.stop();
      await aggregator.close();
      shutdownController.abort();
      await ops?.close();
      logger.info({ reason }, "aggregator stopped");
    })();
    return stopping;
  };

  return {
    url: api.url,
    opsUrl: ops?.url,
    contracts,
    sender: account.address,
    aggregator,
    metrics,
    registry,
    stop,
  };
}
