import {
  batchStatusFromJson,
  type Certificate,
  type ChainNetworkLoader,
  checkCertificate,
  checkTransition,
  finalizedPageFromJson,
  finalizedTipFromJson,
  genesisHash,
  isAppName,
  type Network,
  newViewFromJson,
  nodeStateFromJson,
  submitBatchesRequestToJson,
  submitBatchesResponseFromJson,
} from "@avskit/sequencer-protocol";
import { bytesToHex, type Hex } from "viem";
import { backoffDelay, DEFAULT_BACKOFF, sleep } from "./backoff.js";
import { type BatchInput, encodeBody } from "./body.js";
import {
  type NodeRejectedError,
  NoHealthyNodeError,
  SendRefusedError,
  SendTimeoutError,
  VerificationError,
} from "./errors.js";
import { exchange, type FetchLike, refusalOf } from "./http.js";
import { NodePool, type NodeStatus } from "./nodes.js";
import { checkPage, sameHash, tipMismatch, type VerifiedBatch } from "./verify.js";

/** pino's `logger.warn(obj, msg)` shape; any of the levels may be left out. */
export type LogFn = (fields: Record<string, unknown>, message: string) => void;
export interface ClientLogger {
  readonly debug?: LogFn;
  readonly info?: LogFn;
  readonly warn?: LogFn;
}

export type SequencerClientEvent =
  /** A node served data that did not verify (or claims another network): refused for a while. */
  | { readonly type: "node-rejected"; readonly error: NodeRejectedError }
  /** A node was unreachable, timed out, answered 5xx or is not ready: the client moved on. */
  | { readonly type: "node-failed"; readonly node: string; readonly problem: string };

export interface SequencerClientOptions {
  /**
   * The members, keys, stakes and threshold every certificate is checked against: the only
   * thing the client trusts. Load it yourself (`parseStaticNetwork`, `loadChainNetwork`), never
   * from a node's `GET /v1/network`.
   */
  readonly network: Network;
  /**
   * Resolves a chain snapshot a later operator set names (the registries at its reference block).
   * Static sets resolve from the file text the change carries; without this a chain change is
   * refused.
   */
  readonly loadChainNetwork?: ChainNetworkLoader;
  /** Node base URLs, tried in this order (default: the network members' URLs, from a random one on). */
  readonly nodes?: readonly string[];
  /** Default: the global fetch (Node 20+). */
  readonly fetch?: FetchLike;
  readonly logger?: ClientLogger;
  readonly onEvent?: (event: SequencerClientEvent) => void;
  /** Bound on one ordinary request (default 5 s); a long-poll gets its wait on top. */
  readonly requestTimeoutMs?: number;
  /** How long a node holds a long-poll (`wait=`) before answering "nothing yet" (default 20 s, the node caps it at 30 s). */
  readonly longPollMs?: number;
  /** How long one operation keeps looking for a node that serves it before NoHealthyNodeError (default 30 s). */
  readonly failoverTimeoutMs?: number;
  /** How long a node whose data did not verify is left alone (default 60 s). */
  readonly refuseForMs?: number;
  /** The page size asked of nodes (`limit=`; default: the node's). */
  readonly pageLimit?: number;
}

export interface SendOptions {
  /** `accepted` (default): a node stored them durably; `finalized`: also final, with their indexes. */
  readonly waitFor?: "accepted" | "finalized";
  readonly signal?: AbortSignal;
  /** Give up (SendTimeoutError) after this long; without it, finality is awaited as long as it takes. */
  readonly timeoutMs?: number;
  /** The ids to use (16 bytes each), to send again batches whose first send timed out. Default: random. */
  readonly ids?: readonly Hex[];
}

export interface SendResult {
  readonly ids: Hex[];
  /** Each batch's index in the log, in the order sent; only with `waitFor: "finalized"`. */
  readonly indexes?: bigint[];
}

export interface BatchesOptions {
  /** Yield the batches after this index (default 0: from the first). */
  readonly after?: bigint | number;
  /** The chaining hash saved with `after` (h_after); checked against the node's. See the README for what resuming without one trusts. */
  readonly chainHash?: Hex;
  readonly signal?: AbortSignal;
  /** How long one page may go without any node serving it before NoHealthyNodeError (default: the client's failoverTimeoutMs). */
  readonly giveUpAfterMs?: number;
}

export interface FinalizedPoint {
  readonly index: bigint;
  readonly chainHash: Hex;
  /** The finality proof for `index` (null at 0, where nothing is final yet). */
  readonly certificate: Certificate | null;
}

/** How many times the client did what; plain numbers, for an app to export as it likes. */
export interface ClientCounters {
  requests: number;
  nodeFailures: number;
  nodeRejections: number;
  verifiedPages: number;
  verifiedBatches: number;
}

/** A node trouble another node may not have: the client moves on to the next one. */
class NodeProblem extends Error {}

/**
 * A long-poll that comes back empty sooner than this is a node not holding it (an old or buggy
 * one): the client waits out the rest before asking again, so it never spins.
 */
const MIN_POLL_INTERVAL_MS = 250;

/**
 * The app's handle on one log. Sends go to any ready node (nodes forward to the leader); reads
 * come from any node and are believed only once checked against the network's finality
 * certificates, so a lying node can stall a reader (until it fails over) but never feed it a batch
 * that is not final.
 */
export class SequencerClient {
  readonly app: string;
  /** The operator set given at construction: the client's trust anchor. */
  readonly network: Network;
  /** Every operator set the client trusts: the anchor and those later ones a quorum of a trusted one moved onto. */
  readonly #networks = new Map<Hex, Network>();
  readonly #loadChain: ChainNetworkLoader | undefined;
  readonly counters: ClientCounters = {
    requests: 0,
    nodeFailures: 0,
    nodeRejections: 0,
    verifiedPages: 0,
    verifiedBatches: 0,
  };
  readonly #pool: NodePool;
  readonly #fetch: FetchLike;
  readonly #logger: ClientLogger;
  readonly #onEvent: ((event: SequencerClientEvent) => void) | undefined;
  readonly #requestTimeoutMs: number;
  readonly #longPollMs: number;
  readonly #failoverTimeoutMs: number;
  readonly #pageLimit: number | undefined;

  constructor(app: string, options: SequencerClientOptions) {
    if (!isAppName(app)) throw new TypeError(`not an app name (^[a-z0-9][a-z0-9-]{0,62}$): ${app}`);
    this.app = app;
    this.network = options.network;
    this.#networks.set(options.network.snapshotId, options.network);
    this.#loadChain = options.loadChainNetwork;
    const nodes = options.nodes ?? rotated(options.network.members.map((member) => member.url));
    if (nodes.length === 0) throw new TypeError("no node to talk to: the network has no member URLs");
    this.#pool = new NodePool(nodes, { refuseForMs: options.refuseForMs ?? 60_000, now: Date.now });
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#logger = options.logger ?? {};
    this.#onEvent = options.onEvent;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    this.#longPollMs = Math.min(options.longPollMs ?? 20_000, 30_000);
    this.#failoverTimeoutMs = options.failoverTimeoutMs ?? 30_000;
    this.#pageLimit = options.pageLimit;
  }

  /** Each node's standing as the client sees it. */
  nodes(): NodeStatus[] {
    return this.#pool.status();
  }

  /**
   * Sends batches: resolves once a node acknowledged them durably (`accepted`), or once each is
   * final (`finalized`) with its index, checked against the finality certificate covering it.
   * Unreachable nodes, 5xx and retryable refusals move on to the next node with the same ids, so
   * a batch is sequenced once however often it is sent.
   */
  async send(batches: readonly BatchInput[], options: SendOptions = {}): Promise<SendResult> {
    const bodies = batches.map(encodeBody);
    const ids = options.ids ? options.ids.map(checkedId) : bodies.map(() => randomId());
    if (ids.length !== bodies.length) throw new TypeError(`${ids.length} ids for ${bodies.length} batches`);
    if (bodies.length === 0) return options.waitFor === "finalized" ? { ids, indexes: [] } : { ids };
    const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
    const signal = anySignal(options.signal, timeout);
    let accepted = false;
    try {
      await this.#accept(ids, bodies, signal, options.timeoutMs ?? this.#failoverTimeoutMs);
      accepted = true;
      if (options.waitFor !== "finalized") return { ids };
      const indexes = await this.#finalIndexes(ids, signal);
      return { ids, indexes };
    } catch (error) {
      if (timeout?.aborted && !options.signal?.aborted) {
        throw new SendTimeoutError(options.timeoutMs ?? 0, ids, accepted);
      }
      throw error;
    }
  }

  /**
   * The finalized batches after `after`, in index order, each verified (see checkPage) before it
   * is yielded, forever: when nothing new is final it long-polls the node. Save `(index,
   * chainHash)` of the last batch handled to resume after a restart.
   */
  async *batches(options: BatchesOptions = {}): AsyncGenerator<VerifiedBatch, void, undefined> {
    let after = BigInt(options.after ?? 0);
    if (after < 0n) throw new RangeError(`after must be ≥ 0, got ${after}`);
    let known = after === 0n ? genesisHash(this.app) : options.chainHash;
    if (after === 0n && options.chainHash !== undefined && !sameHash(options.chainHash, known as Hex)) {
      throw new RangeError(`the chaining hash at 0 is genesisHash("${this.app}"), not ${options.chainHash}`);
    }
    const budget = options.giveUpAfterMs ?? this.#failoverTimeoutMs;
    for (;;) {
      const { node, page } = await this.#withNode(
        "serve finalized batches",
        options.signal,
        budget,
        async (node) => ({
          node,
          page: await this.#page(node, after, known, options.signal),
        }),
      );
      // Nothing new here: the next long-poll goes to the next node (see NodePool.moveOn).
      if (page.length === 0) this.#pool.moveOn(node);
      for (const batch of page) {
        after = batch.index;
        known = batch.chainHash;
        yield batch;
      }
    }
  }

  /** The highest finalized index and its chaining hash, with its certificate checked. */
  async lastFinalized(options: { signal?: AbortSignal } = {}): Promise<FinalizedPoint> {
    return this.#withNode(
      "tell the last finalized batch",
      options.signal,
      this.#failoverTimeoutMs,
      async (node) => {
        const json = await this.#getJson(
          node,
          `/v1/apps/${this.app}/finalized`,
          this.#requestTimeoutMs,
          options.signal,
        );
        const point = decode(node, () => finalizedTipFromJson(json));
        const certificate = point.finality;
        if (certificate === null) {
          if (point.index !== 0n || !sameHash(point.chainHash, genesisHash(this.app))) {
            throw new VerificationError(node, "NOT_FINAL", `index ${point.index} without a certificate`);
          }
          return { index: 0n, chainHash: genesisHash(this.app), certificate: null };
        }
        const mismatch = tipMismatch(certificate, this.app, point.index, point.chainHash);
        if (mismatch !== undefined) throw new VerificationError(node, mismatch.reason, mismatch.detail);
        await this.#assertCertificate(node, certificate);
        return { index: point.index, chainHash: certificate.chainHash, certificate };
      },
    );
  }

  async #page(node: string, after: bigint, known: Hex | undefined, signal: AbortSignal | undefined) {
    const started = Date.now();
    const limit = this.#pageLimit === undefined ? "" : `&limit=${this.#pageLimit}`;
    const json = await this.#getJson(
      node,
      `/v1/apps/${this.app}/batches?after=${after}${limit}&wait=${this.#longPollMs}`,
      this.#longPollMs + this.#requestTimeoutMs,
      signal,
    );
    const page = decode(node, () => finalizedPageFromJson(json));
    const network =
      page.finality === null ? this.network : await this.#networkOf(node, page.finality.snapshotId);
    const check = checkPage(network, this.app, after, known, page);
    if (!check.ok) throw new VerificationError(node, check.reason, check.detail);
    if (check.batches.length === 0) {
      // An honest node with batches final after `after` serves at least one: this one is behind or withholding.
      if (page.lastFinalized > after) {
        throw new NodeProblem(`says ${page.lastFinalized} is final but served nothing after ${after}`);
      }
      await sleep(Math.max(0, MIN_POLL_INTERVAL_MS - (Date.now() - started)), signal);
      return [];
    }
    this.counters.verifiedPages += 1;
    this.counters.verifiedBatches += check.batches.length;
    return check.batches;
  }

  async #accept(
    ids: readonly Hex[],
    bodies: readonly Uint8Array[],
    signal: AbortSignal | undefined,
    budget: number,
  ) {
    const body = JSON.stringify(
      submitBatchesRequestToJson({ batches: bodies.map((b, i) => ({ id: ids[i] as Hex, body: b })) }),
    );
    await this.#withNode("accept the batches", signal, budget, async (node) => {
      this.counters.requests += 1;
      const reply = await exchange(this.#fetch, `${node}/v1/apps/${this.app}/batches`, {
        method: "POST",
        body,
        timeoutMs: this.#requestTimeoutMs,
        signal,
      });
      if (reply.kind === "unreachable") throw new NodeProblem(reply.message);
      if (reply.status < 200 || reply.status >= 300) {
        const refusal = refusalOf(reply.status, reply.text);
        if (refusal.retryable) throw new NodeProblem(`${refusal.code}: ${refusal.message}`);
        throw new SendRefusedError(node, refusal.status, refusal.code, refusal.message, refusal.retryable);
      }
      const answer = decode(node, () => submitBatchesResponseFromJson(JSON.parse(reply.text)));
      if (answer.ids.length !== ids.length || answer.ids.some((id, i) => !sameHash(id, ids[i] as Hex))) {
        throw new VerificationError(node, "MALFORMED", "acknowledged other ids than were sent");
      }
    });
  }

  /**
   * Asks for each id's index (one long-poll `GET /ids/:id?wait=` at a time, on any node), then
   * reads the certified page holding that index (from any node) and checks the id is there: the
   * index a node names is believed only when a valid finality certificate covers that id at it.
   * A node that named a wrong index is refused. No scanning: one page per finality point.
   */
  async #finalIndexes(ids: readonly Hex[], signal: AbortSignal | undefined): Promise<bigint[]> {
    const certified = new Map<bigint, Hex>();
    // Ids seen in a verified page need no node's word: batches sent together are mostly final together.
    const certifiedAt = new Map<Hex, bigint>();
    const indexes: bigint[] = [];
    for (const id of ids) {
      for (;;) {
        const known = certifiedAt.get(id);
        if (known !== undefined) {
          indexes.push(known);
          break;
        }
        const { node, index } = await this.#withNode(
          `tell where ${id} is`,
          signal,
          this.#failoverTimeoutMs,
          (node) => this.#pollId(node, id, signal),
        );
        if (index === undefined) continue;
        // An honest node names an index only once it holds its certificate; a few long-polls allow for a lagging peer.
        for (let tries = 0; index >= 1n && !certified.has(index) && tries < 3; tries++) {
          const batches = await this.#withNode(
            `serve the batch at ${index}`,
            signal,
            this.#failoverTimeoutMs,
            (n) => this.#page(n, index - 1n, undefined, signal),
          );
          for (const batch of batches) {
            certified.set(batch.index, batch.id);
            certifiedAt.set(batch.id, batch.index);
          }
        }
        const there = certified.get(index);
        if (there !== undefined && sameHash(there, id)) {
          indexes.push(index);
          break;
        }
        this.#reject(
          new VerificationError(
            node,
            "ID_MISMATCH",
            `says ${id} is final at ${index}, certified there is ${there ?? "nothing"}`,
          ),
        );
      }
    }
    return indexes;
  }

  /** One long-poll of an id's state: its index once the node says it is final. */
  async #pollId(node: string, id: Hex, signal: AbortSignal | undefined) {
    const started = Date.now();
    const json = await this.#getJson(
      node,
      `/v1/apps/${this.app}/ids/${id}?wait=${this.#longPollMs}`,
      this.#longPollMs + this.#requestTimeoutMs,
      signal,
    );
    const status = decode(node, () => batchStatusFromJson(json));
    if (!sameHash(status.id, id))
      throw new VerificationError(node, "MALFORMED", `asked about ${id}, told about ${status.id}`);
    if (status.state === "finalized" && status.index !== undefined) return { node, index: status.index };
    await sleep(Math.max(0, MIN_POLL_INTERVAL_MS - (Date.now() - started)), signal);
    return { node, index: undefined };
  }

  /** An app's listener that throws must not break the client's failover: its error is logged. */
  #emit(event: SequencerClientEvent): void {
    try {
      this.#onEvent?.(event);
    } catch (error) {
      this.#logger.warn?.({ error: (error as Error)?.message }, "onEvent listener threw");
    }
  }

  /** Refuses a node whose data did not verify: counted, logged, told to `onEvent`. */
  #reject(error: VerificationError): void {
    this.counters.nodeRejections += 1;
    const rejected = this.#pool.refuse(error);
    this.#logger.warn?.(
      { node: error.node, reason: error.reason, until: new Date(rejected.until).toISOString() },
      rejected.message,
    );
    this.#emit({ type: "node-rejected", error: rejected });
  }

  /**
   * The trusted operator set a certificate names. One not known yet is learnt from the node's
   * record of operator-set changes (`GET /v1/network-changes`), each change believed only when its
   * votes carry quorum stake of a set already trusted and its descriptor gives the named set.
   */
  async #networkOf(node: string, snapshotId: Hex): Promise<Network> {
    const id = snapshotId.toLowerCase() as Hex;
    const known = this.#networks.get(id);
    if (known) return known;
    // A node that keeps no record of changes (or fails to serve it) cannot show why its snapshot is to be trusted.
    const json = await this.#getJson(node, "/v1/network-changes", this.#requestTimeoutMs, undefined).catch(
      () => ({ changes: [] }),
    );
    const changes = decode(node, () => {
      const list = (json as { changes?: unknown }).changes;
      if (!Array.isArray(list)) throw new TypeError("changes: expected an array");
      return list.map((c) => newViewFromJson(c));
    });
    const lookup = (sid: Hex) => this.#networks.get(sid.toLowerCase() as Hex);
    for (const nv of changes) {
      if (nv.next === undefined) continue;
      for (const from of [...this.#networks.values()]) {
        const step = await checkTransition(
          from,
          nv,
          lookup,
          this.#loadChain === undefined
            ? { thresholdPercent: from.thresholdPercent }
            : { thresholdPercent: from.thresholdPercent, loadChain: this.#loadChain },
        );
        if (step.ok && step.next !== undefined) {
          this.#networks.set(step.next.snapshotId, step.next);
          this.#logger.info?.(
            {
              node,
              snapshotId: step.next.snapshotId,
              members: step.next.members.length,
              term: nv.term.toString(),
            },
            "following an operator-set change",
          );
          break;
        }
      }
    }
    const learnt = this.#networks.get(id);
    if (!learnt)
      throw new VerificationError(node, "SNAPSHOT_MISMATCH", `a certificate of unknown snapshot ${id}`);
    return learnt;
  }

  async #assertCertificate(node: string, certificate: Certificate): Promise<void> {
    const check = checkCertificate(await this.#networkOf(node, certificate.snapshotId), certificate);
    if (!check.ok) {
      throw new VerificationError(node, check.reason, `certificate at ${certificate.index}`);
    }
  }

  async #getJson(
    node: string,
    path: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    this.counters.requests += 1;
    const reply = await exchange(this.#fetch, `${node}${path}`, { timeoutMs, signal });
    if (reply.kind === "unreachable") throw new NodeProblem(reply.message);
    if (reply.status !== 200) {
      const refusal = refusalOf(reply.status, reply.text);
      throw new NodeProblem(`${refusal.code} (HTTP ${refusal.status}): ${refusal.message}`);
    }
    try {
      return JSON.parse(reply.text);
    } catch {
      throw new VerificationError(node, "MALFORMED", "the reply is not JSON");
    }
  }

  /** Is the node up, ready, and on our network? Asked before a node is first used and after each trouble. */
  async #probe(node: string, signal: AbortSignal | undefined): Promise<void> {
    const json = await this.#getJson(node, "/v1/state", this.#requestTimeoutMs, signal);
    const state = decode(node, () => nodeStateFromJson(json));
    await this.#networkOf(node, state.snapshotId);
    if (!state.ready) throw new NodeProblem("not ready");
  }

  /**
   * Runs `attempt` on the candidate nodes in turn until one succeeds. A node trouble marks it
   * failing, a verification failure refuses it; when every node has been tried it waits for the
   * next one to come back, until `budgetMs` has gone by without success.
   */
  async #withNode<T>(
    what: string,
    signal: AbortSignal | undefined,
    budgetMs: number,
    attempt: (node: string) => Promise<T>,
  ): Promise<T> {
    const deadline = Date.now() + budgetMs;
    const failures = new Map<string, string>();
    for (let sweep = 1; ; sweep++) {
      for (const { url, probe } of this.#pool.candidates()) {
        signal?.throwIfAborted();
        try {
          if (probe) await this.#probe(url, signal);
          const result = await attempt(url);
          this.#pool.succeeded(url);
          return result;
        } catch (error) {
          if (error instanceof NodeProblem) {
            failures.set(url, error.message);
            this.counters.nodeFailures += 1;
            this.#pool.failed(url, error.message);
            this.#logger.debug?.({ node: url, problem: error.message }, "node failed, trying another");
            this.#emit({ type: "node-failed", node: url, problem: error.message });
          } else if (error instanceof VerificationError) {
            failures.set(url, error.message);
            this.#reject(error);
          } else {
            throw error;
          }
        }
      }
      const now = Date.now();
      if (now >= deadline) {
        // Nodes left alone since an earlier operation were not tried now: their last trouble says why.
        for (const status of this.#pool.status()) {
          if (!failures.has(status.url) && status.lastProblem !== undefined)
            failures.set(status.url, status.lastProblem);
        }
        throw new NoHealthyNodeError(
          what,
          [...failures].map(([node, problem]) => ({ node, problem })),
        );
      }
      const next = this.#pool.nextAvailableAt();
      const wait = next === undefined ? backoffDelay(sweep, DEFAULT_BACKOFF) : Math.max(10, next - now);
      await sleep(Math.min(wait, deadline - now), signal);
    }
  }
}

function decode<T>(node: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new VerificationError(node, "MALFORMED", (error as Error).message, { cause: error });
  }
}

function checkedId(id: string): Hex {
  if (!/^0x[0-9a-fA-F]{32}$/.test(id)) throw new TypeError(`a batch id is 16 bytes of 0x-hex, got ${id}`);
  return id.toLowerCase() as Hex;
}

function randomId(): Hex {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(16)));
}

function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}

/** The same list from a random place on, so many clients with one network do not all pick one node. */
function rotated<T>(items: readonly T[]): T[] {
  const start = Math.floor(Math.random() * items.length);
  return [...items.slice(start), ...items.slice(0, start)];
}
