import { registryCoordinatorAbi, stakeRegistryAbi } from "@avskit/bindings";
import type { ReadClient } from "@avskit/runtime";
import type { NodeStateJson } from "@avskit/sequencer-protocol";
import type { Address, Hash, Hex } from "viem";
import type { ChainEvent } from "../watch/chain-watcher.js";
import type { ProgressView, TaskRecord } from "../watch/progress.js";
import type { DowntimeSource } from "./downtime.js";
import type {
  AvsSyncQuorumView,
  DashboardSnapshot,
  HealthView,
  LeaderChangeView,
  OperatorQuorumView,
  OperatorView,
  SequencerNodeView,
  ServiceView,
  TaskView,
} from "./model.js";

/** An operator the dashboard follows on-chain. */
export interface DashboardOperator {
  readonly name: string;
  readonly address: Address;
  readonly operatorId: Hex;
  readonly quorums: readonly number[];
}

/** A service whose health the dashboard checks (its own /health, or /v1/state for a sequencer node). */
export interface DashboardService {
  readonly name: string;
  readonly healthUrl?: string;
  readonly metricsUrl?: string;
}

export interface DashboardSequencerNode {
  readonly name: string;
  /** operatorId: what /v1/state names the node and its leader by. */
  readonly id: Hex;
  readonly url: string;
}

export interface DashboardContracts {
  readonly taskManager: Address;
  readonly registryCoordinator: Address;
  readonly stakeRegistry: Address;
}

export interface DashboardCollectorOptions {
  readonly client: ReadClient;
  readonly chainId: number;
  readonly rpcUrl: string;
  readonly contracts: DashboardContracts;
  /** The tasks as the progress view follows them from chain events. */
  readonly view: ProgressView;
  readonly operators: readonly DashboardOperator[];
  /** Read at each poll: services come and go (a restart is a new process under the same name). */
  readonly services: () => readonly DashboardService[];
  /** Read at each poll: the nodes are known once the services are being started. */
  readonly sequencerNodes: () => readonly DashboardSequencerNode[];
  readonly sequencerApps?: readonly string[];
  readonly downtime: DowntimeSource;
  /** How often the chain and the services are read (default 1 s). */
  readonly intervalMs?: number;
  /** A part of a poll failed (said once per distinct message). */
  readonly onError?: (part: string, error: Error) => void;
  readonly now?: () => number;
}

/** Newest tasks shown; older ones are dropped from the page, not from the progress view. */
const MAX_TASKS = 50;
const MAX_GAPS = 5;
const MAX_LEADER_CHANGES = 30;
const FINALITY_WINDOW_MS = 60_000;
const HTTP_TIMEOUT_MS = 900;

interface HealthTrack {
  state: HealthView["state"];
  since: number;
  detail?: string;
  gaps: { from: number; to?: number }[];
}

interface FinalityTrack {
  lastSequenced: bigint;
  waiting: { index: bigint; at: number }[];
  samples: { at: number; ms: number }[];
}

type Listener = (snapshot: DashboardSnapshot) => void;

const short = (id: string) => `${id.slice(0, 10)}…`;

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Answers 2xx within the timeout: up. Anything else (refused, timeout, 5xx): down, with why. */
async function probe(url: string): Promise<{ up: boolean; detail?: string }> {
  try {
    const reply = await fetch(url, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    await reply.body?.cancel();
    return reply.ok ? { up: true } : { up: false, detail: `HTTP ${reply.status}` };
  } catch (error) {
    // fetch's own message is "fetch failed": the cause says what (ECONNREFUSED, a timeout).
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { up: false, detail: cause?.code ?? cause?.message ?? (error as Error).name };
  }
}

/**
 * The dashboard's one data module: reads the chain (stakes, registrations, avs-sync's updates)
 * and the services' own HTTP APIs (health, the sequencer nodes' /v1/state, the downtime log)
 * on a timer, takes the tasks from the progress view, and hands every changed snapshot to its
 * listeners. Each part of a poll fails on its own: a dead service or a slow chain leaves the
 * last good figures in place and is shown as such.
 */
export class DashboardCollector {
  readonly #o: DashboardCollectorOptions;
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #listeners = new Set<Listener>();
  readonly #health = new Map<string, HealthTrack>();
  readonly #finality = new Map<string, FinalityTrack>();
  readonly #lastErrors = new Map<string, string>();
  #quorumCount = 0;
  #block = 0;
  #chainError: string | undefined;
  #operators: OperatorView[] = [];
  #avsSync = new Map<number, AvsSyncQuorumView>();
  /** OperatorStakeUpdate events by transaction, until their quorum's QuorumBlockNumberUpdated. */
  readonly #stakeUpdates = new Map<Hash, number[]>();
  #sequencerNodes: SequencerNodeView[] = [];
  #leaderChanges: LeaderChangeView[] = [];
  #lastLeader = "";
  #downtime: DashboardSnapshot["downtime"] = { state: "not-running", reason: "not read yet" };
  #snapshot: DashboardSnapshot;
  #snapshotJson = "";
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #abort = new AbortController();

  constructor(options: DashboardCollectorOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#startedAt = this.#now();
    this.#snapshot = this.#build();
  }

  get snapshot(): DashboardSnapshot {
    return this.#snapshot;
  }

  /** Called with each snapshot that differs from the last; returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    if (this.#timer) return;
    const tick = () => {
      this.#polling ??= this.poll().finally(() => {
        this.#polling = undefined;
      });
    };
    tick();
    this.#timer = setInterval(tick, this.#o.intervalMs ?? 1_000);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#polling;
  }

  /** The chain events the devnet's watcher reports: avs-sync's updates and the tasks' changes. */
  async onEvent(event: ChainEvent): Promise<void> {
    if (event.kind === "stake-updated") {
      const quorums = this.#stakeUpdates.get(event.txHash) ?? [];
      quorums.push(event.quorum);
      this.#stakeUpdates.set(event.txHash, quorums);
      return;
    }
    if (event.kind !== "quorum-updated") return;
    const updates = this.#stakeUpdates.get(event.txHash) ?? [];
    const operatorsUpdated = updates.filter((q) => q === event.quorum).length;
    const rest = updates.filter((q) => q !== event.quorum);
    if (rest.length === 0) this.#stakeUpdates.delete(event.txHash);
    else this.#stakeUpdates.set(event.txHash, rest);
    let gasUsed: string | undefined;
    try {
      gasUsed = (await this.#o.client.getTransactionReceipt({ hash: event.txHash })).gasUsed.toString();
    } catch (error) {
      this.#fail("avs-sync receipt", error as Error);
    }
    this.#avsSync.set(event.quorum, {
      quorum: event.quorum,
      lastBlock: Number(event.blockNumber),
      lastAt: this.#now(),
      lastTx: event.txHash,
      gasUsed,
      operatorsUpdated,
    });
  }

  /** One round over every source, then a snapshot for the listeners if anything changed. */
  async poll(): Promise<void> {
    await Promise.all([this.#pollChain(), this.#pollHealth(), this.#pollSequencer(), this.#pollDowntime()]);
    this.#publish();
  }

  #fail(part: string, error: Error): void {
    if (this.#lastErrors.get(part) !== error.message) this.#o.onError?.(part, error);
    this.#lastErrors.set(part, error.message);
  }

  async #pollChain(): Promise<void> {
    const { client, contracts } = this.#o;
    try {
      if (this.#quorumCount === 0) {
        this.#quorumCount = await client.readContract({
          address: contracts.registryCoordinator,
          abi: registryCoordinatorAbi,
          functionName: "quorumCount",
        });
      }
      const block = await client.getBlockNumber({ cacheTime: 0 });
      // Everything at one block: on-chain and after-sync stakes are comparable with each other.
      const at = { blockNumber: block } as const;
      const quorums = Array.from({ length: this.#quorumCount }, (_, q) => q);
      const minimums = await Promise.all(
        quorums.map((q) =>
          client.readContract({
            address: contracts.stakeRegistry,
            abi: stakeRegistryAbi,
            functionName: "minimumStakeForQuorum",
            args: [q],
            ...at,
          }),
        ),
      );
      const operators = await Promise.all(
        this.#o.operators.map(async (op): Promise<OperatorView> => {
          const [info, stakes] = await Promise.all([
            client.readContract({
              address: contracts.registryCoordinator,
              abi: registryCoordinatorAbi,
              functionName: "getOperator",
              args: [op.address],
              ...at,
            }),
            Promise.all(
              op.quorums.map(async (quorum): Promise<OperatorQuorumView> => {
                const [onChain, weight] = await Promise.all([
                  client.readContract({
                    address: contracts.stakeRegistry,
                    abi: stakeRegistryAbi,
                    functionName: "getCurrentStake",
                    args: [op.operatorId, quorum],
                    ...at,
                  }),
                  client.readContract({
                    address: contracts.stakeRegistry,
                    abi: stakeRegistryAbi,
                    functionName: "weightOfOperatorForQuorum",
                    args: [quorum, op.address],
                    ...at,
                  }),
                ]);
                // The registry records 0 for a weight below the quorum's minimum: so would a sync.
                const afterSync = weight >= (minimums[quorum] ?? 0n) ? weight : 0n;
                return { quorum, onChain: onChain.toString(), afterSync: afterSync.toString() };
              }),
            ),
          ]);
          const registration = (["never-registered", "registered", "deregistered"] as const)[info.status];
          return {
            name: op.name,
            address: op.address,
            operatorId: op.operatorId,
            quorums: stakes,
            registration: registration ?? "unknown",
            health: this.#healthView(op.name),
          };
        }),
      );
      const updateBlocks = await Promise.all(
        quorums.map((q) =>
          client.readContract({
            address: contracts.registryCoordinator,
            abi: registryCoordinatorAbi,
            functionName: "quorumUpdateBlockNumber",
            args: [q],
            ...at,
          }),
        ),
      );
      for (const [q, updated] of updateBlocks.entries()) {
        const seen = this.#avsSync.get(q);
        const lastBlock = Number(updated);
        this.#avsSync.set(q, {
          ...(seen && seen.lastBlock === lastBlock ? seen : { quorum: q, lastBlock }),
          stalenessBlocks: lastBlock === 0 ? undefined : Number(block) - lastBlock,
        });
      }
      this.#block = Number(block);
      this.#operators = operators;
      this.#chainError = undefined;
    } catch (error) {
      this.#chainError = (error as Error).message.split("\n")[0];
      this.#fail("chain", error as Error);
    }
  }

  #track(name: string, up: boolean, detail: string | undefined): void {
    const now = this.#now();
    const track = this.#health.get(name);
    if (track === undefined) {
      this.#health.set(name, { state: up ? "up" : "starting", since: now, detail, gaps: [] });
      return;
    }
    track.detail = detail;
    const state = up ? "up" : track.state === "starting" ? "starting" : "down";
    if (track.state === state) return;
    if (state === "down") track.gaps = [...track.gaps, { from: now }].slice(-MAX_GAPS);
    else {
      const open = track.gaps.at(-1);
      if (open && open.to === undefined) open.to = now;
    }
    track.state = state;
    track.since = now;
  }

  #healthView(name: string): HealthView {
    const track = this.#health.get(name);
    if (track === undefined) return { state: "unknown", since: this.#startedAt, gaps: [] };
    return {
      state: track.state,
      since: track.since,
      detail: track.detail,
      gaps: track.gaps.map((g) => ({ ...g })),
    };
  }

  async #pollHealth(): Promise<void> {
    await Promise.all(
      this.#o.services().map(async (service) => {
        if (service.healthUrl === undefined) return;
        const { up, detail } = await probe(service.healthUrl);
        this.#track(service.name, up, detail);
      }),
    );
    // Operators' health rides along their chain figures; refresh it even when the chain poll failed.
    this.#operators = this.#operators.map((op) => ({ ...op, health: this.#healthView(op.name) }));
  }

  async #pollSequencer(): Promise<void> {
    const apps = this.#o.sequencerApps ?? [];
    const now = this.#now();
    const nodes = this.#o.sequencerNodes();
    const names = new Map(nodes.map((n) => [n.id.toLowerCase(), n.name]));
    const states = await Promise.all(
      nodes.map(async (node): Promise<NodeStateJson | undefined> => {
        try {
          const reply = await fetch(`${node.url}/v1/state`, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
          return reply.ok ? ((await reply.json()) as NodeStateJson) : undefined;
        } catch {
          return undefined;
        }
      }),
    );
    this.#sequencerNodes = nodes.map((node, i): SequencerNodeView => {
      const state = states[i];
      if (state === undefined) return { name: node.name, url: node.url, role: "down", finalized: {} };
      const finalized: Record<string, string> = {};
      const latencies: number[] = [];
      for (const [app, progress] of Object.entries(state.apps)) {
        if (apps.length > 0 && !apps.includes(app)) continue;
        finalized[app] = progress.finalized;
        latencies.push(...this.#finalitySamples(`${node.name}/${app}`, progress, now));
      }
      const role = !state.ready
        ? "not ready"
        : state.leader.toLowerCase() === state.node.toLowerCase()
          ? "leader"
          : "follower";
      return {
        name: node.name,
        url: node.url,
        role,
        term: state.term,
        finalized,
        finalityLatencyMs: median(latencies),
      };
    });
    // A leader switch: every ready node names the same new leader (a term in flux is not one).
    const leaders = new Set(
      states.filter((s) => s?.ready).map((s) => `${s!.leader.toLowerCase()}/${s!.term}`),
    );
    const [only] = leaders;
    if (leaders.size === 1 && only && only !== this.#lastLeader) {
      const [leader, term] = only.split("/") as [string, string];
      this.#lastLeader = only;
      this.#leaderChanges = [
        ...this.#leaderChanges,
        { at: now, term, leader: names.get(leader) ?? short(leader) },
      ].slice(-MAX_LEADER_CHANGES);
    }
  }

  /**
   * Finality latency as this poll sees it: the time from the poll that first saw an index
   * sequenced to the one that saw it finalized (so its resolution is the poll interval).
   */
  #finalitySamples(key: string, progress: { sequenced: string; finalized: string }, now: number): number[] {
    const sequenced = BigInt(progress.sequenced);
    const finalized = BigInt(progress.finalized);
    const track = this.#finality.get(key) ?? { lastSequenced: sequenced, waiting: [], samples: [] };
    this.#finality.set(key, track);
    if (sequenced > track.lastSequenced) track.waiting.push({ index: sequenced, at: now });
    track.lastSequenced = sequenced;
    while (track.waiting.length > 0 && track.waiting[0]!.index <= finalized) {
      track.samples.push({ at: now, ms: now - track.waiting.shift()!.at });
    }
    track.samples = track.samples.filter((s) => now - s.at <= FINALITY_WINDOW_MS);
    return track.samples.map((s) => s.ms);
  }

  async #pollDowntime(): Promise<void> {
    try {
      this.#downtime = await this.#o.downtime.read(this.#abort.signal);
    } catch (error) {
      this.#downtime = { state: "unreachable", url: "", error: (error as Error).message };
    }
  }

  #task(record: TaskRecord): TaskView {
    const { task, response, challenge } = record;
    const base = {
      index: task.taskIndex,
      a: task.a.toString(),
      b: task.b.toString(),
      createdBlock: task.taskCreatedBlock,
    };
    const status = challenge ? "challenged" : response ? "responded" : record.expired ? "expired" : "pending";
    if (response === undefined) return { ...base, status };
    const signing = response.signing;
    const signed =
      signing === undefined
        ? {}
        : signing instanceof Error
          ? { signingError: signing.message }
          : {
              gasUsed: signing.gasUsed.toString(),
              nonSigners: signing.nonSignerIds.map((id) => this.#o.view.nameOf(id)),
              quorums: signing.quorums.map((q) => ({
                quorum: q.quorum,
                signers: q.signers,
                operators: q.operators,
                signedStake: q.signedStake.toString(),
                totalStake: q.totalStake.toString(),
              })),
            };
    return {
      ...base,
      status,
      answer: response.sum.toString(),
      correct: response.correct,
      respondTx: response.txHash,
      latencyMs: response.latencyMs,
      latencyBlocks: response.latencyBlocks,
      ...signed,
      ...(challenge ? { challengeSuccessful: challenge.successful } : {}),
    };
  }

  #build(): DashboardSnapshot {
    const tasks = [...this.#o.view.tasks.values()]
      .sort((x, y) => y.task.taskIndex - x.task.taskIndex)
      .slice(0, MAX_TASKS)
      .map((record) => this.#task(record));
    const services: ServiceView[] = this.#o.services().map((s) => ({
      name: s.name,
      healthUrl: s.healthUrl,
      metricsUrl: s.metricsUrl,
      health: this.#healthView(s.name),
    }));
    return {
      version: 1,
      at: this.#now(),
      startedAt: this.#startedAt,
      chain: {
        chainId: this.#o.chainId,
        rpcUrl: this.#o.rpcUrl,
        block: this.#block,
        taskManager: this.#o.contracts.taskManager,
        error: this.#chainError,
      },
      tasks,
      operators: this.#operators,
      avsSync: [...this.#avsSync.values()].sort((x, y) => x.quorum - y.quorum),
      sequencer: { nodes: this.#sequencerNodes, leaderChanges: this.#leaderChanges },
      downtime: this.#downtime,
      services,
    };
  }

  #publish(): void {
    const snapshot = this.#build();
    // `at` changes every time: compare without it, so an idle system sends nothing.
    const json = JSON.stringify({ ...snapshot, at: 0 });
    this.#snapshot = snapshot;
    if (json === this.#snapshotJson) return;
    this.#snapshotJson = json;
    for (const listener of this.#listeners) listener(snapshot);
  }
}
