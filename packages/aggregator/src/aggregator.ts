import {
  parseSignedResponseFields,
  ResponseRejectedError,
  type SignedResponseFields,
  signaturePoint,
  taskResponseDigest,
} from "@avskit/aggregator-api";
import { verifySignature } from "@avskit/bls";
import type { Logger } from "@avskit/runtime";
import type { Hex } from "viem";
import {
  BatcherClosedError,
  BatcherFullError,
  type PendingSignature,
  type Verdict,
  type VerificationBatcher,
  type VerifiedSet,
} from "./batcher.js";
import { AggregatorUnavailableError, briefly } from "./errors.js";
import type { AggregatorMetrics } from "./metrics.js";
import type { OperatorStateProvider } from "./operator-state.js";
import { AggregateRejectedError, type ResponseSubmitter } from "./submitter.js";
import type { TaskInfo } from "./task.js";
import {
  type Answer,
  type SetMemberResult,
  type Submission,
  sameAnswer,
  signatureKey,
  TaskAggregation,
  type TaskMember,
  type TaskSnapshot,
  type TaskStatus,
} from "./task-aggregation.js";

/** What happened to a task, for progress views, tests and the benchmark. */
export type TaskEvent =
  | { kind: "added"; taskIndex: number }
  /** A first valid signature for this answer: its hashToG1 hint can be fetched ahead of submission. */
  | { kind: "new-digest"; taskIndex: number; digest: Hex }
  | { kind: "threshold-reached"; taskIndex: number; digest: Hex; signers: number }
  | {
      kind: "sent";
      taskIndex: number;
      txHash: Hex;
      digest: Hex;
      nonSigners: number;
      /** From the counting of the signature that met the last threshold to the tx hash. */
      thresholdToTxMs: number;
      /** From the arrival of that signature (before its batch was verified) to the tx hash. */
      arrivalToTxMs: number;
    }
  | {
      kind: "responded";
      taskIndex: number;
      txHash: Hex;
      gasUsed: bigint;
      latencyMs: number;
      submission: Submission;
    }
  | { kind: "already-responded"; taskIndex: number }
  /** The service stopped before the submission's outcome was known (`txHash` when it was sent). */
  | { kind: "cut-off"; taskIndex: number; txHash: Hex | undefined }
  | { kind: "expired"; taskIndex: number; status: TaskStatus }
  | { kind: "failed"; taskIndex: number; error: Error };

export interface AggregatorOptions {
  readonly operatorStates: OperatorStateProvider;
  readonly submitter: ResponseSubmitter;
  readonly batcher: VerificationBatcher;
  readonly metrics: AggregatorMetrics;
  readonly logger: Logger;
  /** After every quorum met its threshold, wait this long for more signatures (fewer non-signers, less gas). */
  readonly collectionWindowMs: number;
  /** How many finished tasks' outcomes to remember for informative error codes. */
  readonly rememberFinished?: number;
  /**
   * Signatures verified per operator per task at most (default 3): beyond it the operator's
   * requests for the task are refused before any curve arithmetic. A resend of the response
   * already counted, or of one being verified, is no new attempt.
   */
  readonly maxAttemptsPerTask?: number;
  readonly onEvent?: (event: TaskEvent) => void;
}

export interface AcceptedResponse {
  readonly taskIndex: number;
  readonly operatorId: Hex;
  readonly digest: Hex;
  /** The task's status after counting this signature. */
  readonly taskStatus: TaskStatus;
  /** This exact response had been counted already (the operator's retry): nothing changed. */
  readonly duplicate: boolean;
}

type Outcome = "responded" | "expired" | "failed";

interface TaskEntry {
  readonly info: TaskInfo;
  aggregation: TaskAggregation | undefined;
  loading: Promise<TaskAggregation> | undefined;
  windowTimer: NodeJS.Timeout | undefined;
  thresholdAt: number | undefined;
  thresholdArrivalAt: number | undefined;
  submitting: Promise<void> | undefined;
  /** Verification attempts per operator (authenticated requests only reach this far). */
  readonly attempts: Map<Hex, number>;
  /** Per operator, the response being verified now, so that a resend of it waits for the same verdict. */
  readonly verifying: Map<Hex, { readonly key: string; readonly result: Promise<AcceptedResponse> }>;
}

/** Finished tasks whose counted answers are kept, so that a late resend of one is still a success. */
const REMEMBER_ANSWERS = 64;

export interface TaskDescription {
  taskIndex: number;
  status: TaskStatus | "loading" | Outcome;
  quorumNumbers?: readonly number[];
  thresholdPercentage?: number;
  referenceBlock?: string;
  lastResponseBlock?: string;
  totalStake?: Record<string, string> | undefined;
  winningDigest?: Hex | null;
  digests?:
    | {
        digest: Hex;
        response: { referenceTaskIndex: number; sum: string };
        signers: number;
        signedStake: Record<string, string>;
      }[]
    | undefined;
}

export interface AggregatorSnapshot {
  tasks: (TaskSnapshot | { taskIndex: number; status: "loading" })[];
  finished: Record<string, Outcome>;
}

/**
 * The aggregation service without its transports: tasks come in through `addTask` (from
 * chain events), blocks through `onBlock` (expiry), signed responses through `handleResponse`
 * (from HTTP). Each task is submitted at most once, for the digest that met every threshold.
 */
export class Aggregator {
  readonly #options: AggregatorOptions;
  readonly #tasks = new Map<number, TaskEntry>();
  readonly #finished = new Map<number, Outcome>();
  readonly #finishedAnswers = new Map<number, ReadonlyMap<Hex, Answer>>();
  readonly #rememberFinished: number;
  readonly #maxAttempts: number;
  /** What counting each verified set did, per member, while its members' requests read it. */
  readonly #setResults = new WeakMap<VerifiedSet, ReadonlyMap<Hex, SetMemberResult>>();
  #latestBlock = -1n;
  #closed = false;

  constructor(options: AggregatorOptions) {
    this.#options = options;
    this.#rememberFinished = options.rememberFinished ?? 10_000;
    this.#maxAttempts = options.maxAttemptsPerTask ?? 3;
  }

  get latestBlock(): bigint {
    return this.#latestBlock;
  }

  /** Starts tracking a task (idempotent) and prefetches its operator set. */
  addTask(info: TaskInfo): void {
    if (this.#closed || this.#tasks.has(info.taskIndex) || this.#finished.has(info.taskIndex)) return;
    if (this.#latestBlock >= info.lastResponseBlock) {
      this.#finish(info.taskIndex, "expired");
      return;
    }
    const entry: TaskEntry = {
      info,
      aggregation: undefined,
      loading: undefined,
      windowTimer: undefined,
      thresholdAt: undefined,
      thresholdArrivalAt: undefined,
      submitting: undefined,
      attempts: new Map(),
      verifying: new Map(),
    };
    this.#tasks.set(info.taskIndex, entry);
    this.#options.metrics.openTasks.set(this.#tasks.size);
    this.#emit({ kind: "added", taskIndex: info.taskIndex });
    this.#load(entry).catch(() => {
      // logged in #load; requests retry the load
    });
  }

  /** The task was responded on-chain by someone (seen in a TaskResponded event). */
  markRespondedOnChain(taskIndex: number): void {
    const entry = this.#tasks.get(taskIndex);
    if (entry === undefined) {
      if (!this.#finished.has(taskIndex)) this.#finish(taskIndex, "responded");
      return;
    }
    if (entry.submitting !== undefined) return;
    this.#emit({ kind: "already-responded", taskIndex });
    this.#drop(entry, "responded");
  }

  /** A new chain head: closes tasks whose window has passed, hurries those about to close. */
  onBlock(blockNumber: bigint): void {
    if (blockNumber <= this.#latestBlock) return;
    this.#latestBlock = blockNumber;
    for (const entry of [...this.#tasks.values()]) {
      const aggregation = entry.aggregation;
      if (blockNumber >= entry.info.lastResponseBlock) {
        if (entry.submitting !== undefined) continue;
        const status = aggregation?.status ?? "collecting";
        aggregation?.expire();
        this.#options.logger.warn(
          { taskIndex: entry.info.taskIndex, block: blockNumber, status },
          "task expired before every quorum reached its threshold",
        );
        this.#options.metrics.tasksExpired.inc();
        this.#emit({ kind: "expired", taskIndex: entry.info.taskIndex, status });
        this.#drop(entry, "expired");
      } else if (
        aggregation?.status === "threshold-reached" &&
        blockNumber + 1n >= entry.info.lastResponseBlock
      ) {
        // The next block is the last one that accepts a response: no time left to wait.
        this.#submitNow(entry);
      }
    }
  }

  /**
   * Validates, verifies and counts one signed response from `caller`, the operator its session
   * proved it to be. Everything cheap comes first, none of it curve arithmetic: the body's shape,
   * the caller named in it, the task, the operator's membership and earlier answers, its
   * attempts. Throws ResponseRejectedError (a 4xx, nothing changed but the operator's attempt
   * count) or AggregatorUnavailableError (a 503: the chain could not be read).
   */
  async handleResponse(taskIndex: number, body: unknown, caller: Hex): Promise<AcceptedResponse> {
    const arrivedAt = performance.now();
    const signed = parseSignedResponseFields(body);
    if (signed.operatorId !== caller.toLowerCase()) {
      throw new ResponseRejectedError(
        "OPERATOR_MISMATCH",
        `the session is operator ${caller.toLowerCase()}'s but the response names operator ${signed.operatorId}`,
      );
    }
    const entry = this.#tasks.get(taskIndex);
    if (entry === undefined) return this.#resentAfterTheEnd(taskIndex, signed);
    const aggregation = entry.aggregation ?? (await this.#load(entry));
    const admission = aggregation.admit(signed.operatorId, signed.response, signed.signature);
    if (admission.kind === "duplicate") {
      return this.#accepted(taskIndex, signed, admission.digest, aggregation.status, true);
    }
    const key = `${admission.digest}:${signatureKey(signed.signature)}`;
    const inFlight = entry.verifying.get(signed.operatorId);
    if (inFlight?.key === key) return { ...(await inFlight.result), duplicate: true };
    const attempts = entry.attempts.get(signed.operatorId) ?? 0;
    if (attempts >= this.#maxAttempts) {
      throw new ResponseRejectedError(
        "TOO_MANY_ATTEMPTS",
        `operator ${signed.operatorId} has used its ${this.#maxAttempts} verification attempts for task ${taskIndex}`,
      );
    }
    entry.attempts.set(signed.operatorId, attempts + 1);
    const result = this.#verifyAndCount(entry, aggregation, signed, admission, arrivedAt);
    entry.verifying.set(signed.operatorId, { key, result });
    try {
      return await result;
    } finally {
      if (entry.verifying.get(signed.operatorId)?.result === result)
        entry.verifying.delete(signed.operatorId);
    }
  }

  async #verifyAndCount(
    entry: TaskEntry,
    aggregation: TaskAggregation,
    signed: SignedResponseFields,
    admission: { readonly member: TaskMember; readonly digest: Hex },
    arrivedAt: number,
  ): Promise<AcceptedResponse> {
    const { taskIndex } = entry.info;
    const { member, digest } = admission;
    const signature = signaturePoint(signed.signature);
    const pending: PendingSignature = {
      digest,
      publicKey: member.record.pubkeyG2,
      signature,
      operatorId: signed.operatorId,
      // The set check must weigh each signature as the submission will: k times for k quorums.
      weight: member.multiplicity,
    };
    let verdict = await this.#verify(pending);
    if (verdict.valid && verdict.set !== undefined) {
      const own = this.#countSet(entry, aggregation, signed.response, verdict.set, arrivedAt).get(
        signed.operatorId,
      );
      if (own === undefined) throw new Error("a verified set without its own member");
      switch (own.kind) {
        case "counted":
          this.#options.metrics.signaturesValid.inc();
          return this.#accepted(taskIndex, signed, digest, aggregation.status, false);
        case "duplicate":
          return this.#accepted(taskIndex, signed, digest, aggregation.status, true);
        case "refused":
          throw own.error;
        case "recheck":
          // Its set was not counted whole, so the set's verdict says nothing about it alone.
          verdict = await this.#verify({ ...pending, individually: true });
          if (verdict.valid && verdict.set !== undefined)
            throw new Error("an individual verification answered for a set");
      }
    }
    if (!verdict.valid) {
      this.#options.metrics.signaturesInvalid.inc();
      throw new ResponseRejectedError(
        "SIGNATURE_INVALID",
        `signature does not verify for operator ${signed.operatorId} over response digest ${digest}`,
      );
    }
    if (this.#tasks.get(taskIndex) !== entry) throw this.#unknownTask(taskIndex);
    const fresh = !aggregation.hasDigest(digest);
    const reached = aggregation.record(signed.operatorId, signed.response, signature);
    this.#options.metrics.signaturesValid.inc();
    if (fresh) this.#emit({ kind: "new-digest", taskIndex, digest });
    if (reached) this.#onThresholdReached(entry, aggregation, arrivedAt);
    return this.#accepted(taskIndex, signed, digest, aggregation.status, false);
  }

  async #verify(pending: PendingSignature): Promise<Verdict> {
    try {
      return await this.#options.batcher.verify(pending);
    } catch (error) {
      if (error instanceof BatcherFullError) throw new ResponseRejectedError("OVERLOADED", error.message);
      if (error instanceof BatcherClosedError)
        throw new AggregatorUnavailableError("the aggregator is shutting down");
      throw error;
    }
  }

  /**
   * Counts a set that verified only as a whole (see VerifiedSet), once, for all its members: the
   * first member's request to get here counts it, in one synchronous step, and every member's
   * request reads its own result. So no threshold, submission or other request can fall between
   * two members of the set (all of them go into the aggregate or none), and a member that cannot
   * be counted turns the others back to be verified on their own (TaskAggregation.recordSet).
   * Every member of a set is a request to this task: the set's digest names the task.
   */
  #countSet(
    entry: TaskEntry,
    aggregation: TaskAggregation,
    response: SignedResponseFields["response"],
    set: VerifiedSet,
    arrivedAt: number,
  ): ReadonlyMap<Hex, SetMemberResult> {
    const known = this.#setResults.get(set);
    if (known !== undefined) return known;
    const { taskIndex } = entry.info;
    let results: ReadonlyMap<Hex, SetMemberResult>;
    if (this.#tasks.get(taskIndex) !== entry) {
      const error = this.#unknownTask(taskIndex);
      results = new Map(set.members.map((m) => [m.operatorId, { kind: "refused", error }] as const));
    } else {
      const recording = aggregation.recordSet(
        response,
        set.members.map((m) => ({ operatorId: m.operatorId, signature: m.signature, weight: m.weight ?? 1 })),
        set.aggregate,
      );
      results = recording.results;
      if (recording.fresh) this.#emit({ kind: "new-digest", taskIndex, digest: set.digest });
      if (recording.reached) this.#onThresholdReached(entry, aggregation, arrivedAt);
    }
    this.#setResults.set(set, results);
    return results;
  }

  #accepted(
    taskIndex: number,
    signed: SignedResponseFields,
    digest: Hex,
    taskStatus: TaskStatus,
    duplicate: boolean,
  ): AcceptedResponse {
    return { taskIndex, operatorId: signed.operatorId, digest, taskStatus, duplicate };
  }

  /** A task no longer held: a resend of the answer it counted is a success, anything else is refused. */
  #resentAfterTheEnd(taskIndex: number, signed: SignedResponseFields): AcceptedResponse {
    const outcome = this.#finished.get(taskIndex);
    const answer = this.#finishedAnswers.get(taskIndex)?.get(signed.operatorId);
    const digest = taskResponseDigest(signed.response);
    if (outcome !== undefined && sameAnswer(answer, digest, signed.signature)) {
      return this.#accepted(taskIndex, signed, digest, outcome, true);
    }
    throw this.#unknownTask(taskIndex);
  }

  #unknownTask(taskIndex: number): ResponseRejectedError {
    switch (this.#finished.get(taskIndex)) {
      case "responded":
        return new ResponseRejectedError("TASK_ALREADY_RESPONDED", `task ${taskIndex} has been responded to`);
      case "expired":
      case "failed":
        return new ResponseRejectedError("TASK_EXPIRED", `task ${taskIndex}'s response window has closed`);
      default:
        return new ResponseRejectedError(
          "TASK_NOT_FOUND",
          `task ${taskIndex} is unknown to the aggregator (not created yet, or not seen yet): retry later`,
        );
    }
  }

  #load(entry: TaskEntry): Promise<TaskAggregation> {
    if (entry.aggregation) return Promise.resolve(entry.aggregation);
    entry.loading ??= this.#options.operatorStates
      .load(entry.info.referenceBlock, entry.info.quorumNumbers)
      .then((state) => {
        entry.aggregation ??= new TaskAggregation(entry.info, state);
        return entry.aggregation;
      })
      .catch((error: unknown) => {
        entry.loading = undefined;
        this.#options.logger.error(
          { taskIndex: entry.info.taskIndex, err: error },
          "cannot load the task's operator set",
        );
        throw new AggregatorUnavailableError(
          `cannot load task ${entry.info.taskIndex}'s operator set: ${(error as Error).message}`,
          { cause: error },
        );
      });
    return entry.loading;
  }

  #onThresholdReached(entry: TaskEntry, aggregation: TaskAggregation, arrivedAt: number): void {
    entry.thresholdAt = performance.now();
    entry.thresholdArrivalAt = arrivedAt;
    this.#emit({
      kind: "threshold-reached",
      taskIndex: entry.info.taskIndex,
      digest: aggregation.winningDigest!,
      signers: aggregation.winningSignerCount,
    });
    const lastChance = this.#latestBlock + 1n >= entry.info.lastResponseBlock;
    if (this.#options.collectionWindowMs <= 0 || lastChance) {
      this.#submitNow(entry);
      return;
    }
    entry.windowTimer = setTimeout(() => this.#submitNow(entry), this.#options.collectionWindowMs);
  }

  #submitNow(entry: TaskEntry): void {
    clearTimeout(entry.windowTimer);
    entry.windowTimer = undefined;
    const aggregation = entry.aggregation;
    if (this.#closed || entry.submitting !== undefined || aggregation?.status !== "threshold-reached") return;
    entry.submitting = this.#submit(entry, aggregation).finally(() => {
      entry.submitting = undefined;
    });
  }

  async #submit(entry: TaskEntry, aggregation: TaskAggregation): Promise<void> {
    const { taskIndex } = entry.info;
    const { logger, metrics } = this.#options;
    for (;;) {
      const submission = aggregation.beginSubmission();
      const thresholdAt = entry.thresholdAt ?? performance.now();
      const arrivalAt = entry.thresholdArrivalAt ?? thresholdAt;
      try {
        const result = await this.#options.submitter.submit(entry.info, submission, (txHash) => {
          const now = performance.now();
          const thresholdToTxMs = now - thresholdAt;
          const arrivalToTxMs = now - arrivalAt;
          logger.info(
            {
              taskIndex,
              txHash,
              digest: submission.digest,
              nonSigners: submission.nonSigners.length,
              thresholdToTxMs,
            },
            "respondToTask sent",
          );
          this.#emit({
            kind: "sent",
            taskIndex,
            txHash,
            digest: submission.digest,
            nonSigners: submission.nonSigners.length,
            thresholdToTxMs,
            arrivalToTxMs,
          });
        });
        if (result.kind === "cut-off") {
          this.#logCutOff(entry, submission, result);
          return;
        }
        aggregation.markResponded();
        if (result.kind === "already-responded") {
          logger.info({ taskIndex }, "task was already responded on-chain; not submitting again");
          this.#emit({ kind: "already-responded", taskIndex });
        } else {
          const latencyMs = Date.now() - entry.info.seenAtMs;
          metrics.tasksCompleted.inc();
          metrics.gasUsed.observe(Number(result.gasUsed));
          metrics.responseLatency.observe(latencyMs / 1000);
          logger.info(
            {
              taskIndex,
              txHash: result.txHash,
              gasUsed: result.gasUsed.toString(),
              block: result.blockNumber,
              latencyMs,
            },
            "task responded",
          );
          this.#emit({
            kind: "responded",
            taskIndex,
            txHash: result.txHash,
            gasUsed: result.gasUsed,
            latencyMs,
            submission,
          });
        }
        this.#drop(entry, "responded");
        return;
      } catch (error) {
        if (error instanceof AggregateRejectedError && this.#discardInvalid(aggregation, submission)) {
          // The bad signatures are out; submit again if the threshold still holds, else keep collecting.
          if (aggregation.status === "threshold-reached") continue;
          return;
        }
        aggregation.markFailed();
        metrics.tasksFailed.inc();
        logger.error(
          {
            taskIndex,
            error: (error as Error).message.split("\n")[0],
            cause: briefly((error as Error).cause),
          },
          "could not respond to the task",
        );
        this.#emit({ kind: "failed", taskIndex, error: error as Error });
        this.#drop(entry, "failed");
        return;
      }
    }
  }

  /** A submission the stop cut off is not lost silently: what is known goes to the log. */
  #logCutOff(
    entry: TaskEntry,
    submission: Submission,
    result: { readonly txHash: Hex | undefined; readonly reason: string },
  ): void {
    const { taskIndex } = entry.info;
    const fields = {
      taskIndex,
      digest: submission.digest,
      signers: submission.signerIds.length,
      lastResponseBlock: entry.info.lastResponseBlock,
      reason: result.reason,
    };
    if (result.txHash !== undefined) {
      this.#options.logger.warn(
        { ...fields, txHash: result.txHash },
        "respondToTask sent, outcome unknown: stopped before its receipt was seen (it may still be mined)",
      );
    } else {
      this.#options.logger.warn(fields, "respondToTask not sent: stopped before the transaction went out");
    }
    this.#emit({ kind: "cut-off", taskIndex, txHash: result.txHash });
  }

  /**
   * The slow path, taken only if the chain refused an aggregate (which batch verification makes
   * a 2^-64 event): every signature of the submitted digest is checked on its own and the
   * invalid ones are taken out. False when none is invalid (the fault is elsewhere).
   */
  #discardInvalid(aggregation: TaskAggregation, submission: Submission): boolean {
    const bad = aggregation
      .winningSignatures()
      .filter((s) => !verifySignature(s.pubkeyG2, submission.digest, s.signature))
      .map((s) => s.operatorId);
    this.#options.logger.error(
      { taskIndex: aggregation.taskIndex, discarded: bad },
      "the chain refused the aggregate; signatures re-checked one by one",
    );
    if (bad.length === 0) return false;
    this.#options.metrics.signaturesInvalid.inc(bad.length);
    aggregation.discardFromWinner(bad);
    return true;
  }

  #drop(entry: TaskEntry, outcome: Outcome): void {
    // The object may still be referenced by requests being verified: make it refuse them.
    if (outcome === "expired") entry.aggregation?.expire();
    else if (outcome === "responded") entry.aggregation?.markResponded();
    else entry.aggregation?.markFailed();
    clearTimeout(entry.windowTimer);
    entry.windowTimer = undefined;
    this.#tasks.delete(entry.info.taskIndex);
    this.#finish(entry.info.taskIndex, outcome);
    if (entry.aggregation !== undefined) {
      this.#finishedAnswers.set(entry.info.taskIndex, entry.aggregation.answers());
      if (this.#finishedAnswers.size > REMEMBER_ANSWERS) {
        const oldest = this.#finishedAnswers.keys().next().value;
        if (oldest !== undefined) this.#finishedAnswers.delete(oldest);
      }
    }
    this.#options.metrics.openTasks.set(this.#tasks.size);
  }

  #finish(taskIndex: number, outcome: Outcome): void {
    this.#finished.set(taskIndex, outcome);
    if (this.#finished.size > this.#rememberFinished) {
      const oldest = this.#finished.keys().next().value;
      if (oldest !== undefined) this.#finished.delete(oldest);
    }
  }

  #emit(event: TaskEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch (error) {
      this.#options.logger.warn({ err: error }, "task event listener threw");
    }
  }

  /** A task's public state, for `GET /v1/tasks/:taskIndex`. */
  describeTask(taskIndex: number): TaskDescription {
    const entry = this.#tasks.get(taskIndex);
    if (entry === undefined) {
      const outcome = this.#finished.get(taskIndex);
      if (outcome === undefined) throw this.#unknownTask(taskIndex);
      return { taskIndex, status: outcome };
    }
    const { info } = entry;
    const snapshot = entry.aggregation?.snapshot();
    return {
      taskIndex,
      status: snapshot?.status ?? "loading",
      quorumNumbers: info.quorumNumbers,
      thresholdPercentage: info.thresholdPercentage,
      referenceBlock: info.referenceBlock.toString(),
      lastResponseBlock: info.lastResponseBlock.toString(),
      totalStake: snapshot?.totalStake,
      winningDigest: snapshot?.winningDigest ?? null,
      digests: snapshot?.groups.map((g) => ({
        digest: g.digest,
        response: g.response,
        signers: Object.keys(g.signers).length,
        signedStake: g.signedStake,
      })),
    };
  }

  /** Number of tasks held in memory, and of timers pending for them. */
  get load(): { tasks: number; timers: number; submitting: number } {
    let timers = 0;
    let submitting = 0;
    for (const entry of this.#tasks.values()) {
      if (entry.windowTimer !== undefined) timers++;
      if (entry.submitting !== undefined) submitting++;
    }
    return { tasks: this.#tasks.size, timers, submitting };
  }

  /** Plain data describing every task's state; equal snapshots mean nothing changed. */
  snapshot(): AggregatorSnapshot {
    const tasks = [...this.#tasks.values()]
      .sort((a, b) => a.info.taskIndex - b.info.taskIndex)
      .map(
        (entry) =>
          entry.aggregation?.snapshot() ?? { taskIndex: entry.info.taskIndex, status: "loading" as const },
      );
    return { tasks, finished: Object.fromEntries(this.#finished) };
  }

  /**
   * Stops; no task is submitted afterwards. Signatures waiting for verification are still
   * verified (their requests answered), a task whose thresholds are met but whose collection
   * window is still running is submitted now rather than dropped, and submissions in flight are
   * awaited (the submitter's stop signal bounds them).
   */
  async close(): Promise<void> {
    await this.#options.batcher.close();
    for (const entry of this.#tasks.values()) {
      if (entry.windowTimer === undefined) continue;
      this.#options.logger.info(
        { taskIndex: entry.info.taskIndex },
        "stopping: collection window cut short, submitting now",
      );
      this.#submitNow(entry);
    }
    this.#closed = true;
    const inFlight = [...this.#tasks.values()].flatMap((entry) => entry.submitting ?? []);
    await Promise.allSettled(inFlight);
  }
}
