import {
  type SignedResponseBody,
  signedResponseBody,
  type TaskResponse,
  taskResponseDigest,
} from "@avskit/aggregator-api";
import { generateSecretKey, signDigest } from "@avskit/bls";
import type { Logger } from "@avskit/runtime";
import type { Hex } from "viem";
import type { EmitEvent } from "./events.js";
import type { OperatorMetrics } from "./metrics.js";
import type { ResponseSender } from "./sender.js";
import { type Task, wrongSum } from "./task.js";

/**
 * TEST ONLY. What an operator sends for each task, in order. `honest` is the real signed
 * response; the others are misbehaviours the aggregator must refuse without letting them
 * into an aggregate:
 * - `malformed-signature`: a signature that is not a point on the curve;
 * - `forged-signature`: a valid curve point that is not this operator's signature (signed
 *   with a throwaway key);
 * - `malformed-body`: a request that does not have the API's shape.
 */
export const REQUEST_KINDS = ["honest", "malformed-signature", "forged-signature", "malformed-body"] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];
export type FaultKind = Exclude<RequestKind, "honest">;

/** TEST ONLY switches that make the operator misbehave on purpose. Off unless set. */
export interface FaultOptions {
  /** Fraction (0..1) of tasks answered with a wrong sum (correctly signed). */
  readonly wrongAnswerFraction?: number;
  /** What to send per task, in order (default `["honest"]`). */
  readonly requests?: readonly RequestKind[];
  /** Source of randomness for the wrong-answer draw (default Math.random). */
  readonly random?: () => number;
}

export interface FaultContext {
  /** The operatorId the faulty requests claim. */
  readonly operatorId: Hex;
  readonly metrics: OperatorMetrics;
  readonly log: Logger;
  readonly emit: EmitEvent;
}

/** (1, 3) is not on y² = x³ + 3 (the generator is (1, 2)). */
const OFF_CURVE = { X: "1", Y: "3" } as const;

/** The body of one kind of faulty request for `response`. */
export function faultyRequestBody(kind: FaultKind, operatorId: Hex, response: TaskResponse): unknown {
  const forged = (): SignedResponseBody =>
    signedResponseBody(operatorId, response, signDigest(generateSecretKey(), taskResponseDigest(response)));
  switch (kind) {
    case "forged-signature":
      return forged();
    case "malformed-signature":
      return { ...forged(), signature: OFF_CURVE };
    case "malformed-body":
      return { operatorId: operatorId.slice(0, 10), response: "sum please", signature: [1, 2] };
  }
}

/** Whether any misbehaviour is asked for (else `faulty` hands the sender back untouched). */
export function misbehaves(options: FaultOptions): boolean {
  return (options.wrongAnswerFraction ?? 0) > 0 || (options.requests ?? []).some((kind) => kind !== "honest");
}

/**
 * TEST ONLY. Wraps the honest sender so that the operator misbehaves as asked: some tasks
 * answered with a wrong sum (which the honest sender then signs correctly: the challenger's
 * case), and per task the faulty requests of `requests`, in order, around or instead of the
 * honest one (the aggregator's refusals). The honest sender knows nothing of any of this.
 */
export function faulty(sender: ResponseSender, options: FaultOptions, context: FaultContext): ResponseSender {
  const fraction = options.wrongAnswerFraction ?? 0;
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new RangeError(`wrongAnswerFraction must be in [0, 1], got ${fraction}`);
  }
  if (!misbehaves(options)) return sender;
  const requests = options.requests?.length ? options.requests : (["honest"] as const);
  const random = options.random ?? Math.random;
  const { metrics, log, emit } = context;
  log.warn({ wrongAnswerFraction: fraction, requests }, "TEST-ONLY misbehaviour is switched on");

  const send = async (task: Task, response: TaskResponse): Promise<void> => {
    let answer = response;
    if (fraction > 0 && random() < fraction) {
      answer = { ...response, sum: wrongSum(response.sum) };
      metrics.wrongAnswers.inc();
      emit({ type: "wrong-answer", taskIndex: task.taskIndex, honestSum: response.sum, sum: answer.sum });
      log.warn(
        { taskIndex: task.taskIndex, honestSum: response.sum.toString(), sum: answer.sum.toString() },
        "answering with a WRONG sum (test-only option)",
      );
    }
    for (const kind of requests) {
      if (kind === "honest") {
        await sender.send(task, answer);
        continue;
      }
      const outcome = await sender.post(task, faultyRequestBody(kind, context.operatorId, answer));
      const result = outcome.accepted ? "accepted" : outcome.reason;
      metrics.faultRequests.inc({ kind, outcome: result });
      emit({ type: "faulty-request", taskIndex: task.taskIndex, kind, outcome: result });
      if (outcome.accepted) {
        log.error(
          { taskIndex: task.taskIndex, kind },
          "the aggregator ACCEPTED a deliberately faulty request",
        );
      } else {
        log.info(
          { taskIndex: task.taskIndex, kind, reason: outcome.reason, ...outcome.detail },
          "faulty request refused (test-only)",
        );
      }
    }
  };

  return { send, post: sender.post };
}
