import {
  ResponseRejectedError,
  taskResponseDigest as responseDigest,
  type TaskResponse,
} from "@avskit/aggregator-api";
import {
  type BlsKeyPair,
  type G1Point,
  g1ToSolidity,
  keyPairFromSecretKey,
  operatorIdFromPublicKey,
  signDigest,
  verifySignature,
} from "@avskit/bls";
import { createLogger, createMetricsRegistry, type Logger } from "@avskit/runtime";
import { type Address, type Hex, toHex } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { type AcceptedResponse, Aggregator, type TaskEvent } from "../src/aggregator.js";
import { type SameMessageBatchVerifier, VerificationBatcher } from "../src/batcher.js";
import { verifyAggregateFirstOfSameMessage } from "../src/fast-verifier.js";
import { AggregatorMetrics } from "../src/metrics.js";
import type { OperatorRecord, OperatorState, OperatorStateProvider } from "../src/operator-state.js";
import { type OperatorDirectory, SessionStore, type SessionStoreOptions } from "../src/sessions.js";
import { AggregateRejectedError, type ResponseSubmitter, type SubmitResult } from "../src/submitter.js";
import type { TaskInfo } from "../src/task.js";
import type { Submission } from "../src/task-aggregation.js";
import { InThreadVerifier, type VerificationPool } from "../src/verifier-pool.js";

export interface TestOperator {
  readonly keys: BlsKeyPair;
  readonly record: OperatorRecord;
  readonly operatorId: Hex;
  /** Its ECDSA key, whose address is registered for its id (it logs in with it). */
  readonly account: PrivateKeyAccount;
}

/** Deterministic keys (BLS sk = 1000 + i·7919, ECDSA sk = 0x1000 + i) so tests are repeatable. */
export function makeOperator(i: number, stakes: Record<number, bigint>): TestOperator {
  const keys = keyPairFromSecretKey(1000n + BigInt(i) * 7919n);
  const operatorId = operatorIdFromPublicKey(keys.publicKeyG1).toLowerCase() as Hex;
  const account = privateKeyToAccount(toHex(0x1000 + i, { size: 32 }));
  const record: OperatorRecord = {
    operatorId,
    address: account.address,
    pubkeyG1: keys.publicKeyG1,
    pubkeyG2: keys.publicKeyG2,
    stakes: new Map(Object.entries(stakes).map(([q, s]) => [Number(q), s])),
  };
  return { keys, record, operatorId, account };
}

export function makeState(
  blockNumber: bigint,
  operators: readonly TestOperator[],
  quorums: number[],
): OperatorState {
  const totals = new Map<number, bigint>(quorums.map((q) => [q, 0n]));
  for (const op of operators) {
    for (const [q, s] of op.record.stakes) totals.set(q, (totals.get(q) ?? 0n) + s);
  }
  return {
    blockNumber,
    quorumNumbers: quorums,
    totalStakes: totals,
    operators: new Map(operators.map((op) => [op.operatorId, op.record])),
  };
}

export function makeTask(overrides: Partial<TaskInfo> = {}): TaskInfo {
  return {
    taskIndex: 7,
    task: { taskIndex: 7 },
    quorumNumbers: [0],
    thresholdPercentage: 66,
    referenceBlock: 100n,
    lastResponseBlock: 130n,
    seenAtMs: Date.now(),
    ...overrides,
  };
}

export function sign(op: TestOperator, response: TaskResponse): G1Point {
  return signDigest(op.keys.secretKey, responseDigest(response));
}

/** The HTTP body an operator sends; numbers as decimal strings. */
export function body(op: TestOperator, response: TaskResponse, signature: G1Point = sign(op, response)) {
  const { X, Y } = g1ToSolidity(signature);
  return {
    operatorId: op.operatorId,
    response: { referenceTaskIndex: response.referenceTaskIndex, sum: response.sum.toString() },
    signature: { X: X.toString(), Y: `0x${Y.toString(16)}` },
  };
}

/** A request's refusal code, or "ACCEPTED"; anything but a refusal is rethrown. */
export async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ResponseRejectedError) return error.code;
    throw error;
  }
  return "ACCEPTED";
}

export const silentLogger = createLogger({ name: "test", level: "silent" });

/** Records submissions; resolves as told. */
export class RecordingSubmitter implements ResponseSubmitter {
  readonly submissions: { task: TaskInfo; submission: Submission }[] = [];
  result: SubmitResult | Error = {
    kind: "responded",
    txHash: `0x${"ab".repeat(32)}`,
    gasUsed: 200_000n,
    blockNumber: 101n,
  };
  delayMs = 0;
  async submit(task: TaskInfo, submission: Submission, onSent: (txHash: Hex) => void): Promise<SubmitResult> {
    this.submissions.push({ task, submission });
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    // As the chain's simulation does: an aggregate that does not verify is refused before sending.
    if (!verifySignature(submission.apkG2, submission.digest, submission.sigma)) {
      throw new AggregateRejectedError(task.taskIndex, "InvalidSignature");
    }
    if (this.result instanceof Error) throw this.result;
    if ((this.result.kind === "responded" || this.result.kind === "cut-off") && this.result.txHash) {
      onSent(this.result.txHash);
    }
    return this.result;
  }
}

export class StaticStates implements OperatorStateProvider {
  loads = 0;
  failNext = 0;
  constructor(readonly state: OperatorState) {}
  async load(): Promise<OperatorState> {
    this.loads++;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("rpc down");
    }
    return this.state;
  }
}

export interface Harness {
  readonly aggregator: Aggregator;
  /** A response from the operator it names, as the HTTP layer hands it over after checking its token. */
  respond(taskIndex: number, body: { readonly operatorId: Hex }): Promise<AcceptedResponse>;
  readonly submitter: RecordingSubmitter;
  readonly states: StaticStates;
  readonly events: TaskEvent[];
  readonly metrics: AggregatorMetrics;
  readonly registry: ReturnType<typeof createMetricsRegistry>;
}

export function harness(
  state: OperatorState,
  options: {
    collectionWindowMs?: number;
    verifier?: SameMessageBatchVerifier;
    /** Where batches are verified; on this thread with `verifier` (the service's, aggregate first) by default. */
    pool?: VerificationPool;
    idleMs?: number;
    maxQueuedPerOperator?: number;
    logger?: Logger;
    maxAttemptsPerTask?: number;
  } = {},
): Harness {
  const registry = createMetricsRegistry({ defaultMetrics: false });
  const metrics = new AggregatorMetrics(registry);
  const submitter = new RecordingSubmitter();
  const states = new StaticStates(state);
  const events: TaskEvent[] = [];
  const pool = options.pool ?? new InThreadVerifier(options.verifier ?? verifyAggregateFirstOfSameMessage);
  const batcher = new VerificationBatcher(pool, {
    idleMs: options.idleMs ?? 2,
    maxWaitMs: 50,
    maxBatchSize: 256,
    maxQueued: 4096,
    maxQueuedPerOperator: options.maxQueuedPerOperator ?? 16,
  });
  const aggregator = new Aggregator({
    operatorStates: states,
    submitter,
    batcher,
    metrics,
    logger: options.logger ?? silentLogger,
    collectionWindowMs: options.collectionWindowMs ?? 0,
    ...(options.maxAttemptsPerTask !== undefined ? { maxAttemptsPerTask: options.maxAttemptsPerTask } : {}),
    onEvent: (event) => events.push(event),
  });
  const respond = (taskIndex: number, body: { readonly operatorId: Hex }) =>
    aggregator.handleResponse(taskIndex, body, body.operatorId);
  return { aggregator, respond, submitter, states, events, metrics, registry };
}

/** The registry as a table: every operator of the state at its address. */
export class StaticDirectory implements OperatorDirectory {
  lookups = 0;
  constructor(readonly addresses: ReadonlyMap<Hex, Address>) {}
  static of(state: OperatorState): StaticDirectory {
    return new StaticDirectory(new Map([...state.operators.values()].map((r) => [r.operatorId, r.address])));
  }
  async addressOf(operatorId: Hex): Promise<Address | undefined> {
    this.lookups++;
    return this.addresses.get(operatorId);
  }
}

export const TEST_DOMAIN = {
  chainId: 31337,
  taskManager: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
} as const;

/** Sessions over the harness's operators, with generous login rates unless told otherwise. */
export function sessionStore(
  h: Harness,
  state: OperatorState,
  options: Partial<SessionStoreOptions> = {},
): SessionStore {
  return new SessionStore({
    directory: StaticDirectory.of(state),
    domain: TEST_DOMAIN,
    metrics: h.metrics,
    loginRate: 10_000,
    loginRatePerClient: 10_000,
    ...options,
  });
}
