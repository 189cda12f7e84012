import { Counter, createMetricsRegistry, Gauge, type Registry } from "@avskit/runtime";

export type FailureReason = "rpc" | "reverted" | "timeout" | "other";

export interface TaskGeneratorMetrics {
  readonly registry: Registry;
  readonly tasksCreated: Counter;
  readonly failures: Counter<"reason">;
  readonly ticksSkipped: Counter;
  readonly lastTaskIndex: Gauge;
}

export function createTaskGeneratorMetrics(
  registry: Registry = createMetricsRegistry(),
): TaskGeneratorMetrics {
  return {
    registry,
    tasksCreated: new Counter({
      name: "avskit_task_generator_tasks_created_total",
      help: "Tasks created on-chain (NewTaskCreated seen in the receipt)",
      registers: [registry],
    }),
    failures: new Counter({
      name: "avskit_task_generator_task_failures_total",
      help: "Task submissions that failed, by reason (rpc, reverted, timeout, other)",
      labelNames: ["reason"],
      registers: [registry],
    }),
    ticksSkipped: new Counter({
      name: "avskit_task_generator_ticks_skipped_total",
      help: "Ticks skipped because the previous task's transaction was still pending",
      registers: [registry],
    }),
    lastTaskIndex: new Gauge({
      name: "avskit_task_generator_last_task_index",
      help: "Index of the last task created (-1 before the first)",
      registers: [registry],
    }),
  };
}
