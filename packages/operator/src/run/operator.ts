import {
  postSignedResponse,
  type SendOutcome,
  type SignedResponseBody,
  signedResponseBody,
  taskResponseDigest,
} from "@avskit/aggregator-api";
import { registryCoordinatorAbi, taskManagerAbi } from "@avskit/bindings";
import { type BlsKeyPair, operatorIdFromPublicKey, signDigest } from "@avskit/bls";
import {
  connectChain,
  createLogger,
  type HealthReport,
  type Logger,
  type ReadClient,
  type RunningServer,
  sleep,
  startOpsServer,
} from "@avskit/runtime";
import { type Address, type Hex, zeroHash } from "viem";
import { type AvsContracts, resolveAvsContracts } from "../chain/contracts.js";
import { bitmapOf, quorumNumbersFromBytes, quorumsInBitmap } from "../registration/quorums.js";
import { backoffDelay, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./backoff.js";
import { type RequestKind, requestBody } from "./faults.js";
import { createOperatorMetrics, type OperatorMetrics } from "./metrics.js";
import { computeSum, type Task, wrongSum } from "./task.js";
import { TaskWatcher } from "./task-watcher.js";

/** TEST ONLY switches that make the operator misbehave on purpose. Off unless set. */
export interface OperatorTestingOptions {
  /** Fraction (0..1) of tasks answered with a wrong sum (correctly signed). */
  readonly wrongAnswerFraction?: number;
  /** What to send per task, in order (default `["honest"]`); see REQUEST_KINDS. */
  readonly requests?: readonly RequestKind[];
  /** Source of randomness for the wrong-answer draw (default Math.random). */
  readonly random?: () => number;
}

export interface OperatorConfig {
  readonly rpcUrl: string;
  /** The registry coordinator; from `deploymentsDir/<chainId>.json` when omitted. */
  readonly registryCoordinator?: Address | undefined;
  readonly deploymentsDir?: string | undefined;
  readonly blsKeyPair: BlsKeyPair;
  /** Base URL of the aggregator's HTTP API, e.g. http://127.0.0.1:8090. */
  readonly aggregatorUrl: string;
  /** Where to serve /metrics and /health; no server when omitted. Port 0 picks a free one. */
  readonly metricsAddress?: { host: string; port: number } | undefined;
  /** How often to look for new blocks (default 1 s). */
  readonly pollIntervalMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  readonly logger?: Logger;
  /** Collect Node's process metrics too (default true; several operators in one process may turn it off). */
  readonly defaultMetrics?: boolean;
  readonly testing?: OperatorTestingOptions;
  /** Progress hook for a UI (the devnet's view); must not throw. */
  readonly onEvent?: (event: OperatorEvent) => void;
}

export type SkipReason = "expired" | "already-responded" | "not-in-quorums";

export type OperatorEvent =
  | { readonly type: "task-seen"; readonly task: Task }
  | { readonly type: "task-skipped"; readonly taskIndex: number; readonly reason: SkipReason }
  | {
      readonly type: "response-signed";
      readonly taskIndex: number;
      readonly sum: bigint;
      readonly wrong: boolean;
      readonly digest: Hex;
    }
  | {
      readonly type: "response-accepted";
      readonly taskIndex: number;
      readonly kind: RequestKind;
      readonly attempts: number;
    }
  | {
      readonly type: "response-failed";
      readonly taskIndex: number;
      readonly kind: RequestKind;
      /** The aggregator's error code, or window-closed / shutdown / unreachable. */
      readonly reason: string;
      readonly attempts: number;
    };

export interface RunningOperator {
  readonly operatorId: Hex;
  readonly contracts: AvsContracts;
  readonly responseWindowBlocks: number;
  readonly metrics: OperatorMetrics;
  /** URL of the /metrics and /health server, when one was asked for. */
  readonly metricsUrl: string | undefined;
  health(): HealthReport;
  /** Resolves once every task seen so far has been answered or given up on. */
  idle(): Promise<void>;
  /** Stops watching, abandons retries, closes the server. Idempotent. */
  stop(reason?: string): Promise<void>;
}

/**
 * Starts an operator: watches the task manager for new tasks (catching up on those created in
 * the last response window), and for each task in one of its quorums computes the sum, signs
 * keccak256(abi.encode(response)) with its BLS key and posts it to the aggregator, retrying
 * with exponential backoff while the aggregator does not know the task yet and the window is open.
 */
export async function startOperator(config: OperatorConfig): Promise<RunningOperator> {
  const logger = config.logger ?? createLogger({ name: "operator" });
  const pollIntervalMs = config.pollIntervalMs ?? 1_000;
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...config.retry };
  const testing = config.testing ?? {};
  const requests = testing.requests?.length ? testing.requests : (["honest"] as const);
  const wrongAnswerFraction = testing.wrongAnswerFraction ?? 0;
  if (!(wrongAnswerFraction >= 0 && wrongAnswerFraction <= 1)) {
    throw new RangeError(`wrongAnswerFraction must be in [0, 1], got ${wrongAnswerFraction}`);
  }
  const random = testing.random ?? Math.random;
  const emit = (event: OperatorEvent) => {
    try {
      config.onEvent?.(event);
    } catch (error) {
      logger.warn({ err: error }, "onEvent hook threw");
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
  const metrics = createOperatorMetrics({ defaultMetrics: config.defaultMetrics ?? true });
  const currentQuorums = quorumsInBitmap(
    await client.readContract({
      address: contracts.registryCoordinator,
      abi: registryCoordinatorAbi,
      functionName: "getCurrentQuorumBitmap",
      args: [operatorId],
    }),
  );
  const log = logger.child({ operatorId });
  if (currentQuorums.length === 0) {
    log.warn(
      "this BLS key is not registered in any quorum yet: tasks are skipped until it is (see `register`)",
    );
  }
  if (wrongAnswerFraction > 0 || requests.some((kind) => kind !== "honest")) {
    log.warn({ wrongAnswerFraction, requests }, "TEST-ONLY misbehaviour is switched on");
  }

  const controller = new AbortController();
  const inFlight = new Set<Promise<void>>();

  const handle = new TaskHandler({
    client,
    contracts,
    operatorId,
    keyPair: config.blsKeyPair,
    aggregatorUrl: config.aggregatorUrl,
    windowBlocks,
    retry,
    metrics,
    log,
    emit,
    requests,
    wrongAnswer: () => wrongAnswerFraction > 0 && random() < wrongAnswerFraction,
    signal: controller.signal,
    head: () => watcher.head,
  });
  const watcher: TaskWatcher = new TaskWatcher({
    client,
    taskManager: contracts.taskManager,
    windowBlocks,
    pollIntervalMs,
    logger: log,
    onTask: (task, head) => {
      const work = handle.process(task, head).catch((error: unknown) => {
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
      healthy: ageMs !== undefined && ageMs < staleAfterMs && !controller.signal.aborted,
      operatorId,
      lastBlock: watcher.head?.toString(),
      lastPollAgeMs: ageMs,
      tasksInFlight: inFlight.size,
    };
  };

  let server: RunningServer | undefined;
  if (config.metricsAddress) {
    server = await startOpsServer({
      host: config.metricsAddress.host,
      port: config.metricsAddress.port,
      registry: metrics.registry,
      health,
      logger: log,
    });
  }

  // The first poll happens before start resolves, so a caller sees the catch-up under way.
  await watcher.pollOnce().catch((error: unknown) => {
    metrics.chainErrors.inc();
    log.warn({ err: error }, "first poll for tasks failed; retrying");
  });
  const loop = (async () => {
    await sleep(pollIntervalMs, controller.signal);
    await watcher.run(controller.signal);
  })();
  log.info(
    {
      taskManager: contracts.taskManager,
      aggregatorUrl: config.aggregatorUrl,
      quorums: currentQuorums,
      responseWindowBlocks: windowBlocks,
      metricsUrl: server?.url,
    },
    "operator running",
  );

  let stopped: Promise<void> | undefined;
  return {
    operatorId,
    contracts,
    responseWindowBlocks: windowBlocks,
    metrics,
    metricsUrl: server?.url,
    health,
    idle: async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    stop: (reason = "stop requested") => {
      stopped ??= (async () => {
        log.info({ reason }, "operator stopping");
        controller.abort(new Error(reason));
        await loop;
        await Promise.all([...inFlight]);
        await server?.close();
        log.info("operator stopped");
      })();
      return stopped;
    },
  };
}

interface TaskHandlerDeps {
  readonly client: ReadClient;
  readonly contracts: AvsContracts;
  readonly operatorId: Hex;
  readonly keyPair: BlsKeyPair;
  readonly aggregatorUrl: string;
  readonly windowBlocks: number;
  readonly retry: RetryPolicy;
  readonly metrics: OperatorMetrics;
  readonly log: Logger;
  readonly emit: (event: OperatorEvent) => void;
  readonly requests: readonly RequestKind[];
  readonly wrongAnswer: () => boolean;
  readonly signal: AbortSignal;
  /** Latest block the watcher has seen. */
  readonly head: () => bigint | undefined;
}

/** One task from event to aggregator: checks, compute, sign, send with retries. */
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

    const checks = await this.#withRetries(task, deadline, () => this.#preChecks(task));
    if (checks === undefined) return;
    if (checks !== "ok") return skip(checks);

    const honestSum = computeSum(task);
    const wrong = this.#deps.wrongAnswer();
    const sum = wrong ? wrongSum(honestSum) : honestSum;
    if (wrong) metrics.wrongAnswers.inc();
    const response = { referenceTaskIndex: task.taskIndex, sum };
    const digest = taskResponseDigest(response);
    const signature = signDigest(this.#deps.keyPair.secretKey, digest);
    metrics.tasksSigned.inc();
    emit({ type: "response-signed", taskIndex: task.taskIndex, sum, wrong, digest });
    log.info(
      { taskIndex: task.taskIndex, a: task.a.toString(), b: task.b.toString(), sum: sum.toString(), wrong },
      wrong ? "task signed with a WRONG answer (test-only option)" : "task signed",
    );
    const body: SignedResponseBody = signedResponseBody(this.#deps.operatorId, response, signature);
    for (const kind of this.#deps.requests) {
      await this.#send(task, deadline, kind, requestBody(kind, body, digest));
    }
  }

  /** Already answered on-chain, or not in the task's quorums at its reference block? */
  async #preChecks(task: Task): Promise<"ok" | SkipReason> {
    const { client, contracts, operatorId } = this.#deps;
    const [responded, bitmap] = await Promise.all([
      client.readContract({
        address: contracts.taskManager,
        abi: taskManagerAbi,
        functionName: "allTaskResponses",
        args: [task.taskIndex],
      }),
      client.readContract({
        address: contracts.registryCoordinator,
        abi: registryCoordinatorAbi,
        functionName: "getQuorumBitmapAtBlockNumber",
        args: [operatorId, task.taskCreatedBlock],
      }),
    ]);
    if (responded !== zeroHash) return "already-responded";
    if ((bitmap & bitmapOf(quorumNumbersFromBytes(task.quorumNumbers))) === 0n) return "not-in-quorums";
    return "ok";
  }

  /** Runs a chain read until it succeeds, the window closes or the operator stops. */
  async #withRetries<T>(task: Task, deadline: bigint, read: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await read();
      } catch (error) {
        this.#deps.metrics.chainErrors.inc();
        this.#deps.log.warn(
          { err: error, taskIndex: task.taskIndex },
          "chain read for a task failed; retrying",
        );
      }
      const head = this.#deps.head();
      if (this.#deps.signal.aborted || (head !== undefined && head >= deadline)) {
        this.#deps.metrics.responsesFailed.inc({ reason: "chain-error" });
        return undefined;
      }
      await sleep(backoffDelay(attempt, this.#deps.retry), this.#deps.signal);
    }
  }

  /** Posts until accepted, refused for good, the window closes, or the operator stops. */
  async #send(task: Task, deadline: bigint, kind: RequestKind, body: unknown): Promise<void> {
    const { metrics, log, emit, retry, signal } = this.#deps;
    let last: SendOutcome | undefined;
    for (let attempt = 0; ; attempt += 1) {
      metrics.sendAttempts.inc();
      last = await postSignedResponse(this.#deps.aggregatorUrl, task.taskIndex, body, {
        timeoutMs: retry.requestTimeoutMs,
        signal,
      });
      const attempts = attempt + 1;
      if (last.kind === "accepted") {
        if (kind === "honest") {
          metrics.responsesSent.inc();
          log.info({ taskIndex: task.taskIndex, attempts }, "response accepted by the aggregator");
        } else {
          metrics.faultRequests.inc({ kind, outcome: "accepted" });
          log.error(
            { taskIndex: task.taskIndex, kind },
            "the aggregator ACCEPTED a deliberately faulty request",
          );
        }
        emit({ type: "response-accepted", taskIndex: task.taskIndex, kind, attempts });
        return;
      }
      const retryable = last.kind === "unreachable" || last.retryable;
      const head = this.#deps.head();
      const windowClosed = head !== undefined && head >= deadline;
      if (!retryable || windowClosed || signal.aborted) {
        const reason =
          !retryable && last.kind === "rejected" ? last.code : signal.aborted ? "shutdown" : "window-closed";
        const detail =
          last.kind === "rejected" ? { status: last.status, code: last.code, message: last.message } : last;
        if (kind === "honest") {
          metrics.responsesFailed.inc({ reason });
          log.warn(
            { taskIndex: task.taskIndex, attempts, reason, ...detail },
            "response not accepted; giving up",
          );
        } else {
          metrics.faultRequests.inc({ kind, outcome: reason });
          log.info(
            { taskIndex: task.taskIndex, kind, reason, ...detail },
            "faulty request refused (test-only)",
          );
        }
        emit({ type: "response-failed", taskIndex: task.taskIndex, kind, reason, attempts });
        return;
      }
      const delay = backoffDelay(attempt, retry);
      log.debug(
        {
          taskIndex: task.taskIndex,
          attempt: attempts,
          delayMs: Math.round(delay),
          ...(last.kind === "rejected" ? { code: last.code } : { error: last.message }),
        },
        "aggregator not ready for this response; retrying",
      );
      await sleep(delay, signal);
    }
  }
}
