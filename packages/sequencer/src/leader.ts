import type { G1Point } from "@avskit/bls";
import {
  type Certificate,
  hasQuorum,
  type Member,
  newViewToJson,
  type RoundRequest,
  roundReplyFromJson,
  roundRequestToJson,
  signTipStatement,
  signVote,
  type VotePoint,
} from "@avskit/sequencer-protocol";
import type { Hex } from "viem";
import type { Entry } from "./app-log.js";
import { briefly, PeerRequestError } from "./errors.js";
import type { SequencerNode } from "./node.js";
import type { StoredEntry } from "./store.js";
import { mismatchFromBody } from "./wire.js";

const pointOf = (cert: Certificate): VotePoint => ({
  app: cert.app,
  term: cert.term,
  index: cert.index,
  chainHash: cert.chainHash,
});

interface AppState {
  /** Batches forwarded to the leader, not yet in the log (insertion order). */
  readonly queue: Map<Hex, Uint8Array>;
  /** What the leader believes each follower's tip index is. */
  readonly known: Map<Hex, number>;
  /** Followers with a round of this app still unanswered (a straggler gets no second one). */
  readonly inFlight: Set<Hex>;
  wake: (() => void) | undefined;
  loop: Promise<void> | undefined;
}

/**
 * The leader's role for one term: per app, one round at a time (PROTOCOL.md "Rounds"), back to
 * back while there is work and one heartbeat round every --heartbeat otherwise. Round r asks
 * for a lock on the new tip, carries the lock of round r-1 to be finalized and the latest
 * finality proof: once the pipe is full, one round trip per finalized point.
 */
export class Leader {
  readonly term: bigint;
  readonly #node: SequencerNode;
  readonly #apps = new Map<string, AppState>();
  readonly #stop = new AbortController();
  /** Ids the censor fault drops from anyone, once a censored node forwarded them. */
  readonly #censored = new Set<Hex>();

  constructor(node: SequencerNode, term: bigint) {
    this.#node = node;
    this.term = term;
  }

  get #active(): boolean {
    return !this.#stop.signal.aborted && !this.#node.stopped && this.#node.term === this.term;
  }

  #beat: NodeJS.Timeout | undefined;

  start(): void {
    for (const app of this.#node.apps.keys()) this.ensureApp(app);
    // With no app there are no rounds: the followers still need to hear that this leader lives.
    this.#beat = setInterval(() => {
      const node = this.#node;
      if (node.apps.size > 0 || !this.#active || node.faults.silentLeader) return;
      const body = { term: this.term.toString(), statements: [] };
      for (const peer of node.others)
        node.peers.request(peer, "POST", "/v1/peer/status", body).catch(() => {});
    }, this.#node.settings.heartbeatMs);
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    clearInterval(this.#beat);
    for (const s of this.#apps.values()) s.wake?.();
    await Promise.allSettled([...this.#apps.values()].map((s) => s.loop));
  }

  ensureApp(app: string): AppState {
    let state = this.#apps.get(app);
    if (!state) {
      state = { queue: new Map(), known: new Map(), inFlight: new Set(), wake: undefined, loop: undefined };
      this.#apps.set(app, state);
      if (this.#active) state.loop = this.#run(app, state);
    }
    return state;
  }

  /**
   * Queues forwarded batches; ids already in the log or the queue are dropped (the dedup that
   * makes a re-forward harmless). `from` is the forwarding node (for the censor fault).
   */
  enqueue(batches: readonly { app: string; id: Hex; body: Uint8Array }[], from?: Hex): void {
    const faults = this.#node.faults;
    const censoring = from !== undefined && faults.censor.has(from);
    for (const b of batches) {
      if (censoring) this.#censored.add(b.id);
      if (this.#censored.has(b.id)) continue;
      const log = this.#node.logOf(b.app);
      if (log.has(b.id)) continue;
      const state = this.ensureApp(b.app);
      if (!state.queue.has(b.id)) state.queue.set(b.id, b.body);
    }
    for (const b of batches) this.#apps.get(b.app)?.wake?.();
  }

  async #run(app: string, state: AppState): Promise<void> {
    const { heartbeatMs } = this.#node.settings;
    while (this.#active) {
      let progressed = false;
      if (!this.#node.faults.silentLeader) {
        try {
          progressed = await this.#node.withApp(app, () => this.#round(app, state));
        } catch (error) {
          this.#node.logger.error({ err: error, app }, "round failed");
        }
      }
      if (!this.#active) break;
      if (progressed && this.#hasWork(app, state)) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, heartbeatMs);
        state.wake = done;
        function done() {
          clearTimeout(timer);
          state.wake = undefined;
          resolve();
        }
      });
    }
  }

  #hasWork(app: string, state: AppState): boolean {
    const log = this.#node.logOf(app);
    if (state.queue.size > 0) return true;
    const tip = log.tip;
    const lock = log.lock;
    if (!lock || lock.term !== this.term || Number(lock.index) !== tip.index) return true;
    if (Number(lock.index) > log.finalizedIndex) return true;
    for (const m of this.#node.others)
      if ((state.known.get(m.operatorId) ?? tip.index) < tip.index) return true;
    return false;
  }

  /** One round; whether anything moved (entries, a certificate, a follower's tip). */
  async #round(app: string, state: AppState): Promise<boolean> {
    // A round can wait for the app's lock while a new view ends this term; once it has the lock
    // it must not append its queue to a log the view just truncated (the next leader's entries
    // go there, and this node's own order would make it diverge from them for good).
    if (!this.#active) return false;
    const node = this.#node;
    const { network, keys, settings } = node;
    const log = node.logOf(app);
    let progressed = false;

    // 1. The queue into the log, persisted before anyone is asked to store it.
    const before = log.tip;
    const taken: Entry[] = [];
    let bytes = 0;
    for (const [id, body] of state.queue) {
      if (bytes + body.length > settings.maxRoundBytes && taken.length > 0) break;
      state.queue.delete(id);
      if (log.has(id)) continue;
      taken.push({ id, body });
      bytes += body.length + 64;
    }
    if (taken.length > 0) {
      log.append(log.chainOf(taken));
      node.onSequenced(app, taken.length);
      progressed = true;
    }
    const tip = log.tip;
    const lock = log.lock;
    const needLock = !lock || lock.term !== this.term || Number(lock.index) !== tip.index;
    const lockCert = lock && Number(lock.index) > log.finalizedIndex ? lock : undefined;
    const finality = log.finality ?? undefined;
    const lockPoint: VotePoint = { app, term: this.term, index: BigInt(tip.index), chainHash: tip.chainHash };
    const statement = signTipStatement(keys.ecdsaPrivateKey, network.snapshotId, {
      term: this.term,
      app,
      index: lockPoint.index,
      chainHash: tip.chainHash,
    });

    // 2. The leader is one of the signers (its votes are made once the round is on its way).
    const lockShares = new Map<Hex, G1Point>();
    const finShares = new Map<Hex, G1Point>();
    const self = node.self.operatorId;

    // 3. The round to every follower not still busy with the previous one, in parallel.
    const followers = node.others;
    const equivocateTo = new Set(
      node.faults.equivocate ? followers.filter((_, i) => i % 2 === 1).map((m) => m.operatorId) : [],
    );
    const quorumIn = () =>
      (!needLock || hasQuorum(network, lockShares.keys())) &&
      (!lockCert || hasQuorum(network, finShares.keys()));
    let settle!: () => void;
    const allDone = new Promise<void>((resolve) => {
      settle = resolve;
    });
    let outstanding = 0;
    let graceTimer: NodeJS.Timeout | undefined;
    const onReply = () => {
      if (outstanding === 0) settle();
      else if (quorumIn() && graceTimer === undefined) graceTimer = setTimeout(settle, settings.graceMs);
    };
    for (const member of followers) {
      const id = member.operatorId;
      if (state.inFlight.has(id)) continue;
      const from = Math.min(state.known.get(id) ?? before.index, tip.index);
      let entries: StoredEntry[] = from < tip.index ? log.read(from, 100_000, settings.maxRoundBytes) : [];
      // A follower catching up gets the finality point its entries reach, not one it cannot check
      // yet: its finality points (where its pages end) stay as dense as the leader's.
      const reach = entries.at(-1)?.index ?? from;
      const followerFinality =
        reach >= log.finalizedIndex ? finality : (log.finalityAtOrBelow(reach) ?? undefined);
      let round: RoundRequest = {
        app,
        term: this.term,
        prevIndex: BigInt(from),
        prevHash: log.hashAt(from)!,
        entries: entries.map((e) => ({ id: e.id, body: e.body })),
        lockRequest: { index: lockPoint.index, chainHash: tip.chainHash },
        ...(lockCert ? { lockCertificate: lockCert } : {}),
        ...(followerFinality ? { finality: followerFinality } : {}),
        statement,
      };
      if (equivocateTo.has(id) && entries.length > 1) {
        // Test fault: another order of the same entries, with a statement and lock request to match.
        entries = log.chainOf(
          [...entries].reverse().map((e) => ({ id: e.id, body: e.body })),
          { index: from, chainHash: log.hashAt(from)! },
        );
        const altTip = entries.at(-1)!;
        round = {
          ...round,
          entries: entries.map((e) => ({ id: e.id, body: e.body })),
          lockRequest: { index: BigInt(altTip.index), chainHash: altTip.chainHash },
          statement: signTipStatement(keys.ecdsaPrivateKey, network.snapshotId, {
            term: this.term,
            app,
            index: BigInt(altTip.index),
            chainHash: altTip.chainHash,
          }),
        };
      }
      outstanding++;
      state.inFlight.add(id);
      void this.#send(member, round, settings.roundTimeoutMs * 4)
        .then((reply) => {
          if (reply === undefined) return;
          const known = state.known.get(id);
          const index = Number(reply.tip.index);
          if (log.hashAt(index) === reply.tip.chainHash) {
            if (known !== index) progressed = true;
            state.known.set(id, index);
          }
          if (reply.lockSignature && needLock) lockShares.set(id, reply.lockSignature);
          if (reply.finalizeSignature && lockCert) finShares.set(id, reply.finalizeSignature);
        })
        .catch((error) => this.#onRefused(member, app, state, error))
        .finally(() => {
          state.inFlight.delete(id);
          outstanding--;
          onReply();
        });
    }
    // Own votes while the followers work on theirs (a signature is a few ms of curve arithmetic).
    // A leader that voted to leave its term signs nothing more in it (see follower.ts).
    const mayVote = node.viewChange.votedTerm <= this.term;
    if (mayVote && needLock)
      lockShares.set(self, signVote(keys.blsSecretKey, "lock", lockPoint, network.snapshotId));
    if (mayVote && lockCert)
      finShares.set(self, signVote(keys.blsSecretKey, "finalize", pointOf(lockCert), network.snapshotId));
    if (outstanding === 0) settle();
    else if (quorumIn()) graceTimer = setTimeout(settle, settings.graceMs);
    const timeout = setTimeout(settle, settings.roundTimeoutMs);
    await allDone;
    clearTimeout(timeout);
    clearTimeout(graceTimer);
    node.metrics.rounds.inc({ role: "leader" });
    if (!this.#active) return progressed;

    // 4. Certificates from the shares, checked off the event loop, persisted together.
    const [newLock, newFinality] = await Promise.all([
      needLock && hasQuorum(network, lockShares.keys())
        ? node.certify("lock", lockPoint, new Map(lockShares))
        : undefined,
      lockCert && hasQuorum(network, finShares.keys())
        ? node.certify("finalize", pointOf(lockCert), new Map(finShares))
        : undefined,
    ]);
    if (!this.#active) return progressed;
    const previous = log.finalizedIndex;
    let finalized = false;
    node.store.transaction(() => {
      if (newLock && log.setLock(newLock)) progressed = true;
      if (newFinality && log.addFinality(newFinality)) finalized = progressed = true;
    });
    if (finalized) node.onFinalized(app, previous);
    return progressed;
  }

  async #send(member: Member, round: RoundRequest, timeoutMs: number) {
    // Not aborted on stop: the round in flight finishes (its timeout bounds it), and what the
    // followers stored and signed is not left half-answered.
    const body = await this.#node.peers.request(member, "POST", "/v1/peer/round", roundRequestToJson(round), {
      timeoutMs,
    });
    return roundReplyFromJson(body);
  }

  #onRefused(member: Member, app: string, state: AppState, error: unknown): void {
    const node = this.#node;
    const log = node.logOf(app);
    if (error instanceof PeerRequestError && error.code === "LOG_MISMATCH") {
      const mismatch = mismatchFromBody(error.body);
      if (!mismatch) return;
      const index = Number(mismatch.tip.index);
      // Resend from the follower's tip when it is on this chain, else from the finalized
      // entries both hold (they are on every honest chain).
      const next =
        index <= log.tip.index && log.hashAt(index) === mismatch.tip.chainHash
          ? index
          : Math.min(Number(mismatch.finalized), log.finalizedIndex, log.tip.index);
      // Below the follower's tip there is nothing it can append to: within a term a follower
      // only appends, so it waits for the next view (which truncates it to its base).
      const stuck = next < index;
      if (state.known.get(member.operatorId) !== next)
        node.logger[stuck ? "warn" : "debug"](
          {
            peer: member.operatorId,
            app,
            peerTip: index,
            peerFinalized: Number(mismatch.finalized),
            resendFrom: next,
          },
          stuck
            ? "a follower's log diverges from this leader's above its finalized index"
            : "a follower's log ends elsewhere: resending from its tip",
        );
      state.known.set(member.operatorId, next);
      return;
    }
    if (error instanceof PeerRequestError && error.code === "NEED_NEW_VIEW") {
      const nv = node.newView;
      if (nv && nv.term === this.term)
        node.peers.request(member, "POST", "/v1/peer/new-view", newViewToJson(nv)).catch(() => {});
      return;
    }
    if (error instanceof PeerRequestError && error.code === "STALE_TERM") {
      node.viewChange.catchUpFrom(member);
      return;
    }
    node.logger.debug({ peer: member.operatorId, app, err: briefly(error) }, "round not answered");
  }
}
