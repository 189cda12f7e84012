import {
  type AggregatorSession,
  type SendOutcome,
  signedResponseBody,
  type TaskResponse,
  taskResponseDigest,
} from "@avskit/aggregator-api";
import { type BlsKeyPair, signDigest } from "@avskit/bls";
import { type BackoffPolicy, type Logger, RetryAbortedError, retry } from "@avskit/runtime";
import type { Hex } from "viem";
import type { EmitEvent } from "./events.js";
import type { OperatorMetrics } from "./metrics.js";
import type { Task } from "./task.js";

/** How one request to the aggregator ended, after its retries. */
export type PostOutcome =
  | {
      readonly accepted: true;
      readonly attempts: number;
      /** The aggregator had this very response already (a retry after a lost reply). */
      readonly duplicate: boolean;
    }
  | {
      readonly accepted: false;
      readonly attempts: number;
      /** The aggregator's error code (refused for good), window-closed, or shutdown. */
      readonly reason: string;
      /** The last reply: status, code and message, or why the aggregator could not be reached. */
      readonly detail: Readonly<Record<string, unknown>>;
    };

/** Where a task's answer goes. */
export interface ResponseSender {
  /** Signs the response with the operator's BLS key and posts it until it is taken or cannot land. */
  send(task: Task, response: TaskResponse): Promise<void>;
  /** Posts a request body as it is, with the same retries, and says how it ended. */
  post(task: Task, body: unknown): Promise<PostOutcome>;
}

export interface AggregatorSenderOptions {
  /** The operator's session with the aggregator: it logs in (again) as needed. */
  readonly session: AggregatorSession;
  readonly operatorId: Hex;
  readonly keyPair: BlsKeyPair;
  /** The task manager's response window: a response must land by taskCreatedBlock + this. */
  readonly windowBlocks: number;
  /** Between re-sends the aggregator asked for (it does not know the task yet, it is busy…). */
  readonly backoff: BackoffPolicy;
  /** Bound on each HTTP request. */
  readonly requestTimeoutMs: number;
  /** Latest block seen: retrying stops once it reaches the task's deadline. */
  readonly head: () => bigint | undefined;
  /** Aborted when the operator stops: retries end and a request in flight is cut off. */
  readonly signal: AbortSignal;
  readonly metrics: OperatorMetrics;
  readonly log: Logger;
  readonly emit: EmitEvent;
}

/** The aggregator's reply, as an error, so that `retry` sees a refusal as a failed try. */
class NotAccepted extends Error {
  readonly outcome: Exclude<SendOutcome, { kind: "accepted" }>;
  constructor(outcome: Exclude<SendOutcome, { kind: "accepted" }>) {
    super(outcome.message);
    this.name = "NotAccepted";
    this.outcome = outcome;
  }
}

const refusedForGood = (error: unknown): boolean =>
  error instanceof NotAccepted && error.outcome.kind === "rejected" && !error.outcome.retryable;

/** The honest sender: sign, then post to the aggregator with backoff while the window is open. */
export function aggregatorSender(options: AggregatorSenderOptions): ResponseSender {
  const { metrics, log, emit, signal } = options;

  const post = async (task: Task, body: unknown): Promise<PostOutcome> => {
    const deadline = BigInt(task.taskCreatedBlock + options.windowBlocks);
    const windowOpen = () => {
      const head = options.head();
      return head === undefined || head < deadline;
    };
    let attempts = 0;
    try {
      const duplicate = await retry(
        async () => {
          attempts += 1;
          metrics.sendAttempts.inc();
          const outcome = await options.session.postSignedResponse(task.taskIndex, body, {
            timeoutMs: options.requestTimeoutMs,
            signal,
          });
          if (outcome.kind !== "accepted") throw new NotAccepted(outcome);
          return outcome.duplicate;
        },
        {
          policy: options.backoff,
          signal,
          isPermanent: refusedForGood,
          shouldGoOn: windowOpen,
          onRetry: ({ failedTry, error, delayMs }) => {
            const last = (error as NotAccepted).outcome;
            log.debug(
              {
                taskIndex: task.taskIndex,
                attempt: failedTry,
                delayMs: Math.round(delayMs),
                ...(last.kind === "rejected" ? { code: last.code } : { error: last.message }),
              },
              "aggregator not ready for this response; retrying",
            );
          },
        },
      );
      return { accepted: true, attempts, duplicate };
    } catch (error) {
      if (!(error instanceof NotAccepted || error instanceof RetryAbortedError)) throw error;
      const last = error instanceof NotAccepted ? error.outcome : undefined;
      const reason = refusedForGood(error)
        ? (last as { code: string }).code
        : signal.aborted
          ? "shutdown"
          : "window-closed";
      const detail =
        last === undefined
          ? {}
          : last.kind === "rejected"
            ? { status: last.status, code: last.code, message: last.message }
            : { error: last.message };
      return { accepted: false, attempts, reason, detail };
    }
  };

  const send = async (task: Task, response: TaskResponse): Promise<void> => {
    const digest = taskResponseDigest(response);
    const signature = signDigest(options.keyPair.secretKey, digest);
    metrics.tasksSigned.inc();
    emit({ type: "response-signed", taskIndex: task.taskIndex, sum: response.sum, digest });
    log.info(
      {
        taskIndex: task.taskIndex,
        a: task.a.toString(),
        b: task.b.toString(),
        sum: response.sum.toString(),
      },
      "task signed",
    );
    const outcome = await post(task, signedResponseBody(options.operatorId, response, signature));
    if (outcome.accepted) {
      // A duplicate is this response, counted on an earlier try whose reply never came back.
      metrics.responsesSent.inc();
      log.info(
        { taskIndex: task.taskIndex, attempts: outcome.attempts, duplicate: outcome.duplicate },
        "response accepted by the aggregator",
      );
      emit({
        type: "response-accepted",
        taskIndex: task.taskIndex,
        attempts: outcome.attempts,
        duplicate: outcome.duplicate,
      });
      return;
    }
    metrics.responsesFailed.inc({ reason: outcome.reason });
    log.warn(
      { taskIndex: task.taskIndex, attempts: outcome.attempts, reason: outcome.reason, ...outcome.detail },
      "response not accepted; giving up",
    );
    emit({
      type: "response-failed",
      taskIndex: task.taskIndex,
      reason: outcome.reason,
      attempts: outcome.attempts,
    });
  };

  return { send, post };
}
