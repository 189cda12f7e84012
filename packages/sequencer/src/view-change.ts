import {
  type Certificate,
  checkTransition,
  checkViewChangeVote,
  compareLocks,
  hasQuorum,
  isEquivocation,
  justifyNewView,
  leaderOf,
  type Member,
  memberById,
  type NewView,
  networkOfDescriptor,
  newViewFromJson,
  newViewToJson,
  nextChainHash,
  peerLogPageFromJson,
  signViewChangeVote,
  snapshotIdOf,
  stakeOf,
  type TipStatement,
  tipStatementToJson,
  type ViewChangeVote,
  verifyViewChangeVote,
  viewChangeVoteToJson,
} from "@avskit/sequencer-protocol";
import { type Hex, hexToBytes } from "viem";
import { briefly, RefusedError } from "./errors.js";
import type { KnownNetwork, SequencerNode } from "./node.js";
import type { StoredEntry } from "./store.js";

/** The doubling of the timeouts after escalations stops at 2^MAX_BACKOFF times the leader timeout. */
const MAX_BACKOFF = 3;

/**
 * Leader change (PROTOCOL.md "Leader change"): suspicion, votes, the new leader's new view, a
 * follower's acceptance, escalation to the next term when a change does not complete, and the
 * catch-up of a node that missed one.
 */
export class ViewChange {
  readonly #node: SequencerNode;
  #votedTerm: bigint;
  #votingSince = 0;
  #newView: NewView | undefined;
  /** Votes received, by term then voter. */
  readonly #votes = new Map<bigint, Map<Hex, ViewChangeVote>>();
  /** Tip statements of leaders seen (own rounds and peers' gossip), by term/app/index. */
  readonly #statements = new Map<string, TipStatement>();
  readonly #latest = new Map<string, TipStatement>();
  #gossiped = new Set<string>();
  #enteredAt = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #gossipTimer: NodeJS.Timeout | undefined;
  #making = false;
  #fetching = false;
  /**
   * Term changes that did not complete since this node last followed an established leader
   * (terms voted past the next one). Each one doubles the time it gives the next change and the next leader (up to 2^MAX_BACKOFF): with
   * fixed timeouts, a machine slower than them would escalate forever; with doubling ones,
   * eventually they exceed the real delays (partial synchrony), and a change completes.
   */
  #escalations = 0;

  constructor(node: SequencerNode, persisted: { votedTerm: bigint; newView: NewView | undefined }) {
    this.#node = node;
    this.#votedTerm = persisted.votedTerm;
    this.#newView = persisted.newView;
  }

  get newView(): NewView | undefined {
    return this.#newView;
  }

  get votedTerm(): bigint {
    return this.#votedTerm;
  }

  /** Escalations since this node last followed an established leader (its timeouts are × 2^this). */
  get escalations(): number {
    return this.#escalations;
  }

  get enteredAt(): number {
    return this.#enteredAt;
  }

  start(): void {
    this.#enteredAt = Date.now();
    this.#timer = setInterval(() => this.#tick(), 100);
    this.#gossipTimer = setInterval(() => this.#gossip(), 250);
  }

  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#gossipTimer);
  }

  #tick(): void {
    const node = this.#node;
    if (node.stopped || !node.member) return;
    const now = Date.now();
    if (this.#escalations > 0 && this.#votedTerm <= node.term && node.following) this.#escalations = 0;
    const leaderTimeoutMs = node.settings.leaderTimeoutMs * 2 ** this.#escalations;
    if (this.#votedTerm > node.term) {
      // A change that does not complete within twice the leader timeout: the next term.
      if (now - this.#votingSince <= 2 * leaderTimeoutMs) return;
      const voters = [...(this.#votes.get(this.#votedTerm)?.keys() ?? [])];
      if (hasQuorum(node.network, voters)) {
        // A quorum wanted that term and its leader did not deliver: the term after.
        this.#vote(
          this.#votedTerm + 1n,
          `escalation: the change to the voted term did not complete in ${2 * leaderTimeoutMs} ms`,
        );
      } else {
        // Too few agree (yet): say it again, in case votes were lost, and keep following meanwhile.
        this.#votingSince = now;
        this.#broadcast(this.#currentVote(this.#votedTerm));
      }
      return;
    }
    if (!node.isLeader && now - node.lastRoundAt > leaderTimeoutMs)
      this.suspect(`leader silent: no valid round for ${now - node.lastRoundAt} ms`);
    // A term that began without the change this node's source shows (too few named the same
    // snapshot): ask again, once per term, after a leader timeout in it.
    else if (node.candidate !== undefined && now - this.#enteredAt > leaderTimeoutMs)
      this.suspect(`operator set changed to ${node.candidate.network.snapshotId}`);
  }

  /** Suspects the current leader: votes for the next term (once per term). */
  suspect(reason: string): void {
    const node = this.#node;
    if (node.stopped || !node.member || this.#votedTerm > node.term) return;
    this.#vote(node.term + 1n, reason);
  }

  #vote(newTerm: bigint, reason: string): void {
    const node = this.#node;
    if (newTerm <= this.#votedTerm) return;
    // Terms skipped past the next one are changes that did not complete, whoever escalated first
    // (a node that joins a vote counts them too, or the first to escalate would set the pace).
    const skipped = Number(newTerm - node.term - 1n);
    this.#escalations = Math.min(MAX_BACKOFF, Math.max(this.#escalations, skipped));
    this.#votedTerm = newTerm;
    this.#votingSince = Date.now();
    node.store.setMeta("voted_term", newTerm.toString());
    const vote = this.#signVote(newTerm);
    const next = vote.next;
    node.logger.warn(
      {
        newTerm: newTerm.toString(),
        term: node.term.toString(),
        leader: node.leader.operatorId,
        newLeader: leaderOf(node.network, newTerm).operatorId,
        ...(next === null ? {} : { nextSnapshot: next }),
        reason,
      },
      "voting for a new term",
    );
    this.#record(vote);
    this.#broadcast(vote);
    void this.#tryNewView(newTerm);
  }

  /** This node's vote for `newTerm` as it stands now: its locks, on its current snapshot. */
  #signVote(newTerm: bigint): ViewChangeVote {
    const node = this.#node;
    const locks: Record<string, Certificate | null> = {};
    for (const [app, log] of node.apps) locks[app] = log.lock;
    const next = node.candidate?.network.snapshotId ?? null;
    return signViewChangeVote(
      node.keys.ecdsaPrivateKey,
      node.network,
      node.self.operatorId,
      newTerm,
      locks,
      next,
    );
  }

  /**
   * The vote to say again for the term this node voted for. A vote is signed on a snapshot, and
   * peers check it against theirs: one signed before this node moved onto a new snapshot (a view
   * onto it came in while its vote for a later term was out) is refused by every peer now, and
   * the change it asks for could never gather a quorum, while the node, having voted to leave its
   * term, signs nothing in it: the cluster would sequence without ever locking (seen in the e2e
   * operator-set test). So it signs the same term again on the current snapshot, and the votes it
   * holds from others on the old one, which count nowhere now, are dropped. The new vote reports
   * the node's locks as they are: it signed nothing since its first vote, and a new view it took
   * since only kept what a quorum had locked, which holds everything final.
   */
  #currentVote(term: bigint): ViewChangeVote | undefined {
    const node = this.#node;
    const votes = this.#votes.get(term);
    const own = votes?.get(node.self.operatorId);
    if (!own || verifyViewChangeVote(node.network, own)) return own;
    for (const [from, vote] of votes!) if (!verifyViewChangeVote(node.network, vote)) votes!.delete(from);
    const vote = this.#signVote(term);
    node.logger.info(
      { newTerm: term.toString(), snapshotId: node.network.snapshotId },
      "vote signed again on the current snapshot",
    );
    this.#record(vote);
    void this.#tryNewView(term);
    return vote;
  }

  #broadcast(vote: ViewChangeVote | undefined): void {
    if (!vote) return;
    const node = this.#node;
    const body = { vote: viewChangeVoteToJson(vote) };
    for (const peer of node.others) {
      node.peers.request(peer, "POST", "/v1/peer/view-change", body).catch((error) => {
        node.logger.debug({ peer: peer.operatorId, err: briefly(error) }, "view-change vote not delivered");
      });
    }
  }

  #record(vote: ViewChangeVote): void {
    let votes = this.#votes.get(vote.newTerm);
    if (!votes) {
      votes = new Map();
      this.#votes.set(vote.newTerm, votes);
    }
    votes.set(vote.from, vote);
  }

  /** A peer's vote (POST /v1/peer/view-change), from the authenticated sender. */
  onVote(from: Member, vote: ViewChangeVote): void {
    const node = this.#node;
    if (vote.from !== from.operatorId) throw new RefusedError("BAD_VOTE", "the vote is not the sender's");
    if (vote.newTerm <= node.term) return;
    const check = checkViewChangeVote(node.network, vote, node.networks);
    if (!check.ok) throw new RefusedError("BAD_VOTE", check.reason);
    this.#record(vote);
    // A peer saw another operator set at its source: look at ours now rather than at the next poll.
    if (vote.next !== null && vote.next !== node.candidate?.network.snapshotId) node.refreshNetwork();
    const voters = this.#votes.get(vote.newTerm)!;
    // Join a change that some honest member wants (more stake than the faulty can have).
    const stake = stakeOf(
      node.network,
      [...voters.keys()].filter((id) => id !== node.self.operatorId),
    );
    const { totalStake, thresholdPercent } = node.network;
    if (vote.newTerm > this.#votedTerm && 100n * stake > BigInt(100 - thresholdPercent) * totalStake)
      this.#vote(
        vote.newTerm,
        `joining: members with more than ${100 - thresholdPercent}% of the stake voted`,
      );
    void this.#tryNewView(vote.newTerm);
  }

  /** As the new leader of `term`, with votes of a quorum: the new view. */
  async #tryNewView(term: bigint): Promise<void> {
    const node = this.#node;
    if (this.#making || node.term >= term || !node.member) return;
    if (leaderOf(node.network, term).operatorId !== node.self.operatorId) return;
    const votes = [...(this.#votes.get(term)?.values() ?? [])];
    if (
      !hasQuorum(
        node.network,
        votes.map((v) => v.from),
      )
    )
      return;
    this.#making = true;
    try {
      const justified = justifyNewView(node.network, term, votes, node.networks);
      if (!justified.ok) {
        node.logger.warn(
          { term: term.toString(), reason: justified.reason },
          "votes do not justify a new view",
        );
        return;
      }
      let next: KnownNetwork | undefined;
      if (justified.next !== null) {
        next = node.candidate;
        if (next?.network.snapshotId !== justified.next) {
          // Its own source must give the set too: the descriptor it sends is what followers load.
          node.logger.warn(
            { term: term.toString(), nextSnapshot: justified.next },
            "the votes move to an operator set this node's source does not give (yet)",
          );
          node.refreshNetwork();
          return;
        }
      }
      const nv: NewView = {
        term,
        votes,
        base: justified.base,
        ...(next === undefined || node.descriptor === undefined
          ? {}
          : { next: next.descriptor, from: node.descriptor }),
      };
      // Members of the set being left hear of the change too (a removed one learns it is out).
      const recipients = new Map(node.others.map((m) => [m.operatorId, m]));
      await node.withAllApps(async () => {
        if (node.term >= term) return;
        for (const [app, base] of Object.entries(nv.base)) {
          if (base === null) continue;
          const log = node.logOf(app);
          if (log.hashAt(Number(base.index)) !== base.chainHash) await this.#fetchTo(app, base, votes);
        }
        this.#apply(nv, "new leader: votes of a quorum", next);
      });
      const body = newViewToJson(nv);
      for (const m of node.others) recipients.set(m.operatorId, m);
      for (const peer of recipients.values()) {
        node.peers.request(peer, "POST", "/v1/peer/new-view", body).catch((error) => {
          node.logger.debug({ peer: peer.operatorId, err: briefly(error) }, "new view not delivered");
        });
      }
    } catch (error) {
      node.logger.error({ err: error, term: term.toString() }, "could not make the new view");
    } finally {
      this.#making = false;
    }
  }

  /**
   * Fetches the entries up to the base lock from peers (those that voted it first), checking
   * that they chain from this log's finalized entries to `base.chainHash`, and puts them in place
   * of this log's entries after its finalized index.
   */
  async #fetchTo(app: string, base: Certificate, votes: readonly ViewChangeVote[]): Promise<void> {
    const node = this.#node;
    const log = node.logOf(app);
    const target = Number(base.index);
    const holders = votes.filter((v) => compareLocks(v.locks[app] ?? null, base) >= 0).map((v) => v.from);
    const candidates = [...new Set([...holders, ...node.others.map((m) => m.operatorId)])].filter(
      (id) => id !== node.self.operatorId,
    );
    for (const id of candidates) {
      const peer = memberById(node.network, id)!;
      try {
        const start = log.finalizedIndex;
        let hash = log.hashAt(start)!;
        const fetched: StoredEntry[] = [];
        while (start + fetched.length < target) {
          const after = start + fetched.length;
          const limit = Math.min(1_000, target - after);
          const page = peerLogPageFromJson(
            await node.peers.request(peer, "GET", `/v1/peer/log?app=${app}&after=${after}&limit=${limit}`),
          );
          if (page.entries.length === 0) throw new Error(`the peer has no entries after ${after}`);
          for (const e of page.entries) {
            if (Number(e.index) !== start + fetched.length + 1) throw new Error("entries out of order");
            hash = nextChainHash(hash, hexToBytes(e.id), e.body);
            fetched.push({ index: Number(e.index), id: e.id, body: e.body, chainHash: hash });
            if (fetched.length + start === target) break;
          }
        }
        if (hash !== base.chainHash) throw new Error("the entries do not chain to the base lock");
        node.store.transaction(() => {
          log.truncateAfter(start);
          log.append(fetched);
        });
        node.logger.info(
          { app, from: start, to: target, peer: id },
          "fetched entries up to the new view's base",
        );
        return;
      } catch (error) {
        node.logger.warn({ app, peer: id, err: briefly(error) }, "could not fetch entries up to the base");
      }
    }
    throw new Error(`no peer gave the entries of ${app} up to ${target}`);
  }

  /** Moves this node into the view (the leader's own or one accepted), under every app's lock. */
  #apply(nv: NewView, reason: string, next: KnownNetwork | undefined): void {
    const node = this.#node;
    node.store.transaction(() => {
      if (next !== undefined) {
        node.adoptNetwork(next);
        node.store.addNetworkChange(JSON.stringify(newViewToJson(nv)));
      }
      const apps = new Set([...node.apps.keys(), ...Object.keys(nv.base)]);
      for (const app of apps) {
        const log = node.logOf(app);
        const base = nv.base[app] ?? null;
        // Final entries are never dropped (by safety the base reaches them; this only guards).
        const keep = Math.max(
          log.finalizedIndex,
          base !== null && log.hashAt(Number(base.index)) === base.chainHash ? Number(base.index) : 0,
        );
        const dropped = log.truncateAfter(keep);
        const held = log.lock;
        if (held !== null && Number(held.index) > keep) log.resetLock(base);
        else if (base !== null) log.setLock(base);
        if (dropped > 0) {
          node.logger.info({ app, after: keep, dropped }, "truncated entries after the new view's base");
          node.onTruncated(app);
        }
      }
      this.#newView = nv;
      node.store.setMeta("new_view", JSON.stringify(newViewToJson(nv)));
      if (this.#votedTerm < nv.term) {
        this.#votedTerm = nv.term;
        node.store.setMeta("voted_term", nv.term.toString());
      }
      node.enterTerm(nv.term, reason);
    });
    this.#enteredAt = Date.now();
    for (const term of [...this.#votes.keys()]) if (term <= nv.term) this.#votes.delete(term);
  }

  /** A new view from a peer (POST, or fetched): accepted when justified and newer. */
  async onNewView(nv: NewView): Promise<void> {
    const node = this.#node;
    if (nv.term <= node.term) return;
    // A node that joined on the set this view moves onto cannot know the set being left: it
    // takes it from the view (its file text proves itself; the votes must still carry its quorum).
    // What it risks by that is a base lock it cannot check, never a final batch: finality it
    // accepts only from certificates of its own set.
    let leaving = node.network;
    let joined = false;
    if (
      nv.next !== undefined &&
      nv.from !== undefined &&
      snapshotIdOf(nv.next.snapshot) === node.network.snapshotId &&
      snapshotIdOf(nv.from.snapshot) !== node.network.snapshotId
    ) {
      try {
        leaving = await networkOfDescriptor(nv.from, snapshotIdOf(nv.from.snapshot), node.networkOptions);
      } catch (error) {
        throw new RefusedError("BAD_NEW_VIEW", `the set the view leaves: ${(error as Error).message}`);
      }
      joined = true;
    }
    const lookup = (id: Hex) => (id.toLowerCase() === leaving.snapshotId ? leaving : node.networks(id));
    const justified = await checkTransition(leaving, nv, lookup, node.networkOptions);
    if (!justified.ok) throw new RefusedError("BAD_NEW_VIEW", justified.reason);
    const next: KnownNetwork | undefined =
      joined || justified.next === undefined || nv.next === undefined
        ? undefined
        : { network: justified.next, descriptor: nv.next };
    if (joined) node.addEarlierNetwork(leaving);
    for (const app of new Set([...Object.keys(justified.base), ...Object.keys(nv.base)])) {
      const a = justified.base[app] ?? null;
      const b = nv.base[app] ?? null;
      if (compareLocks(a, b) !== 0 || a?.chainHash !== b?.chainHash)
        throw new RefusedError("BAD_NEW_VIEW", `the base of ${app} is not the highest lock among the votes`);
    }
    await node.withAllApps(async () => {
      if (nv.term <= node.term) return;
      // A view made on the set being left can name this node the leader of the set it moves
      // onto (members are ordered anew): it must hold the base before it leads, as a leader that
      // made the view does (a member that joined on an empty disk holds nothing yet).
      const movesSet = joined || next !== undefined;
      const leads =
        movesSet && leaderOf(next?.network ?? node.network, nv.term).operatorId === node.self.operatorId;
      if (leads) {
        for (const [app, base] of Object.entries(nv.base)) {
          if (base !== null && node.logOf(app).hashAt(Number(base.index)) !== base.chainHash)
            await this.#fetchTo(app, base, nv.votes);
        }
      }
      this.#apply(
        nv,
        next === undefined ? "new view accepted" : "new view accepted, on a new operator set",
        next,
      );
    });
  }

  /**
   * A new view from `peer`. A member that joined on a new operator set after the view that moved
   * the log onto it cannot check later views whose base was locked by the set left (it never
   * saw that set): when a view is refused, it first applies the peer's recorded set changes
   * between its term and the view's (each justified on its own, as any view is), then the view.
   */
  async onNewViewFrom(peer: Member, nv: NewView): Promise<void> {
    const node = this.#node;
    try {
      await this.onNewView(nv);
      return;
    } catch (error) {
      if (!(error instanceof RefusedError) || nv.term <= node.term) throw error;
      const changes = await this.#missedChanges(peer, nv.term).catch(() => []);
      if (changes.length === 0) throw error;
      for (const change of changes) await this.onNewView(change);
      node.logger.info(
        { peer: peer.operatorId, terms: changes.map((c) => c.term.toString()) },
        "applied the operator-set changes this node missed, from a peer",
      );
    }
    await this.onNewView(nv);
  }

  /** The peer's recorded set changes after this node's term and before `beforeTerm`, oldest first. */
  async #missedChanges(peer: Member, beforeTerm: bigint): Promise<NewView[]> {
    const node = this.#node;
    const body = (await node.peers.request(peer, "GET", "/v1/network-changes")) as { changes?: unknown };
    if (!Array.isArray(body?.changes)) return [];
    return body.changes
      .map((json) => newViewFromJson(json))
      .filter((c) => c.term > node.term && c.term < beforeTerm)
      .sort((a, b) => (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
  }

  /** A round of a higher term arrived: get that term's new view from its sender. */
  needNewView(from: Member, term: bigint): void {
    if (term > this.#node.term) this.catchUpFrom(from);
  }

  /** Fetches the peer's new view (GET /v1/peer/new-view) and applies it if newer. */
  catchUpFrom(peer: Member): void {
    const node = this.#node;
    if (this.#fetching) return;
    this.#fetching = true;
    node.peers
      .request(peer, "GET", "/v1/peer/new-view")
      .then((json) => this.onNewViewFrom(peer, newViewFromJson(json)))
      .catch((error) =>
        node.logger.debug({ peer: peer.operatorId, err: briefly(error) }, "new view not fetched"),
      )
      .finally(() => {
        this.#fetching = false;
      });
  }

  // ---------------------------------------------------------------------------------------------
  // Equivocation: leaders' tip statements, from rounds and from peers' gossip.

  /** A verified tip statement; two for one (term, app, index) with different hashes prove equivocation. */
  noteStatement(st: TipStatement): void {
    const key = `${st.term}/${st.app}/${st.index}`;
    const seen = this.#statements.get(key);
    if (seen === undefined) {
      this.#statements.set(key, st);
      if (this.#statements.size > 20_000) this.#statements.delete(this.#statements.keys().next().value!);
      const latestKey = `${st.term}/${st.app}`;
      const latest = this.#latest.get(latestKey);
      if (!latest || latest.index <= st.index) this.#latest.set(latestKey, st);
      return;
    }
    if (seen.chainHash !== st.chainHash && isEquivocation(this.#node.network, seen, st)) {
      this.#node.metrics.disputes.inc({ kind: "equivocation" });
      if (st.term === this.#node.term)
        this.suspect(`equivocation: two tip statements of the leader for ${st.app} at ${st.index}`);
    }
  }

  /** Sends the latest statement per app to every peer (POST /v1/peer/status), when it changed. */
  #gossip(): void {
    const node = this.#node;
    if (node.stopped || node.isLeader) return;
    const fresh: TipStatement[] = [];
    for (const [key, st] of this.#latest) {
      if (st.term !== node.term) {
        this.#latest.delete(key);
        continue;
      }
      const id = `${key}/${st.index}`;
      if (!this.#gossiped.has(id)) fresh.push(st);
    }
    if (fresh.length === 0) return;
    this.#gossiped = new Set(fresh.map((st) => `${st.term}/${st.app}/${st.index}`));
    const body = { statements: fresh.map(tipStatementToJson) };
    for (const peer of node.others) {
      if (peer.operatorId === node.leader.operatorId) continue;
      node.peers.request(peer, "POST", "/v1/peer/status", body).catch(() => {});
    }
  }
}
