import { resolveContracts, taskManagerAbi } from "@avskit/bindings";
import {
  connectChain,
  defineService,
  type HealthReport,
  httpLimitsOf,
  listen,
  loadConfiguredSigner,
  type RunningServer,
  type ServiceConfig,
  type ServiceConfigInput,
  type ServiceHandle,
  walletFor,
} from "@avskit/runtime";
import type { Account, Address } from "viem";
import { Aggregator, type TaskEvent } from "./aggregator.js";
import { type SameMessageBatchVerifier, VerificationBatcher } from "./batcher.js";
import { type AvsContracts, discoverContracts } from "./chain/contracts.js";
import { ChainOperatorDirectory } from "./chain/operator-directory.js";
import { ChainOperatorStates } from "./chain/operator-states.js";
import { ChainSubmitter } from "./chain/submitter.js";
import { TaskWatcher } from "./chain/task-events.js";
import { buildHttpApi } from "./http.js";
import { AggregatorMetrics } from "./metrics.js";
import { aggregatorOptions, ENV_PREFIX } from "./options.js";
import { SessionStore } from "./sessions.js";
import { InThreadVerifier, WorkerVerifierPool } from "./verifier-pool.js";

export type AggregatorConfig = ServiceConfig<typeof aggregatorOptions>;
/** Raw option values keyed like the config (e.g. `{ listen: "127.0.0.1:0" }`), as a user would give them. */
export type AggregatorConfigInput = ServiceConfigInput<typeof aggregatorOptions>;

/** What tests and the benchmark may swap in; the CLI passes none. */
export interface AggregatorDeps {
  /** The signing account; loaded from the config's key or keystore when omitted. */
  readonly account?: Account;
  /** Sees every task event (progress views, tests, the benchmark). */
  readonly onEvent?: (event: TaskEvent) => void;
  /**
   * A batch verifier run on the event loop instead of the worker pool (which runs the BLS
   * library's): for tests that need a verifier that lies.
   */
  readonly verifier?: SameMessageBatchVerifier;
}

/** The running aggregator, as `aggregatorService.start` hands it over (`handle`). */
export interface AggregatorHandle extends ServiceHandle {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:8090. */
  readonly url: string;
  readonly contracts: AvsContracts;
  readonly sender: Address;
  readonly aggregator: Aggregator;
  readonly metrics: AggregatorMetrics;
  health(): HealthReport;
  /**
   * Drains the HTTP API (requests in progress answered, new ones told 503 UNAVAILABLE), stops
   * following the chain, submits tasks whose thresholds were met, and waits for submissions in
   * flight, whose receipt waits the stop signal has already ended. Idempotent.
   */
  stop(reason: string): Promise<void>;
}

/** The account lacks AGGREGATOR_ROLE on the task manager: every respondToTask would revert. */
export class NotAnAggregatorError extends Error {
  constructor(account: Address, taskManager: Address) {
    super(`account ${account} does not have AGGREGATOR_ROLE on the TaskManager ${taskManager}`);
    this.name = "NotAnAggregatorError";
  }
}

const HELP_AFTER = `
SIGINT/SIGTERM stop it gracefully: the HTTP API stops taking signatures (requests in progress are
answered, new ones get 503 UNAVAILABLE, retryable) and then closes, the chain is no longer
polled, a task whose thresholds are met is submitted at once, and a respondToTask whose receipt
was not seen yet is logged with its task index and transaction hash ("outcome unknown"). A
second signal exits at once. Exit codes: 0 stopped as asked; 1 could not start (chain
unreachable, contracts not found, account without AGGREGATOR_ROLE) or did not stop in time;
2 invalid options.`;

/**
 * The aggregator service: connects, checks the account may respond, serves the HTTP API and
 * follows the chain (it reads back one response window first, so tasks still open after a
 * restart are aggregated again as operators retry). Start-up problems are thrown; once
 * running, chain errors are logged and retried.
 */
export const aggregatorService = defineService({
  bin: "avskit-aggregator",
  name: "aggregator",
  description:
    "Collects operators' BLS-signed task responses over HTTP, verifies them in batches, and submits one aggregated respondToTask per task once every quorum's threshold is met.",
  envPrefix: ENV_PREFIX,
  options: aggregatorOptions,
  metricsAddr: "127.0.0.1:9092",
  helpAfter: HELP_AFTER,
  async start(config, { logger, registry, signal }, deps: AggregatorDeps = {}): Promise<AggregatorHandle> {
    const limits = httpLimitsOf(config, ENV_PREFIX);
    const account = deps.account ?? (await loadConfiguredSigner(config, ENV_PREFIX));
    const chainOptions = { rpcUrl: config.rpcUrl, pollingIntervalMs: Math.min(config.pollInterval, 250) };
    const client = await connectChain(chainOptions);
    const wallet = walletFor(client, account, chainOptions);
    const { addresses } = await resolveContracts(client, {
      ...(config.deploymentsDir !== undefined ? { dir: config.deploymentsDir } : {}),
      contracts: {
        taskManager: { flag: "--task-manager-addr", address: config.taskManagerAddr },
        operatorStateRetriever: {
          flag: "--operator-state-retriever-addr",
          address: config.operatorStateRetrieverAddr,
          optional: true,
        },
      },
    });
    const { taskManager, operatorStateRetriever } = addresses;
    const contracts = await discoverContracts(client, taskManager, operatorStateRetriever);
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

    const metrics = new AggregatorMetrics(registry);
    const pool = deps.verifier
      ? new InThreadVerifier(deps.verifier)
      : await WorkerVerifierPool.start({ size: config.verifyWorkers, logger });
    const batcher = new VerificationBatcher(
      pool,
      {
        idleMs: config.batchIdle,
        maxWaitMs: config.batchMaxWait,
        maxBatchSize: config.maxBatchSize,
        maxQueued: config.maxPending,
        maxQueuedPerOperator: config.maxPendingPerOperator,
      },
      (report) => {
        metrics.batchSize.observe(report.size);
        metrics.verifyCpuSeconds.inc(report.cpuMs / 1000);
        metrics.verifyHandoffSeconds.inc(report.handoffMs / 1000);
        for (const ms of report.waitsMs) metrics.verifyWait.observe(ms / 1000);
      },
    );
    metrics.verification = () => batcher.status;
    const submitter = new ChainSubmitter({
      client,
      wallet,
      contracts,
      logger,
      gasMultiplier: config.gasMultiplier,
      signal,
    });
    const aggregator = new Aggregator({
      operatorStates: new ChainOperatorStates(client, contracts, { logger }),
      submitter,
      batcher,
      metrics,
      logger,
      collectionWindowMs: config.collectionWindow,
      maxAttemptsPerTask: config.maxAttemptsPerTask,
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

    const health = (): HealthReport => {
      const status = watcher.status;
      const stale =
        status.lastPollOkAgoMs < 0 || status.lastPollOkAgoMs > Math.max(10_000, 10 * config.pollInterval);
      const verification = batcher.status;
      return {
        healthy: !stale && !signal.aborted && verification.workers > 0,
        chain: status,
        latestBlock: aggregator.latestBlock.toString(),
        ...aggregator.load,
        verification,
      };
    };
    const sessions = new SessionStore({
      directory: new ChainOperatorDirectory(client, contracts.registryCoordinator),
      domain: { chainId: await client.getChainId(), taskManager },
      metrics,
      lifetimeMs: config.sessionLifetime,
      loginRate: config.loginRate,
      loginRatePerClient: config.loginRatePerClient,
    });
    const app = buildHttpApi({
      aggregator,
      sessions,
      metrics,
      logger,
      bodyLimit: config.bodyLimit,
      limits,
      health,
    });
    let api: RunningServer;
    try {
      await watcher.start();
      api = await listen(app, config.listen.host, config.listen.port);
    } catch (error) {
      await watcher.stop();
      await app.close();
      await aggregator.close();
      throw error;
    }

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        // The API drains while the watcher stops: requests already accepted are answered and
        // may still complete a threshold, which close() then submits. The batcher takes no new
        // signature from now on and refuses those it cannot verify within its grace period, so a
        // flood queued for verification cannot hold the stop up.
        await Promise.all([api.close(), watcher.stop(), batcher.close()]);
        await aggregator.close();
      })();
      return stopping;
    };

    return {
      url: api.url,
      contracts,
      sender: account.address,
      aggregator,
      metrics,
      summary: {
        url: api.url,
        taskManager,
        operatorStateRetriever: operatorStateRetriever ?? "state override",
        sender: account.address,
        responseWindowBlocks: contracts.responseWindowBlocks,
        httpLimits: limits,
      },
      health,
      stop,
    };
  },
});
