import { backoffDelay, DEFAULT_BACKOFF } from "./backoff.js";
import { NodeRejectedError, type VerificationError } from "./errors.js";

/**
 * `unknown`: not asked yet, or its last trouble has cooled down (it is asked `GET /v1/state`
 * before use); `ready`: answered well last time; `failing`: unreachable, timed out, 5xx or not
 * ready, left alone until its cool-down ends; `refused`: served data that did not verify, left
 * alone for `refuseForMs`.
 */
export type NodeState = "unknown" | "ready" | "failing" | "refused";

export interface NodeStatus {
  readonly url: string;
  readonly state: NodeState;
  /** Until when (epoch ms) a failing or refused node is left alone. */
  readonly until: number | undefined;
  /** Failures in a row (reset by a success). */
  readonly consecutiveFailures: number;
  readonly failures: number;
  /** Times its data did not verify. */
  readonly rejections: number;
  readonly lastProblem: string | undefined;
}

interface Entry {
  url: string;
  state: NodeState;
  until: number | undefined;
  consecutiveFailures: number;
  failures: number;
  rejections: number;
  lastProblem: string | undefined;
}

export interface NodePoolOptions {
  readonly refuseForMs: number;
  readonly now: () => number;
}

/**
 * Which nodes to ask, in which order. Pure bookkeeping, no I/O: the client reports what each
 * node did and asks for candidates. Candidates come in the configured order, cyclically, from
 * the node that answered last (a tailing reader stays on one node); after a failure, or when the
 * client moves on of its own accord, from the node after it.
 */
export class NodePool {
  readonly #entries: Entry[];
  readonly #options: NodePoolOptions;
  /** Where the next candidates start, an index into #entries. */
  #start = 0;

  constructor(urls: readonly string[], options: NodePoolOptions) {
    const unique = [...new Set(urls.map((url) => url.replace(/\/+$/, "")))];
    this.#entries = unique.map((url) => ({
      url,
      state: "unknown",
      until: undefined,
      consecutiveFailures: 0,
      failures: 0,
      rejections: 0,
      lastProblem: undefined,
    }));
    this.#options = options;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** Nodes that may be asked now, best first; each says whether it must be probed first. */
  candidates(): { url: string; probe: boolean }[] {
    const now = this.#options.now();
    const available: Entry[] = [];
    for (const entry of this.#entries) {
      if (entry.until !== undefined && entry.until <= now) {
        // Its time out is over: asked again, after a fresh look at its state.
        entry.state = "unknown";
        entry.until = undefined;
      }
      if (entry.state === "ready" || entry.state === "unknown") available.push(entry);
    }
    const start = this.#start;
    const ordered = [
      ...available.filter((e) => this.#entries.indexOf(e) >= start),
      ...available.filter((e) => this.#entries.indexOf(e) < start),
    ];
    return ordered.map((entry) => ({ url: entry.url, probe: entry.state === "unknown" }));
  }

  /** When the next left-alone node may be asked again (epoch ms), if any is. */
  nextAvailableAt(): number | undefined {
    let next: number | undefined;
    for (const entry of this.#entries) {
      if (entry.until !== undefined && (next === undefined || entry.until < next)) next = entry.until;
    }
    return next;
  }

  succeeded(url: string): void {
    const entry = this.#entry(url);
    entry.state = "ready";
    entry.until = undefined;
    entry.consecutiveFailures = 0;
    this.#start = this.#entries.indexOf(entry);
  }

  /** Unreachable, timed out, 5xx, not ready: left alone for a backoff that grows with each failure in a row. */
  failed(url: string, problem: string): void {
    const entry = this.#entry(url);
    entry.consecutiveFailures += 1;
    entry.failures += 1;
    entry.lastProblem = problem;
    entry.state = "failing";
    entry.until = this.#options.now() + backoffDelay(entry.consecutiveFailures, DEFAULT_BACKOFF);
    this.#moveOn(entry);
  }

  /** Its data did not verify: left alone for `refuseForMs`. */
  refuse(error: VerificationError): NodeRejectedError {
    const entry = this.#entry(error.node);
    entry.rejections += 1;
    entry.failures += 1;
    entry.consecutiveFailures += 1;
    entry.lastProblem = error.message;
    entry.state = "refused";
    entry.until = this.#options.now() + this.#options.refuseForMs;
    this.#moveOn(entry);
    return new NodeRejectedError(error, entry.until);
  }

  /**
   * Start from the next node: a reader whose long-poll came back empty asks another node next,
   * so that one that lags behind, or withholds, stalls it for one long-poll only.
   */
  moveOn(url: string): void {
    this.#moveOn(this.#entry(url));
  }

  #moveOn(entry: Entry): void {
    if (this.#entries[this.#start] === entry) this.#start = (this.#start + 1) % this.#entries.length;
  }

  status(): NodeStatus[] {
    return this.#entries.map((entry) => ({ ...entry }));
  }

  #entry(url: string): Entry {
    const entry = this.#entries.find((e) => e.url === url);
    if (entry === undefined) throw new Error(`not a node of this client: ${url}`);
    return entry;
  }
}
