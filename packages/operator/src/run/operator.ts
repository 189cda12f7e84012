import { AggregatorSession, type TaskResponse } from "@avskit/aggregator-api";
import { registryCoordinatorAbi, taskManagerAbi } from "@avskit/bindings";
import { type BlsKeyPair, operatorIdFromPublicKey } from "@avskit/bls";
import {
  type BackoffPolicy,
  connectChain,
  type HealthReport,
  type Logger,
  type ReadClient,
  type Registry,
  RetryAbortedError,
  retry,
  type ServiceHandle,
  sleep,
} from "@avskit/runtime";
import { type Address, type Hex, isAddressEqual, type LocalAccount, zeroAddress } from "viem";
import { type AvsContracts, resolveAvsContracts } from "../chain/contracts.js";
import { EcdsaKeyMismatchError } from "../errors.js";
import { bitmapOf, quorumNumbersFromBytes, quorumsInBitmap } from "../registration/quorums.js";
import type { EmitEvent, OperatorEvent, SkipReason } from "./events.js";
import { type FaultOptions, faulty } from "./faults.js";
import { createOperatorMetrics, type OperatorMetrics } from "./metrics.js";
import { aggregatorSender, type ResponseSender } from "./sender.js";
import { computeSum, type Task } from "./task.js";
import { TaskWatcher } from "./task-watcher.js";

/** Re-sends and chain re-reads: doubling from the initial delay, equal jitter (many operators). */
export interface RetrySettings {
  /** Wait after the first failed try (default 200 ms). */
  readonly initialDelayMs?: number;
  /** Longest wait between tries (default 5 s). */
  readonly maxDelayMs?: number;
  /** Bound on each HTTP request to the aggregator (default 5 s). */
  readonly requestTimeoutMs?: number;
}

export interface OperatorConfig {
  readonly rpcUrl: string;
  /** The registry coordinator; from `deploymentsDir/<chainId>.json` when omitted. */
  readonly registryCoordinator?: Address | undefined;
  readonly deploymentsDir?: string | undefined;
  readonly blsKeyPair: BlsKeyPair;
  /** The operator's registered ECDSA key: it signs the logins to the aggregator (`POST /v1/sessions`). */
  readonly ecdsaAccount: LocalAccount;
  /** Base URL of the aggregator's HTTP API, e.g. http://127.0.0.1:8090. */
  readonly aggregatorUrl: string;
  /** How often to look for new blocks (default 1 s). */
  readonly pollIntervalMs?: number;
  readonly retry?: RetrySettings;
  readonly logger: Logger;
  /** Where the operator's metrics are registered (the registry /metrics serves). */
  readonly registry: Registry;
  /** Aborting stops the operator, as stop() does. */
  readonly signal?: AbortSignal;
  /** TEST ONLY misbehaviour; see `faulty`. */
  readonly testing?: FaultOptions;
  /** Progress hook for a UI or a test; must not throw. */
  readonly onEvent?: (event: OperatorEvent) => void;
}

export interface RunningOperator extends ServiceHandle {
  readonly operatorId: Hex;
  readonly contracts: AvsContracts;
  readonly responseWindowBlocks: number;
  readonly metrics: OperatorMetrics;
  health(): HealthReport;
  /** Resolves once every task seen so far has been answered or given up on. */
  idle(): Promise<void>;
  /** Stops watching, abandons retries (each given-up task is logged) and waits for them. Idempotent. */
  stop(reason?: string): Promise<void>;
}

/**
 * Starts an operator: watches the task manager for new tasks (catching up on those created in
 * the last response window), and for each task in one of its quorums computes the sum and hands
 * it to the sender, which signs keccak256(abi.encode(response)) with the BLS key and posts it to
 * the aggregator, retrying with exponential backoff while the aggregator cannot take it yet and
 * the window is open.
 */
export async function startOperator(config: OperatorConfig): Promise<RunningOperator> {
  const pollIntervalMs = config.pollIntervalMs ?? 1_000;
  const backoff: BackoffPolicy = {
    initialMs: config.retry?.initialDelayMs ?? 200,
    maxMs: config.retry?.maxDelayMs ?? 5_000,
    jitter: "equal",
  };
  const controller = new AbortController();
  const signal = config.signal ? AbortSignal.any([controller.signal, config.signal]) : controller.signal;
  const emit: EmitEvent = (event) => {
    try {
      config.onEvent?.(event);
    } catch (error) {
      config.logger.warn({ err: error }, "onEvent hook threw");
    }
  };

  const client = await connectChain({ rpcUrl: config.rpcUrl, pollingIntervalMs: pollIntervalMs });
  const contracts = await resolveAvsContracts(client, {
    registryCoordinator: config.registryCoordinator,
    deploymentsDir: config.deploymentsDir,
  });
  const windowBlocks = await client.readContract({
    address: contracts.taskManager,
    abi: taskManagerAbi,
    functionName: "TASK_RESPONSE_WINDOW_BLOCK",
  });
  const operatorId = operatorIdFromPublicKey(config.blsKeyPair.publicKeyG1);
  const metrics = createOperatorMetrics(config.registry);
  const currentQuorums = quorumsInBitmap(
    await client.readContract({
      address: contracts.registryCoordinator,
      abi: registryCoordinatorAbi,
      functionName: "getCurrentQuorumBitmap",
      args: [operatorId],
    }),
  );
  const log = config.logger.child({ operatorId });
  if (currentQuorums.length === 0) {
    log.warn(
      "this BLS key is not registered in any quorum yet: tasks are skipped until it is (see `register`)",
    );
  }
  const [registered, chainId] = await Promise.all([
    client.readContract({
      address: contracts.registryCoordinator,
      abi: registryCoordinatorAbi,
      functionName: "getOperatorFromId",
      args: [operatorId],
    }),
    client.getChainId(),
  ]);
  if (registered !== zeroAddress && !isAddressEqual(registered, config.ecdsaAccount.address)) {
    throw new EcdsaKeyMismatchError(operatorId, config.ecdsaAccount.address, registered);
  }
  const session = new AggregatorSession({
    aggregatorUrl: config.aggregatorUrl,
    operatorId,
    signer: config.ecdsaAccount,
    domain: { chainId, taskManager: contracts.taskManager },
    onLogin: ({ expiresAt, reason }) =>
      log.info(
        { expiresAt: new Date(expiresAt * 1000).toISOString(), reason },
        "logged in to the aggregator",
      ),
  });

  const honest = aggregatorSender({
    session,
    operatorId,
    keyPair: config.blsKeyPair,
    windowBlocks,
    backoff,
    requestTimeoutMs: config.retry?.requestTimeoutMs ?? 5_000,
    head: () => watcher.head,
    signal,
    metrics,
    log,
    emit,
  });
  const sender = faulty(honest, config.testing ?? {}, { operatorId, metrics, log, emit });
  const inFlight = new Set<Promise<void>>();
  const handler = new TaskHandler({
    client,
    contracts,
    operatorId,
    windowBlocks,
    backoff,
    sender,
    metrics,
    log,
    emit,
    signal,
    head: () => watcher.head,
  });
  const watcher: TaskWatcher = new TaskWatcher({
    client,
    taskManager: contracts.taskManager,
    windowBlocks,
    pollIntervalMs,
    logger: log,
    onTask: (task, head) => {
      const work = handler.process(task, head).catch((error: unknown) => {
        log.error({ err: error, taskIndex: task.taskIndex }, "unexpected error while handling a task");
      });
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    },
    onPoll: (head) => metrics.lastBlock.set(Number(head)),
    onError: () => metrics.chainErrors.inc(),
  });

  const staleAfterMs = Math.max(15_000, pollIntervalMs * 5);
  const health = (): HealthReport => {
    const lastPollAt = watcher.lastPollAt;
    const ageMs = lastPollAt === undefined ? undefined : Date.now() - lastPollAt;
    return {
      healthy: ageMs !== undefined && ageMs < staleAfterMs && !signal.aborted,
      operatorId,
      lastBlock: watcher.head?.toString(),
      lastPollAgeMs: ageMs,
      tasksInFlight: inFlight.size,
    };
  };

  // The first poll happens before start resolves, so a caller sees the catch-up under way.
  await watcher.pollOnce().catch((error: unknown) => {
    metrics.chainErrors.inc();
    log.warn({ err: error }, "first poll for tasks failed; retrying");
  });
  const loop = (async () => {
    await sleep(pollIntervalMs, signal);
    await watcher.run(signal);
  })();

  let stopped: Promise<void> | undefined;
  return {
    operatorId,
    contracts,
    responseWindowBlocks: windowBlocks,
    metrics,
    summary: {
      operatorId,
      taskManager: contracts.taskManager,
      aggregatorUrl: config.aggregatorUrl,
      quorums: currentQuorums,
      responseWindowBlocks: windowBlocks,
      pollIntervalMs,
    },
    health,
    idle: async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    stop: (reason = "stop requested") => {
      stopped ??= (async () => {
        if (inFlight.size > 0)
          log.info({ reason, tasksInFlight: inFlight.size }, "abandoning the tasks in flight");
        controller.abort(new Error(reason));
        await loop;
        await Promise.all([...inFlight]);
      })();
      return stopped;
    },
  };
}

interface TaskHandlerDeps {
  readonly client: ReadClient;
  readonly contracts: AvsContracts;
  readonly operatorId: Hex;
  readonly windowBlocks: number;
  readonly backoff: BackoffPolicy;
  readonly sender: ResponseSender;
  readonly metrics: OperatorMetrics;
  readonly log: Logger;
  readonly emit: EmitEvent;
  readonly signal: AbortSignal;
  /** Latest block the watcher has seen. */
  readonly head: () => bigint | undefined;
}

/** One task from event to sender: checks, then the honest answer. */
class TaskHandler {
  readonly #deps: TaskHandlerDeps;

  constructor(deps: TaskHandlerDeps) {
    this.#deps = deps;
  }

  async process(task: Task, seenAtHead: bigint): Promise<void> {
    const { metrics, log, emit } = this.#deps;
    metrics.tasksSeen.inc();
    emit({ type: "task-seen", task });
    const deadline = BigInt(task.taskCreatedBlock + this.#deps.windowBlocks);
    const skip = (reason: SkipReason) => {
      metrics.tasksSkipped.inc({ reason });
      emit({ type: "task-skipped", taskIndex: task.taskIndex, reason });
      log.info({ taskIndex: task.taskIndex, reason }, "task skipped");
    };
    // The response must land in a block ≤ deadline: once the head reaches it, it is too late.
    if (seenAtHead >= deadline) return skip("expired");

    const checks = await this.#preChecksWithRetries(task, deadline);
    if (checks === undefined) return;
    if (checks !== "ok") return skip(checks);

    const response: TaskResponse = { referenceTaskIndex: task.taskIndex, sum: computeSum(task) };
    await this.#deps.sender.send(task, response);
  }

  /** The pre-checks, re-read until they succeed, the window closes or the operator stops. */
  async #preChecksWithRetries(task: Task, deadline: bigint): Promise<"ok" | SkipReason | undefined> {
    const { metrics, log, signal } = this.#deps;
    try {
      return await retry(() => this.#preChecks(task), {
        policy: this.#deps.backoff,
        signal,
        shouldGoOn: () => {
          const head = this.#deps.head();
          return head === undefined || head < deadline;
        },
        onRetry: ({ error }) => {
          metrics.chainErrors.inc();
          log.warn({ err: error, taskIndex: task.taskIndex }, "chain read for a task failed; retrying");
        },
      });
    } catch (error) {
      if (!(error instanceof RetryAbortedError)) metrics.chainErrors.inc();
      metrics.responsesFailed.inc({ reason: "chain-error" });
      log.warn(
        { err: error, taskIndex: task.taskIndex, reason: signal.aborted ? "shutdown" : "window-closed" },
        "chain read for a task failed; giving up on the task",
      );
      return undefined;
    }
  }

  /** Already answered on-chain, or not in the task's quorums at its reference block? */
  async #preChecks(task: Task): Promise<"ok" | SkipReason> {
    const { client, contracts, operatorId } = this.#deps;
    const [responded, bitmap] = await Promise.all([
      client.readContract({
        address: contracts.taskManager,
        abi: taskManagerAbi,
        functionName: "taskResponded",
        args: [task.taskIndex],
      }),
      client.readContract({
        address: contracts.registryCoordinator,
        abi: registryCoordinatorAbi,
        functionName: "getQuorumBitmapAtBlockNumber",
        args: [operatorId, task.taskCreatedBlock],
      }),
    ]);
    if (responded) return "already-responded";
    if ((bitmap & bitmapOf(quorumNumbersFromBytes(task.quorumNumbers))) === 0n) return "not-in-quorums";
    return "ok";
  }
}
