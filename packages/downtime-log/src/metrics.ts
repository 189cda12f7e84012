import { Counter, Gauge, type Registry } from "@avskit/runtime";

/** The downtime log's Prometheus metrics, on the service kit's registry (served at /metrics). */
export class DowntimeMetrics {
  readonly probes: Counter;
  readonly suspicions: Counter;
  readonly confirmationsAsked: Counter;
  readonly confirmationsGiven: Counter;
  readonly confirmationsDeclined: Counter;
  readonly eventsPosted: Counter;
  readonly eventsApplied: Counter;
  readonly eventsRefused: Counter;
  readonly appliedIndex: Gauge;
  readonly replicaLag: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.probes = new Counter({
      name: "downtime_probes_total",
      help: "Health probes of other operators' nodes, by result",
      labelNames: ["result"],
      registers,
    });
    this.suspicions = new Counter({
      name: "downtime_suspicions_total",
      help: "Suspected state changes (enough consecutive probes disagreeing with the log), by new state",
      labelNames: ["state"],
      registers,
    });
    this.confirmationsAsked = new Counter({
      name: "downtime_confirmations_asked_total",
      help: "Confirmation requests this operator sent to peers",
      registers,
    });
    this.confirmationsGiven = new Counter({
      name: "downtime_confirmations_given_total",
      help: "Statements this operator signed for a peer (its own probe agreed)",
      registers,
    });
    this.confirmationsDeclined = new Counter({
      name: "downtime_confirmations_declined_total",
      help: "Confirmation requests this operator declined, by reason",
      labelNames: ["reason"],
      registers,
    });
    this.eventsPosted = new Counter({
      name: "downtime_events_posted_total",
      help: "Confirmed events this operator sent to the sequencer",
      registers,
    });
    this.eventsApplied = new Counter({
      name: "downtime_events_applied_total",
      help: "Events this replica applied to its database, by state",
      labelNames: ["state"],
      registers,
    });
    this.eventsRefused = new Counter({
      name: "downtime_events_refused_total",
      help: "Batches of the log this replica refused, by reason",
      labelNames: ["reason"],
      registers,
    });
    this.appliedIndex = new Gauge({
      name: "downtime_applied_index",
      help: "Index of the last batch of the log this replica applied or refused",
      registers,
    });
    this.replicaLag = new Gauge({
      name: "downtime_replica_lag_batches",
      help: "Finalized batches of the log this replica has not read yet",
      registers,
    });
  }
}
