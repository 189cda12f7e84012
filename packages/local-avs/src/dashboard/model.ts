/**
 * What the dashboard server sends the page: one snapshot of the whole system, as JSON. Plain
 * data only (bigints as decimal strings, times as epoch milliseconds), and no Node imports: the
 * browser bundle imports these types too, so the two sides cannot drift apart.
 */

export type TaskStatus = "pending" | "responded" | "expired" | "challenged";

export interface QuorumSigningView {
  readonly quorum: number;
  readonly signers: number;
  readonly operators: number;
  readonly signedStake: string;
  readonly totalStake: string;
}

export interface TaskView {
  readonly index: number;
  readonly a: string;
  readonly b: string;
  readonly createdBlock: number;
  readonly status: TaskStatus;
  /** The sum the aggregate carries, once responded. */
  readonly answer?: string;
  /** False when the response was wrong (a + b differs). */
  readonly correct?: boolean;
  readonly respondTx?: string;
  readonly gasUsed?: string;
  readonly latencyMs?: number;
  readonly latencyBlocks?: number;
  readonly quorums?: readonly QuorumSigningView[];
  /** Names (or short operatorIds) of the operators whose signature is missing. */
  readonly nonSigners?: readonly string[];
  /** Why the signers could not be read from the response transaction. */
  readonly signingError?: string;
  /** Set when challenged: whether the challenge proved the response wrong. */
  readonly challengeSuccessful?: boolean;
}

export interface OperatorQuorumView {
  readonly quorum: number;
  /** As the stake registry records it now. */
  readonly onChain: string;
  /** As it would be after avs-sync's next update (the weight, or 0 below the quorum's minimum). */
  readonly afterSync: string;
}

export interface HealthView {
  /**
   * up: the health URL answered 2xx; down: it did not answer or answered otherwise, after having
   * been up; starting: not up yet since it was first seen (a start is not a gap).
   */
  readonly state: "up" | "down" | "starting" | "unknown";
  readonly since: number;
  readonly detail?: string;
  /** Down periods seen so far (the gap a restart left), newest last, at most a few. */
  readonly gaps: readonly { readonly from: number; readonly to?: number }[];
}

export interface OperatorView {
  readonly name: string;
  readonly address: string;
  readonly operatorId: string;
  readonly quorums: readonly OperatorQuorumView[];
  readonly registration: "never-registered" | "registered" | "deregistered" | "unknown";
  readonly health: HealthView;
}

export interface AvsSyncQuorumView {
  readonly quorum: number;
  /** Block of the last whole-quorum update, 0 when never. */
  readonly lastBlock: number;
  readonly lastAt?: number;
  readonly lastTx?: string;
  readonly gasUsed?: string;
  readonly operatorsUpdated?: number;
  /** Blocks since the last update. */
  readonly stalenessBlocks?: number;
}

export interface SequencerNodeView {
  readonly name: string;
  readonly url: string;
  readonly role: "leader" | "follower" | "down" | "not ready";
  readonly term?: string;
  readonly finalized: Readonly<Record<string, string>>;
  /** Median time from an index being sequenced to being finalized at this node, last minute. */
  readonly finalityLatencyMs?: number;
}

export interface LeaderChangeView {
  readonly at: number;
  readonly term: string;
  readonly leader: string;
}

export interface SequencerView {
  readonly nodes: readonly SequencerNodeView[];
  readonly leaderChanges: readonly LeaderChangeView[];
}

export interface DowntimeOperatorView {
  readonly operator: string;
  readonly downEvents: number;
  readonly totalDowntimeMs: number;
  /** The operator is down now, by the log. */
  readonly downNow: boolean;
}

export type DowntimeView =
  | { readonly state: "not-running"; readonly reason: string }
  | { readonly state: "unreachable"; readonly url: string; readonly error: string }
  | {
      readonly state: "ok";
      readonly url: string;
      readonly epoch: string;
      /** The log index the answer is as of. */
      readonly asOfIndex: string;
      readonly operators: readonly DowntimeOperatorView[];
    };

export interface ServiceView {
  readonly name: string;
  readonly healthUrl?: string;
  readonly metricsUrl?: string;
  readonly health: HealthView;
}

export interface ChainView {
  readonly chainId: number;
  readonly rpcUrl: string;
  readonly block: number;
  readonly taskManager: string;
  /** The last poll of the chain failed: what is shown is as of `block`. */
  readonly error?: string;
}

export interface DashboardSnapshot {
  readonly version: 1;
  /** Server time of the snapshot. */
  readonly at: number;
  readonly startedAt: number;
  readonly chain: ChainView;
  readonly tasks: readonly TaskView[];
  readonly operators: readonly OperatorView[];
  readonly avsSync: readonly AvsSyncQuorumView[];
  readonly sequencer: SequencerView;
  readonly downtime: DowntimeView;
  readonly services: readonly ServiceView[];
}
