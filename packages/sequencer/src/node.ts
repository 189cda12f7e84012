import { randomBytes } from "node:crypto";
import type { G1Point } from "@avskit/bls";
import type { Logger } from "@avskit/runtime";
import {
  buildCertificate,
  type Certificate,
  type ChainNetworkLoader,
  forwardRequestToJson,
  isAppName,
  leaderOf,
  type Member,
  type Network,
  type NetworkDescriptor,
  type NetworkLookup,
  type NewView,
  newViewFromJson,
  type VoteKind,
  type VotePoint,
} from "@avskit/sequencer-protocol";
import { bytesToHex, type Hex } from "viem";
import { AppLog } from "./app-log.js";
import { briefly, RefusedError } from "./errors.js";
import type { Faults } from "./faults.js";
import { Leader } from "./leader.js";
import type { SequencerMetrics } from "./metrics.js";
import type { PeerTransport } from "./peers.js";
import type { SequencerStore } from "./store.js";
import type { BlsVerifier } from "./verifier.js";
import { ViewChange } from "./view-change.js";

/** The node's timing and size knobs (the CLI's flags). */
export interface NodeSettings {
  readonly heartbeatMs: number;
  readonly roundTimeoutMs: number;
  /** How long the leader waits for stragglers once both quorums are in. */
  readonly graceMs: number;
  readonly maxRoundBytes: number;
  readonly leaderTimeoutMs: number;
  readonly censorshipTimeoutMs: number;
  readonly finalityTimeoutMs: number;
  readonly resendAfterMs: number;
  readonly maxPending: number;
}

export const DEFAULT_SETTINGS: NodeSettings = {
  heartbeatMs: 100,
  roundTimeoutMs: 1_000,
  graceMs: 3,
  maxRoundBytes: 512 * 1024,
  leaderTimeoutMs: 2_000,
  censorshipTimeoutMs: 3_000,
  finalityTimeoutMs: 5_000,
  resendAfterMs: 2_000,
  maxPending: 100_000,
};

export interface NodeKeys {
  /** BN254 secret key: lock and finalize votes. */
  readonly blsSecretKey: bigint;
  /** secp256k1 key of the member's registered address: peer requests, tip statements, view-change votes. */
  readonly ecdsaPrivateKey: Hex;
}

/** An operator set and where it comes from (what a new view that moves to it carries). */
export interface KnownNetwork {
  readonly network: Network;
  readonly descriptor: NetworkDescriptor;
}

export interface NodeParts {
  /** The operator set the node's current term runs on. */
  readonly network: Network;
  /** Its descriptor (persisted, so a restart resolves the same set). */
  readonly descriptor?: NetworkDescriptor;
  /** Sets of earlier terms (whose certificates the log still carries). */
  readonly earlier?: readonly Network[];
  /** How a new view's descriptor of a chain snapshot is resolved (the node's chain client). */
  readonly networkOptions?: { thresholdPercent?: number; loadChain?: ChainNetworkLoader };
  readonly self: Member;
  readonly keys: NodeKeys;
  readonly store: SequencerStore;
  readonly peers: PeerTransport;
  readonly verifier: BlsVerifier;
  readonly logger: Logger;
  readonly metrics: SequencerMetrics;
  readonly settings: NodeSettings;
  readonly faults: Faults;
}

/** A client batch this node acknowledged and keeps until it is final. */
interface PendingBatch {
  readonly body: Uint8Array;
  readonly receivedAt: number;
  /** Acknowledged to a client here (counted in the finality latency), not handed over by a peer's dispute. */
  readonly own: boolean;
  forwardedAt: number | null;
  /** First forward in the current term (the censorship watch starts there). */
  watchedSince: number | null;
  disputedAt: number | null;
}

export type BatchState = "pending" | "sequenced" | "finalized" | "unknown";

/** Settles when something changes for an app (entries appended, finality moved) or on timeout. */
class Waiters {
  readonly #waiting = new Map<string, Set<() => void>>();
  wait(app: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.#waiting.get(app);
      if (!set) {
        set = new Set();
        this.#waiting.set(app, set);
      }
      const done = () => {
        clearTimeout(timer);
        set!.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      set.add(done);
    });
  }
  wake(app: string): void {
    const set = this.#waiting.get(app);
    if (!set) return;
    for (const done of [...set]) done();
  }
  wakeAll(): void {
    for (const app of this.#waiting.keys()) this.wake(app);
  }
}

/**
 * One sequencer node: its logs, its term, its pending batches, and the roles it plays (the
 * leader's round loops while it leads; the follower's round handling, in follower.ts; the view
 * change, in view-change.ts). Pure state and logic; the network is behind `peers`, the
 * pairings behind `verifier`, the disk behind `store`.
 */
export class SequencerNode {
  #network: Network;
  #descriptor: NetworkDescriptor | undefined;
  readonly #networks = new Map<Hex, Network>();
  #candidate: KnownNetwork | undefined;
  readonly #networkListeners: ((network: Network) => void)[] = [];
  /** Asked for when a peer's vote names a set this node's source has not given yet. */
  refreshNetwork: () => void = () => {};
  readonly self: Member;
  readonly keys: NodeKeys;
  readonly store: SequencerStore;
  readonly peers: PeerTransport;
  readonly verifier: BlsVerifier;
  readonly logger: Logger;
  readonly metrics: SequencerMetrics;
  readonly settings: NodeSettings;
  readonly faults: Faults;
  readonly networkOptions: { thresholdPercent?: number; loadChain?: ChainNetworkLoader };
  readonly viewChange: ViewChange;
  readonly #apps = new Map<string, AppLog>();
  readonly #pending = new Map<string, Map<Hex, PendingBatch>>();
  #pendingCount = 0;
  readonly #waiters = new Waiters();
  readonly #appLocks = new Map<string, Promise<unknown>>();
  #term = 1n;
  #leader: Leader | undefined;
  #lastRoundAt = Date.now();
  readonly #synced = new Map<string, boolean>();
  #timers: NodeJS.Timeout[] = [];
  #forwarding = false;
  #stopped = false;
  readonly #stopping = new AbortController();

  constructor(parts: NodeParts) {
    this.#network = parts.network;
    this.#descriptor = parts.descriptor;
    for (const n of parts.earlier ?? []) this.#networks.set(n.snapshotId, n);
    this.#networks.set(parts.network.snapshotId, parts.network);
    this.self = parts.self;
    this.keys = parts.keys;
    this.store = parts.store;
    this.peers = parts.peers;
    this.verifier = parts.verifier;
    this.logger = parts.logger;
    this.metrics = parts.metrics;
    this.settings = parts.settings;
    this.faults = parts.faults;
    this.networkOptions = parts.networkOptions ?? {};
    const now = Date.now();
    for (const stored of this.store.loadApps())
      this.#apps.set(stored.app, new AppLog(stored.app, this.store, stored, now));
    for (const row of this.store.listPending()) {
      if (!isAppName(row.app)) continue;
      this.#pendingOf(row.app).set(row.id, {
        body: row.body,
        receivedAt: row.receivedAt,
        own: true,
        forwardedAt: null,
        watchedSince: null,
        disputedAt: null,
      });
      this.#pendingCount++;
    }
    const term = this.store.getMeta("term");
    if (term !== undefined) this.#term = BigInt(term);
    const nv = this.store.getMeta("new_view");
    this.viewChange = new ViewChange(this, {
      votedTerm: BigInt(this.store.getMeta("voted_term") ?? "0"),
      newView: nv ? newViewFromJson(JSON.parse(nv)) : undefined,
    });
    this.metrics.term.set(Number(this.#term));
  }

  /** Starts the roles of the current term, the forwarder and the watches. */
  start(): void {
    this.#lastRoundAt = Date.now();
    this.#startTerm();
    this.#timers.push(setInterval(() => void this.#forward(), Math.min(50, this.settings.heartbeatMs)));
    this.#timers.push(setInterval(() => this.#watch(), Math.min(100, this.settings.heartbeatMs)));
    this.viewChange.start();
  }

  /** Stops taking work, ends the round in flight, and leaves the store to the caller to close. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopping.abort();
    for (const t of this.#timers) clearInterval(t);
    this.viewChange.stop();
    this.#waiters.wakeAll();
    await this.#leader?.stop();
    await Promise.allSettled([...this.#appLocks.values()]);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  // ---------------------------------------------------------------------------------------------
  // Operator sets (PROTOCOL.md "Operator-set changes")

  /** The operator set the current term runs on. */
  get network(): Network {
    return this.#network;
  }

  get descriptor(): NetworkDescriptor | undefined {
    return this.#descriptor;
  }

  /** Every set this node trusts by snapshot id: earlier terms', the current one, and the candidate its own source gives. */
  readonly networks: NetworkLookup = (snapshotId) => {
    const id = snapshotId.toLowerCase() as Hex;
    return (
      this.#networks.get(id) ??
      (this.#candidate?.network.snapshotId === id ? this.#candidate.network : undefined)
    );
  };

  /** The set this node's source gives when it differs from the current one (what its votes name). */
  get candidate(): KnownNetwork | undefined {
    return this.#candidate;
  }

  /** Whether this node is a member of the current set (a removed one serves reads only). */
  get member(): boolean {
    return this.#network.members.some((m) => m.operatorId === this.self.operatorId);
  }

  /**
   * What the node's source (file or chain) gives now. A set other than the current one becomes
   * the candidate and the node votes to move the next term onto it; the change happens at that
   * term boundary, once voters with quorum stake of the current set name the same snapshot.
   */
  offerNetwork(offered: KnownNetwork): void {
    if (this.#stopped) return;
    if (offered.network.snapshotId === this.#network.snapshotId) {
      this.#candidate = undefined;
      return;
    }
    if (this.#candidate?.network.snapshotId === offered.network.snapshotId) return;
    this.#candidate = offered;
    this.verifier.addNetwork(offered.network);
    this.logger.info(
      {
        snapshotId: offered.network.snapshotId,
        members: offered.network.members.length,
        current: this.#network.snapshotId,
      },
      "the operator set changed at its source; voting to move the next term onto it",
    );
    if (this.member) this.viewChange.suspect(`operator set changed to ${offered.network.snapshotId}`);
  }

  /** A set an earlier term ran on, learnt when this node joined on a later one (its base lock names it). */
  addEarlierNetwork(network: Network): void {
    if (this.#networks.has(network.snapshotId)) return;
    this.#networks.set(network.snapshotId, network);
    this.verifier.addNetwork(network);
  }

  /** Called with the new set when a term moves onto one. */
  onNetworkChange(listener: (network: Network) => void): void {
    this.#networkListeners.push(listener);
  }

  /** Moves onto `next` (inside the new view's transaction, before the term is entered). */
  adoptNetwork(next: KnownNetwork): void {
    const before = this.#network;
    this.#network = next.network;
    this.#descriptor = next.descriptor;
    this.#networks.set(next.network.snapshotId, next.network);
    if (this.#candidate?.network.snapshotId === next.network.snapshotId) this.#candidate = undefined;
    this.verifier.addNetwork(next.network);
    for (const listener of this.#networkListeners) listener(next.network);
    this.logger.warn(
      {
        snapshotId: next.network.snapshotId,
        previous: before.snapshotId,
        members: next.network.members.length,
        member: this.member,
      },
      this.member
        ? "moved onto a new operator set"
        : "moved onto a new operator set this node is not a member of: reads only",
    );
  }

  get signal(): AbortSignal {
    return this.#stopping.signal;
  }

  get term(): bigint {
    return this.#term;
  }

  get leader(): Member {
    return leaderOf(this.network, this.#term);
  }

  get isLeader(): boolean {
    return this.leader.operatorId === this.self.operatorId;
  }

  get leaderRole(): Leader | undefined {
    return this.#leader;
  }

  get apps(): ReadonlyMap<string, AppLog> {
    return this.#apps;
  }

  get others(): Member[] {
    return this.network.members.filter((m) => m.operatorId !== this.self.operatorId);
  }

  /** The app's log, created (empty) on first use. */
  logOf(app: string): AppLog {
    let log = this.#apps.get(app);
    if (!log) {
      if (!isAppName(app)) throw new RefusedError("INVALID_APP", `${JSON.stringify(app)} is not an app name`);
      log = new AppLog(app, this.store);
      this.#apps.set(app, log);
      this.#leader?.ensureApp(app);
    }
    return log;
  }

  /** Runs `work` with the app's log to itself (rounds, truncation). */
  withApp<T>(app: string, work: () => Promise<T> | T): Promise<T> {
    const previous = this.#appLocks.get(app) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => {});
    this.#appLocks.set(app, tail);
    void tail.then(() => {
      if (this.#appLocks.get(app) === tail) this.#appLocks.delete(app);
    });
    return next;
  }

  /** Runs `work` with every app to itself (a new view). */
  async withAllApps<T>(work: () => Promise<T>): Promise<T> {
    const apps = [...new Set([...this.#apps.keys(), ...this.#appLocks.keys()])];
    const run = (i: number): Promise<T> =>
      i === apps.length ? work() : this.withApp(apps[i]!, () => run(i + 1));
    return run(0);
  }

  // ---------------------------------------------------------------------------------------------
  // Readiness

  /** In sync: leading an established term, or following a leader whose last round matched this log. */
  get ready(): boolean {
    if (this.#stopped) return false;
    if (this.isLeader) return this.#leader !== undefined;
    if (Date.now() - this.#lastRoundAt > this.settings.leaderTimeoutMs) return false;
    if (this.#synced.size === 0) return this.#apps.size === 0 && this.#heardFromLeader;
    for (const synced of this.#synced.values()) if (!synced) return false;
    return true;
  }

  #heardFromLeader = false;

  /**
   * Following the current leader (it is this node, or one heard from within the leader timeout):
   * batches taken now reach it. Weaker than `ready`, which
   * also wants this node's logs caught up.
   */
  get following(): boolean {
    if (this.#stopped) return false;
    if (this.isLeader) return this.#leader !== undefined;
    return this.#heardFromLeader && Date.now() - this.#lastRoundAt <= this.settings.leaderTimeoutMs;
  }

  /** A round of the current leader was accepted; `caughtUp` when this log now ends at the leader's tip. */
  noteRound(app: string, caughtUp: boolean): void {
    this.#lastRoundAt = Date.now();
    this.#heardFromLeader = true;
    this.#synced.set(app, caughtUp);
    this.metrics.rounds.inc({ role: "follower" });
  }

  /** The current leader beat without a round (it has no app yet). */
  noteLeaderAlive(): void {
    this.#lastRoundAt = Date.now();
    this.#heardFromLeader = true;
  }

  noteMismatch(app: string): void {
    this.#lastRoundAt = Date.now();
    this.#synced.set(app, false);
  }

  get lastRoundAt(): number {
    return this.#lastRoundAt;
  }

  // ---------------------------------------------------------------------------------------------
  // Terms

  /** Moves to `term` (a new view accepted or made): the leader role, the watches, the pending batches. */
  enterTerm(term: bigint, reason: string): void {
    const before = this.#term;
    this.#term = term;
    this.store.setMeta("term", term.toString());
    this.#lastRoundAt = Date.now();
    this.#heardFromLeader = false;
    this.#synced.clear();
    this.metrics.term.set(Number(term));
    this.metrics.leaderSwitches.inc({ reason: reason.split(":")[0]! });
    this.logger.info(
      { term: term.toString(), previousTerm: before.toString(), leader: this.leader.operatorId, reason },
      "term changed",
    );
    // Every pending batch goes to the new leader at once; the censorship watch starts anew.
    for (const pending of this.#pending.values()) {
      for (const p of pending.values()) {
        p.forwardedAt = null;
        p.watchedSince = null;
        p.disputedAt = null;
      }
    }
    const old = this.#leader;
    this.#leader = undefined;
    void old?.stop();
    this.#startTerm();
    void this.#forward();
  }

  #startTerm(): void {
    this.metrics.isLeader.set(this.isLeader ? 1 : 0);
    if (!this.isLeader || this.#stopped) return;
    this.#leader = new Leader(this, this.#term);
    this.#leader.start();
  }

  // ---------------------------------------------------------------------------------------------
  // Certificates

  /**
   * The certificate the shares make, checked: the aggregate first (one pairing check), and only
   * when it fails each share, whose bad senders are dropped (and logged as disputes).
   */
  async certify(
    kind: VoteKind,
    point: VotePoint,
    shares: Map<Hex, G1Point>,
  ): Promise<Certificate | undefined> {
    const network = this.#network;
    const cert = buildCertificate(network, kind, point, shares);
    if (!cert) return undefined;
    if (await this.verifier.checkCertificate(cert)) return cert;
    const bad = await this.verifier.invalidShares(network, kind, point, shares);
    for (const id of bad) {
      shares.delete(id);
      this.metrics.disputes.inc({ kind: "bad_share" });
      this.logger.warn(
        { operatorId: id, kind, app: point.app, index: point.index.toString() },
        "dispute: invalid vote share",
      );
    }
    if (bad.length === 0) return undefined;
    return buildCertificate(network, kind, point, shares);
  }

  // ---------------------------------------------------------------------------------------------
  // Client batches

  #pendingOf(app: string): Map<Hex, PendingBatch> {
    let pending = this.#pending.get(app);
    if (!pending) {
      pending = new Map();
      this.#pending.set(app, pending);
    }
    return pending;
  }

  /**
   * Takes client batches: written to the pending table before this returns (the client's
   * acknowledgement means they survive a crash of this node), then forwarded to the leader.
   */
  submit(app: string, batches: readonly { id?: Hex | undefined; body: Uint8Array }[], own = true): Hex[] {
    const log = this.logOf(app);
    if (this.#pendingCount + batches.length > this.settings.maxPending)
      throw new RefusedError("OVERLOADED", `${this.#pendingCount} batches pending here already; retry later`);
    const now = Date.now();
    const pending = this.#pendingOf(app);
    const ids: Hex[] = [];
    const fresh: { id: Hex; body: Uint8Array }[] = [];
    for (const b of batches) {
      const id = (b.id ?? bytesToHex(randomBytes(16))).toLowerCase() as Hex;
      ids.push(id);
      if (log.has(id) && log.indexOf(id)! <= log.finalizedIndex) continue;
      if (pending.has(id) || fresh.some((f) => f.id === id)) continue;
      fresh.push({ id, body: b.body });
    }
    this.store.addPending(app, fresh, now);
    for (const f of fresh) {
      pending.set(f.id, {
        body: f.body,
        receivedAt: now,
        own,
        forwardedAt: null,
        watchedSince: null,
        disputedAt: null,
      });
      this.#pendingCount++;
    }
    if (fresh.length > 0) void this.#forward();
    return ids;
  }

  batchState(app: string, id: Hex): { state: BatchState; index?: number } {
    const log = this.#apps.get(app);
    const index = log?.indexOf(id);
    if (log && index !== undefined)
      return { state: index <= log.finalizedIndex ? "finalized" : "sequenced", index };
    if (this.#pending.get(app)?.has(id)) return { state: "pending" };
    return { state: "unknown" };
  }

  get pendingCount(): number {
    return this.#pendingCount;
  }

  /** Hands pending batches to the leader: new ones, those not sequenced after --resend-after, all after a term change. */
  async #forward(): Promise<void> {
    if (this.#forwarding || this.#stopped) return;
    this.#forwarding = true;
    try {
      const now = Date.now();
      const due: { app: string; id: Hex; body: Uint8Array }[] = [];
      // Capped by bytes, as rounds are: a count cap let 10 kB batches build forwards past the
      // peers' body limit, refused whole and retried for ever.
      let bytes = 0;
      collect: for (const [app, pending] of this.#pending) {
        const log = this.#apps.get(app);
        for (const [id, p] of pending) {
          if (log?.has(id)) continue;
          if (p.forwardedAt !== null && now - p.forwardedAt < this.settings.resendAfterMs) continue;
          if (due.length > 0 && bytes + p.body.length > this.settings.maxRoundBytes) break collect;
          due.push({ app, id, body: p.body });
          bytes += p.body.length;
        }
      }
      if (due.length === 0) return;
      const term = this.#term;
      if (this.isLeader) {
        if (!this.#leader) return;
        this.#leader.enqueue(due);
      } else {
        const leader = this.leader;
        await this.peers.request(leader, "POST", "/v1/peer/forward", forwardRequestToJson({ batches: due }), {
          timeoutMs: 2_000,
        });
      }
      if (term !== this.#term) return;
      const at = Date.now();
      const byApp = new Map<string, Hex[]>();
      for (const d of due) {
        const p = this.#pending.get(d.app)?.get(d.id);
        if (!p) continue;
        p.forwardedAt = at;
        p.watchedSince ??= at;
        let list = byApp.get(d.app);
        if (!list) {
          list = [];
          byApp.set(d.app, list);
        }
        list.push(d.id);
      }
      for (const [app, ids] of byApp) this.store.markForwarded(app, ids, at);
    } catch (error) {
      this.logger.debug({ err: briefly(error) }, "forwarding pending batches failed; retrying");
    } finally {
      this.#forwarding = false;
    }
  }

  /** Batches handed over by a peer that suspects censorship: queued as this node's own pending. */
  takeDisputed(batches: readonly { app: string; id: Hex; body: Uint8Array }[]): void {
    const byApp = new Map<string, { id: Hex; body: Uint8Array }[]>();
    for (const b of batches) {
      let list = byApp.get(b.app);
      if (!list) {
        list = [];
        byApp.set(b.app, list);
      }
      list.push({ id: b.id, body: b.body });
    }
    for (const [app, list] of byApp) this.submit(app, list, false);
  }

  // ---------------------------------------------------------------------------------------------
  // Changes of the logs

  /** Entries were appended to `app`'s log (by a round or the leader). */
  onSequenced(app: string, count: number): void {
    this.metrics.sequenced.inc({ app }, count);
    this.#updateLag(app);
    this.#waiters.wake(app);
  }

  /** `app`'s finality moved: pending batches now final are dropped, long-polls wake. */
  onFinalized(app: string, previous: number): void {
    const log = this.#apps.get(app);
    if (!log) return;
    const finalized = log.finalizedIndex;
    this.metrics.finalized.inc({ app }, finalized - previous);
    const pending = this.#pending.get(app);
    if (pending && pending.size > 0) {
      const now = Date.now();
      const done: Hex[] = [];
      for (const [id, p] of pending) {
        const index = log.indexOf(id);
        if (index === undefined || index > finalized) continue;
        done.push(id);
        if (p.own) this.metrics.finalityLatency.observe((now - p.receivedAt) / 1000);
      }
      if (done.length > 0) {
        this.store.removePending(app, done);
        for (const id of done) pending.delete(id);
        this.#pendingCount -= done.length;
      }
    }
    this.#updateLag(app);
    this.#waiters.wake(app);
  }

  /** Entries after a new view's base were dropped. */
  onTruncated(app: string): void {
    this.#updateLag(app);
    this.#waiters.wake(app);
  }

  #updateLag(app: string): void {
    const log = this.#apps.get(app);
    if (log) this.metrics.lag.set({ app }, log.tip.index - log.finalizedIndex);
  }

  /** Waits until `app` changes (or `ms` pass, or the node stops). */
  waitForChange(app: string, ms: number): Promise<void> {
    return this.#waiters.wait(app, ms, this.#stopping.signal);
  }

  // ---------------------------------------------------------------------------------------------
  // Watches: censorship and finality delay (the leader's silence is the view change's).

  #watch(): void {
    if (this.#stopped || this.isLeader) return;
    const now = Date.now();
    const { censorshipTimeoutMs, finalityTimeoutMs } = this.settings;
    const disputed: { app: string; id: Hex; body: Uint8Array }[] = [];
    let censored = 0;
    for (const [app, pending] of this.#pending) {
      const log = this.#apps.get(app);
      for (const [id, p] of pending) {
        if (log?.has(id) || p.watchedSince === null) continue;
        if (p.disputedAt === null && now - p.watchedSince > censorshipTimeoutMs) {
          p.disputedAt = now;
          disputed.push({ app, id, body: p.body });
        } else if (p.disputedAt !== null && now - p.disputedAt > censorshipTimeoutMs) censored++;
      }
    }
    if (disputed.length > 0) {
      this.metrics.disputes.inc({ kind: "censorship" });
      this.logger.warn(
        { batches: disputed.length, leader: this.leader.operatorId },
        "dispute: batches not sequenced in time; sending them to every peer",
      );
      const body = forwardRequestToJson({ batches: withinBytes(disputed, this.settings.maxRoundBytes) });
      for (const peer of this.others) {
        this.peers.request(peer, "POST", "/v1/peer/dispute", body).catch((error) => {
          this.logger.debug({ peer: peer.operatorId, err: briefly(error) }, "dispute not delivered");
        });
      }
    }
    if (censored > 0) this.viewChange.suspect(`censorship: ${censored} batches unsequenced after a dispute`);
    for (const log of this.#apps.values()) {
      const oldest = log.oldestUnfinalAt();
      // A leader that finalizes, however slowly under load, is not suspected: the oldest entry
      // must be late and finality must not have moved for as long.
      if (
        oldest !== undefined &&
        now - oldest > finalityTimeoutMs &&
        now - log.finalityMovedAt > finalityTimeoutMs &&
        now - this.#enteredAt > finalityTimeoutMs
      ) {
        this.viewChange.suspect(`finality delay: ${log.app} has entries not final for ${now - oldest} ms`);
        break;
      }
    }
  }

  get #enteredAt(): number {
    return this.viewChange.enteredAt;
  }

  /** The view this node holds (the last new view made or accepted). */
  get newView(): NewView | undefined {
    return this.viewChange.newView;
  }
}

/** The longest prefix of `batches` whose bodies fit in `maxBytes` (at least one batch). */
function withinBytes<T extends { body: Uint8Array }>(batches: readonly T[], maxBytes: number): T[] {
  let bytes = 0;
  let end = 0;
  while (end < batches.length && (end === 0 || bytes + (batches[end]?.body.length ?? 0) <= maxBytes)) {
    bytes += batches[end]?.body.length ?? 0;
    end++;
  }
  return batches.slice(0, end);
}
