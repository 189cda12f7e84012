import { Counter, Gauge, Histogram, type Registry } from "@avskit/runtime";

/** The node's Prometheus metrics, on the service kit's registry (served at /metrics). */
export class SequencerMetrics {
  readonly sequenced: Counter;
  readonly finalized: Counter;
  readonly finalityLatency: Histogram;
  readonly term: Gauge;
  readonly isLeader: Gauge;
  readonly leaderSwitches: Counter;
  readonly disputes: Counter;
  readonly lag: Gauge;
  readonly rounds: Counter;
  readonly refused: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.sequenced = new Counter({
      name: "sequencer_batches_sequenced_total",
      help: "Batches appended to this node's logs (all apps)",
      labelNames: ["app"],
      registers,
    });
    this.finalized = new Counter({
      name: "sequencer_batches_finalized_total",
      help: "Batches this node holds a finality proof for",
      labelNames: ["app"],
      registers,
    });
    this.finalityLatency = new Histogram({
      name: "sequencer_finality_latency_seconds",
      help: "From this node's acknowledgement of a client batch to its finality proof",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 2, 5, 10, 30],
      registers,
    });
    this.term = new Gauge({ name: "sequencer_term", help: "The node's current term", registers });
    this.isLeader = new Gauge({
      name: "sequencer_is_leader",
      help: "1 while this node leads the current term",
      registers,
    });
    this.leaderSwitches = new Counter({
      name: "sequencer_leader_switches_total",
      help: "Term changes this node went through",
      labelNames: ["reason"],
      registers,
    });
    this.disputes = new Counter({
      name: "sequencer_disputes_total",
      help: "Faults seen: bad vote shares, censored batches sent to peers, equivocation proofs",
      labelNames: ["kind"],
      registers,
    });
    this.lag = new Gauge({
      name: "sequencer_app_lag",
      help: "Entries sequenced but not final, per app",
      labelNames: ["app"],
      registers,
    });
    this.rounds = new Counter({
      name: "sequencer_rounds_total",
      help: "Rounds led (leader) or accepted (follower)",
      labelNames: ["role"],
      registers,
    });
    this.refused = new Counter({
      name: "sequencer_requests_refused_total",
      help: "Requests refused, by code",
      labelNames: ["code"],
      registers,
    });
  }
}
