import { Counter, Gauge, Histogram, type Registry } from "@avskit/runtime";
import type { BatcherStatus } from "./batcher.js";

/** The aggregator's Prometheus metrics, registered in the service's own registry. */
export class AggregatorMetrics {
  readonly signaturesReceived: Counter;
  readonly signaturesValid: Counter;
  readonly signaturesInvalid: Counter;
  readonly requestsRejected: Counter<"code">;
  readonly tasksCompleted: Counter;
  readonly tasksExpired: Counter;
  readonly tasksFailed: Counter;
  readonly openTasks: Gauge;
  readonly responseLatency: Histogram;
  readonly gasUsed: Histogram;
  readonly batchSize: Histogram;
  readonly verifyCpuSeconds: Counter;
  readonly verifyHandoffSeconds: Counter;
  readonly verifyWait: Histogram;
  readonly verifyQueued: Gauge;
  readonly verifyBusy: Gauge;
  readonly verifySuspects: Gauge;
  /** Read when metrics are scraped; set once the batcher exists. */
  verification: (() => BatcherStatus) | undefined;
  readonly sessionsCreated: Counter;
  readonly sessionsActive: Gauge;

  constructor(registry: Registry, prefix = "avskit_aggregator_") {
    const registers = [registry];
    this.signaturesReceived = new Counter({
      name: `${prefix}signatures_received_total`,
      help: "Signed responses received over HTTP, well-formed or not",
      registers,
    });
    this.signaturesValid = new Counter({
      name: `${prefix}signatures_valid_total`,
      help: "Signatures that verified and were counted",
      registers,
    });
    this.signaturesInvalid = new Counter({
      name: `${prefix}signatures_invalid_total`,
      help: "Well-formed signatures that failed BLS verification",
      registers,
    });
    this.requestsRejected = new Counter({
      name: `${prefix}requests_rejected_total`,
      help: "Requests refused in the error shape (4xx, and 5xx such as UNAVAILABLE), by code; connections refused or closed at --max-connections count as TOO_MANY_CONNECTIONS",
      labelNames: ["code"],
      registers,
    });
    this.tasksCompleted = new Counter({
      name: `${prefix}tasks_completed_total`,
      help: "Tasks whose aggregated response was accepted on-chain",
      registers,
    });
    this.tasksExpired = new Counter({
      name: `${prefix}tasks_expired_total`,
      help: "Tasks whose response window closed before every quorum reached its threshold",
      registers,
    });
    this.tasksFailed = new Counter({
      name: `${prefix}tasks_failed_total`,
      help: "Tasks whose respondToTask transaction could not be landed",
      registers,
    });
    this.openTasks = new Gauge({ name: `${prefix}open_tasks`, help: "Tasks held in memory", registers });
    this.responseLatency = new Histogram({
      name: `${prefix}task_response_latency_seconds`,
      help: "From the aggregator learning of a task to its response being mined",
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60, 120],
      registers,
    });
    this.gasUsed = new Histogram({
      name: `${prefix}respond_gas_used`,
      help: "Gas used by each respondToTask transaction",
      buckets: [150_000, 200_000, 250_000, 300_000, 400_000, 600_000, 1_000_000, 2_000_000, 5_000_000],
      registers,
    });
    this.batchSize = new Histogram({
      name: `${prefix}verification_batch_size`,
      help: "Signatures per verification batch",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.verifyCpuSeconds = new Counter({
      name: `${prefix}verification_cpu_seconds_total`,
      help: "CPU time spent verifying signature batches (the worker threads' own CPU)",
      registers,
    });
    this.verifyHandoffSeconds = new Counter({
      name: `${prefix}verification_handoff_seconds_total`,
      help: "Wall time batches spent crossing to the verification workers and back (encoding, copying, messaging)",
      registers,
    });
    this.verifyWait = new Histogram({
      name: `${prefix}verification_wait_seconds`,
      help: "From a signature's arrival at the batcher to its verdict",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    // Read from the batcher when scraped, so they are never stale.
    const status = () => this.verification?.();
    const statusGauge = (name: string, help: string, field: "queued" | "verifying" | "suspects") =>
      new Gauge({
        name: `${prefix}${name}`,
        help,
        registers,
        collect() {
          this.set(status()?.[field] ?? 0);
        },
      });
    this.verifyQueued = statusGauge(
      "verification_queued",
      "Signatures waiting for a verification batch",
      "queued",
    );
    this.verifyBusy = statusGauge(
      "verification_workers_busy",
      "Verification workers verifying a batch now",
      "verifying",
    );
    this.verifySuspects = statusGauge(
      "verification_suspect_operators",
      "Operators whose signatures are verified one at a time after an invalid one",
      "suspects",
    );
    this.sessionsCreated = new Counter({
      name: `${prefix}sessions_created_total`,
      help: "Operator logins accepted (POST /v1/sessions)",
      registers,
    });
    this.sessionsActive = new Gauge({
      name: `${prefix}sessions_active`,
      help: "Session tokens held (not yet expired or replaced)",
      registers,
    });
  }
}
