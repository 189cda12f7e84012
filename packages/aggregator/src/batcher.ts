import type { G1Point, G2Point } from "@avskit/bls";
import type { Hex } from "viem";
import { type VerificationPool, VerifierPoolClosedError } from "./verifier-pool.js";
import type { DigestGroup, GroupVerdict, SetAggregate } from "./verify-protocol.js";

/** One signature to check: `signature` by the holder of `publicKey` over `digest`. */
export interface PendingSignature {
  readonly digest: Hex;
  readonly publicKey: G2Point;
  readonly signature: G1Point;
  /** The operator it is claimed for: each operator's signatures wait in a queue of their own. */
  readonly operatorId: Hex;
  /**
   * How many times the caller will count this signature and key in the aggregate it submits (the
   * operator's quorum multiplicity; 1 when omitted): a set is checked with the weights it will be
   * counted with, so that its errors cannot cancel in the check and not in the submission.
   */
  readonly weight?: number;
  /** Judge it on its own, never as a member of a set (for what is left of a set not counted whole). */
  readonly individually?: boolean;
}

/** One signature of a digest group as the verifier sees it. */
export interface VerifyItem {
  readonly publicKey: G2Point;
  readonly signature: G1Point;
  readonly weight?: number;
}

/**
 * Checks many signatures over ONE digest at once. Returns the indices of the invalid ones (empty
 * when all are valid: each valid on its own), or a GroupVerdict when it may answer for the group
 * as a set. With `individually` it must judge every item on its own (never `setOnly`). The BLS
 * library's batch verifiers have this shape.
 */
export type SameMessageBatchVerifier = (
  digest: Hex,
  items: readonly VerifyItem[],
  individually?: boolean,
) => readonly number[] | GroupVerdict;

/**
 * Signatures whose weighted plain aggregate verified together, in one batch, over one digest: a
 * valid aggregate AS A WHOLE, not each on its own (two of them may carry errors that cancel).
 * Whoever counts them counts all of them with their weights or none of them on this verdict;
 * those it cannot count verify again with `individually` (see Aggregator's #countSet).
 */
export interface VerifiedSet {
  readonly digest: Hex;
  readonly members: readonly PendingSignature[];
  /** The weighted sums the check verified: what counting the set adds to the aggregate. */
  readonly aggregate: SetAggregate;
}

/**
 * A signature's verdict: invalid; valid on its own (`set` undefined); or valid as a member of
 * `set` only.
 */
export type Verdict =
  | { readonly valid: false }
  | { readonly valid: true; readonly set: VerifiedSet | undefined };

export interface BatcherOptions {
  /** A batch is verified once no signature has arrived for this long (arrivals keep it open)... */
  readonly idleMs: number;
  /** ...or once its first signature has waited this long, whichever comes first. */
  readonly maxWaitMs: number;
  /** A batch this large is verified at once, without waiting. */
  readonly maxBatchSize: number;
  /** Signatures waiting over all operators at most; at the limit the longest queue gives way. */
  readonly maxQueued: number;
  /** Signatures one operator may have waiting; beyond it that operator is refused (OVERLOADED). */
  readonly maxQueuedPerOperator: number;
  /** How long an operator whose signature was invalid has its signatures verified one at a time. */
  readonly suspectMs?: number;
  /** On close, how long signatures already queued are still verified before being refused. */
  readonly closeGraceMs?: number;
}

export class BatcherFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BatcherFullError";
  }
}

export class BatcherClosedError extends Error {
  constructor() {
    super("the verification batcher is closed");
    this.name = "BatcherClosedError";
  }
}

interface Waiting {
  readonly item: PendingSignature;
  readonly arrivedAt: number;
  resolve(verdict: Verdict): void;
  reject(error: Error): void;
}

export interface BatchReport {
  readonly size: number;
  readonly invalid: number;
  readonly digests: number;
  /** CPU of the verification itself, on the thread that ran it. */
  readonly cpuMs: number;
  /** Wall time the batch spent crossing to its worker and back. */
  readonly handoffMs: number;
  /** Each signature's wait, from its arrival to its verdict. */
  readonly waitsMs: readonly number[];
  /** A batch of one signature from an operator under suspicion (see VerificationBatcher). */
  readonly suspect: boolean;
}

export interface BatcherStatus {
  /** Signatures waiting for a batch. */
  readonly queued: number;
  /** Batches being verified now. */
  readonly verifying: number;
  readonly workers: number;
  /** Operators whose signatures are verified one at a time for now. */
  readonly suspects: number;
}

const DEFAULT_SUSPECT_MS = 60_000;
const DEFAULT_CLOSE_GRACE_MS = 2_000;

/**
 * Micro-batching with fair queueing, in front of a verification pool (worker threads), so that
 * pairings never run on the event loop and one operator cannot hold the others up.
 *
 * Signatures that arrive close together are verified together, grouped by digest, one
 * batch-verifier call per digest; each caller's promise settles with its own verdict. When the
 * verifier vouches for a group only as a set (its weighted plain aggregate verified), every
 * member's verdict carries the same VerifiedSet, to be counted whole or verified again
 * `individually` (those form groups of their own). A batch
 * closes when arrivals pause for `idleMs`, when its oldest signature has waited `maxWaitMs`, or
 * when `maxBatchSize` are waiting: a burst (every operator answering a new task at once) becomes
 * one batch, one pairing check, while a lone signature waits only `idleMs`. A closed batch goes
 * to the first free worker; while every worker is busy, signatures keep waiting.
 *
 * Fairness. Each operator's signatures wait in a queue of their own, bounded by
 * `maxQueuedPerOperator` (beyond it only that operator is refused), and a batch takes the oldest
 * signature of each operator in turn, at most one per operator, continuing the round where the
 * last batch stopped. So an operator flooding the aggregator gets one signature into each
 * batch, like everyone else. One invalid signature costs its batch a bisection (about log2 n
 * further checks), so an operator found signing invalidly is a suspect for `suspectMs`: its
 * signatures are no longer mixed into batches but verified one at a time, one check each,
 * alternating with the batches of everyone else. A flood of forged signatures then costs one
 * pairing check per signature and delays an honest batch by at most one such check per worker.
 * Operators are the ones named in the requests: authenticated sessions make that the sender.
 */
export class VerificationBatcher {
  readonly #pool: VerificationPool;
  readonly #options: BatcherOptions;
  readonly #onBatch: ((report: BatchReport) => void) | undefined;
  /** Per operator, oldest first; the map's order is the round-robin order. */
  readonly #queues = new Map<Hex, Waiting[]>();
  readonly #suspects = new Map<Hex, number>();
  readonly #running = new Set<Promise<void>>();
  #queued = 0;
  #lastWasSuspect = false;
  #timer: NodeJS.Timeout | undefined;
  #lastArrivalAt = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  #onIdle: (() => void) | undefined;

  constructor(pool: VerificationPool, options: BatcherOptions, onBatch?: (report: BatchReport) => void) {
    this.#pool = pool;
    this.#options = options;
    this.#onBatch = onBatch;
    pool.onAvailable = () => this.#poke();
  }

  get queued(): number {
    return this.#queued;
  }

  get status(): BatcherStatus {
    const now = performance.now();
    let suspects = 0;
    for (const until of this.#suspects.values()) if (until > now) suspects++;
    return { queued: this.#queued, verifying: this.#running.size, workers: this.#pool.size, suspects };
  }

  /** Resolves with the signature's verdict (see Verdict); rejects only when full or closed. */
  verify(item: PendingSignature): Promise<Verdict> {
    if (this.#closed) return Promise.reject(new BatcherClosedError());
    const own = this.#queues.get(item.operatorId)?.length ?? 0;
    if (own >= this.#options.maxQueuedPerOperator) {
      return Promise.reject(
        new BatcherFullError(
          `operator ${item.operatorId} already has ${own} signatures waiting for verification; retry shortly`,
        ),
      );
    }
    if (this.#queued >= this.#options.maxQueued && !this.#makeRoom(own)) {
      return Promise.reject(
        new BatcherFullError(`${this.#queued} signatures are waiting for verification; retry shortly`),
      );
    }
    return new Promise<Verdict>((resolve, reject) => {
      const now = performance.now();
      const waiting: Waiting = { item, arrivedAt: now, resolve, reject };
      const queue = this.#queues.get(item.operatorId);
      if (queue) queue.push(waiting);
      else this.#queues.set(item.operatorId, [waiting]);
      this.#queued++;
      this.#lastArrivalAt = now;
      if (this.#queued >= this.#options.maxBatchSize) {
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => this.#poke(), 0);
      } else {
        // One timer per batch: when it fires early (arrivals kept the batch open), #poke re-arms
        // it for what is left of the pause.
        this.#timer ??= setTimeout(() => this.#poke(), this.#options.idleMs);
      }
    });
  }

  /**
   * At the global limit, the operator with the most signatures waiting gives up its newest, unless
   * the newcomer's own queue is about as long: the limit never refuses a light operator because a
   * heavy one filled the queue.
   */
  #makeRoom(own: number): boolean {
    let longest: Waiting[] | undefined;
    for (const queue of this.#queues.values()) if (queue.length > (longest?.length ?? 0)) longest = queue;
    if (longest === undefined || longest.length <= own + 1) return false;
    const evicted = longest.pop()!;
    this.#queued--;
    evicted.reject(
      new BatcherFullError(
        `${this.#options.maxQueued} signatures are waiting for verification, ${longest.length + 1} of them operator ${evicted.item.operatorId}'s; retry shortly`,
      ),
    );
    return true;
  }

  /** Hands batches to free workers while some are due; otherwise arms the timer for the next. */
  #poke(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#queued > 0 && this.#pool.idle > 0) {
      const wait = this.#closed ? 0 : this.#waitLeft();
      if (wait >= 1) {
        this.#timer = setTimeout(() => this.#poke(), wait);
        return;
      }
      this.#run(this.#take());
    }
  }

  #waitLeft(): number {
    if (this.#queued >= this.#options.maxBatchSize) return 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const queue of this.#queues.values()) oldest = Math.min(oldest, queue[0]!.arrivedAt);
    const now = performance.now();
    return Math.min(this.#lastArrivalAt + this.#options.idleMs - now, oldest + this.#options.maxWaitMs - now);
  }

  #isSuspect(operatorId: Hex, now: number): boolean {
    return (this.#suspects.get(operatorId) ?? 0) > now;
  }

  /** The next batch: one signature from each clean operator in turn, or one suspect's alone. */
  #take(): { waitings: Waiting[]; suspect: boolean } {
    const now = performance.now();
    let clean = false;
    let suspect: Hex | undefined;
    for (const operatorId of this.#queues.keys()) {
      if (!this.#isSuspect(operatorId, now)) clean = true;
      else suspect ??= operatorId;
      if (clean && suspect !== undefined) break;
    }
    if (suspect !== undefined && (!clean || !this.#lastWasSuspect)) {
      this.#lastWasSuspect = true;
      return { waitings: [this.#takeFrom(suspect)], suspect: true };
    }
    this.#lastWasSuspect = false;
    const waitings: Waiting[] = [];
    for (const operatorId of [...this.#queues.keys()]) {
      if (this.#isSuspect(operatorId, now)) continue;
      waitings.push(this.#takeFrom(operatorId));
      if (waitings.length >= this.#options.maxBatchSize) break;
    }
    return { waitings, suspect: false };
  }

  /** The operator's oldest signature; the operator moves to the back of the round. */
  #takeFrom(operatorId: Hex): Waiting {
    const queue = this.#queues.get(operatorId)!;
    const waiting = queue.shift()!;
    this.#queues.delete(operatorId);
    if (queue.length > 0) this.#queues.set(operatorId, queue);
    this.#queued--;
    return waiting;
  }

  #run({ waitings, suspect }: { waitings: Waiting[]; suspect: boolean }): void {
    // One group per digest, and apart from it those to be judged individually.
    const byDigest = new Map<string, Waiting[]>();
    for (const waiting of waitings) {
      const key = `${waiting.item.digest}${waiting.item.individually ? ":individually" : ""}`;
      const group = byDigest.get(key);
      if (group) group.push(waiting);
      else byDigest.set(key, [waiting]);
    }
    const members = [...byDigest.values()];
    const groups: DigestGroup[] = members.map((group) => ({
      digest: group[0]!.item.digest,
      individually: group[0]!.item.individually === true,
      items: group.map((w) => ({
        publicKey: w.item.publicKey,
        signature: w.item.signature,
        weight: w.item.weight ?? 1,
      })),
    }));
    const job = this.#pool
      .verify(groups)
      .then(
        (outcome) => {
          const now = performance.now();
          let invalidCount = 0;
          for (const [g, group] of members.entries()) {
            const invalid = new Set(outcome.invalid[g] ?? []);
            invalidCount += invalid.size;
            // One set object shared by every member: whoever counts it counts it whole.
            const aggregate = outcome.aggregates[g];
            const set: VerifiedSet | undefined =
              aggregate !== undefined && group.length > 1
                ? { digest: groups[g]!.digest, members: group.map((w) => w.item), aggregate }
                : undefined;
            for (const [index, waiting] of group.entries()) {
              const valid = !invalid.has(index);
              if (!valid) this.#suspect(waiting.item.operatorId, now);
              waiting.resolve(valid ? { valid, set } : { valid });
            }
          }
          try {
            this.#onBatch?.({
              size: waitings.length,
              invalid: invalidCount,
              digests: groups.length,
              cpuMs: outcome.cpuMs,
              handoffMs: outcome.handoffMs,
              waitsMs: waitings.map((w) => now - w.arrivedAt),
              suspect,
            });
          } catch {
            // A report listener's fault must not fail the verdicts already given.
          }
        },
        (error: unknown) => {
          const refusal =
            error instanceof VerifierPoolClosedError ? new BatcherClosedError() : (error as Error);
          for (const waiting of waitings) waiting.reject(refusal);
        },
      )
      .finally(() => {
        this.#running.delete(job);
        this.#poke();
        if (this.#queued === 0 && this.#running.size === 0) this.#onIdle?.();
      });
    this.#running.add(job);
  }

  #suspect(operatorId: Hex, now: number): void {
    if (this.#suspects.size >= 4096) {
      for (const [id, until] of this.#suspects) if (until <= now) this.#suspects.delete(id);
    }
    this.#suspects.set(operatorId, now + (this.#options.suspectMs ?? DEFAULT_SUSPECT_MS));
  }

  /**
   * Refuses new work at once. Signatures already queued are still verified, without waiting for
   * their batch timers, for up to `closeGraceMs`; then whatever is left, queued or being verified,
   * is refused with BatcherClosedError (the caller answers UNAVAILABLE, retryable) and the pool's
   * workers are ended. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      const drained = new Promise<void>((resolve) => {
        this.#onIdle = resolve;
        if (this.#queued === 0 && this.#running.size === 0) resolve();
      });
      this.#poke();
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        drained,
        new Promise<void>((resolve) => {
          grace = setTimeout(resolve, this.#options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS);
        }),
      ]);
      clearTimeout(grace);
      clearTimeout(this.#timer);
      this.#timer = undefined;
      for (const queue of this.#queues.values())
        for (const waiting of queue) waiting.reject(new BatcherClosedError());
      this.#queues.clear();
      this.#queued = 0;
      await this.#pool.close();
      await Promise.allSettled([...this.#running]);
    })();
    return this.#closing;
  }
}
