import { Counter, Gauge, type Registry } from "@avskit/runtime";

/** The operator's Prometheus metrics, registered in the service's registry (the one /metrics serves). */
export interface OperatorMetrics {
  readonly tasksSeen: Counter;
  readonly tasksSkipped: Counter<"reason">;
  readonly tasksSigned: Counter;
  readonly responsesSent: Counter;
  readonly responsesFailed: Counter<"reason">;
  readonly sendAttempts: Counter;
  readonly faultRequests: Counter<"kind" | "outcome">;
  readonly wrongAnswers: Counter;
  readonly lastBlock: Gauge;
  readonly chainErrors: Counter;
}

export function createOperatorMetrics(registry: Registry): OperatorMetrics {
  const registers = [registry];
  return {
    tasksSeen: new Counter({
      name: "avskit_operator_tasks_seen_total",
      help: "Tasks read from NewTaskCreated events (each task once)",
      registers,
    }),
    tasksSkipped: new Counter({
      name: "avskit_operator_tasks_skipped_total",
      help: "Tasks not answered: expired, already responded, or not in the operator's quorums",
      labelNames: ["reason"],
      registers,
    }),
    tasksSigned: new Counter({
      name: "avskit_operator_tasks_signed_total",
      help: "Task responses computed and BLS-signed",
      registers,
    }),
    responsesSent: new Counter({
      name: "avskit_operator_responses_sent_total",
      help: "Signed responses the aggregator accepted",
      registers,
    }),
    responsesFailed: new Counter({
      name: "avskit_operator_responses_failed_total",
      help: "Signed responses given up on, by reason (the aggregator's error code, window-closed, shutdown)",
      labelNames: ["reason"],
      registers,
    }),
    sendAttempts: new Counter({
      name: "avskit_operator_send_attempts_total",
      help: "HTTP requests to the aggregator, retries included",
      registers,
    }),
    faultRequests: new Counter({
      name: "avskit_operator_fault_requests_total",
      help: "TEST ONLY: deliberately faulty requests sent, by kind and outcome",
      labelNames: ["kind", "outcome"],
      registers,
    }),
    wrongAnswers: new Counter({
      name: "avskit_operator_wrong_answers_total",
      help: "TEST ONLY: tasks answered wrongly on purpose (--wrong-answer-fraction)",
      registers,
    }),
    lastBlock: new Gauge({
      name: "avskit_operator_last_block",
      help: "Latest block the task watcher has scanned",
      registers,
    }),
    chainErrors: new Counter({
      name: "avskit_operator_chain_errors_total",
      help: "Failed chain reads (retried at the next poll)",
      registers,
    }),
  };
}
