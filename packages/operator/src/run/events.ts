import type { Hex } from "viem";
import type { RequestKind } from "./faults.js";
import type { Task } from "./task.js";

export type SkipReason = "expired" | "already-responded" | "not-in-quorums";

/** What the operator reports to a progress hook (a UI, a test); one event per step of a task. */
export type OperatorEvent =
  | { readonly type: "task-seen"; readonly task: Task }
  | { readonly type: "task-skipped"; readonly taskIndex: number; readonly reason: SkipReason }
  | {
      readonly type: "response-signed";
      readonly taskIndex: number;
      readonly sum: bigint;
      readonly digest: Hex;
    }
  | {
      readonly type: "response-accepted";
      readonly taskIndex: number;
      readonly attempts: number;
      /** The aggregator already had it (an earlier try's reply was lost): counted once, all the same. */
      readonly duplicate: boolean;
    }
  | {
      readonly type: "response-failed";
      readonly taskIndex: number;
      /** The aggregator's error code, or window-closed / shutdown. */
      readonly reason: string;
      readonly attempts: number;
    }
  /** TEST ONLY (--wrong-answer-fraction): the task is answered with `sum` instead of `honestSum`. */
  | {
      readonly type: "wrong-answer";
      readonly taskIndex: number;
      readonly honestSum: bigint;
      readonly sum: bigint;
    }
  /** TEST ONLY (--fault-mode): how a deliberately faulty request ended ("accepted", or the refusal). */
  | {
      readonly type: "faulty-request";
      readonly taskIndex: number;
      readonly kind: Exclude<RequestKind, "honest">;
      readonly outcome: string;
    };

export type EmitEvent = (event: OperatorEvent) => void;
