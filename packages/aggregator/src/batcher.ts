import type { G1Point, G2Point } from "@avskit/bls";
import type { Hex } from "viem";

/** One signature to check: `signature` by the holder of `publicKey` over `digest`. */
export interface PendingSignature {
  readonly digest: Hex;
  readonly publicKey: G2Point;
  readonly signature: G1Point;
}

/**
 * Checks many signatures over ONE digest at once and returns the indices of the invalid ones
 * (empty when all are valid). The BLS library's batch verifier has this shape.
 */
export type SameMessageBatchVerifier = (
  digest: Hex,
  items: readonly { publicKey: G2Point; signature: G1Point }[],
) => readonly number[];

export interface BatcherOptions {
  /** A batch is verified once no signature has arrived for this long (arrivals keep it open)... */
  readonly idleMs: number;
  /** ...or once its first signature has waited this long, whichever comes first. */
  readonly maxWaitMs: number;
  /** A batch this large is verified at once, without waiting. */
  readonly maxBatchSize: number;
  /** Signatures queued beyond this are refused (the caller answers OVERLOADED). */
  readonly maxQueued: number;
}

export class BatcherFullError extends Error {
  constructor(limit: number) {
    super(`more than ${limit} signatures are waiting for verification`);
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
  resolve(valid: boolean): void;
  reject(error: Error): void;
}

export interface BatchReport {
  readonly size: number;
  readonly invalid: number;
  readonly digests: number;
  readonly cpuMs: number;
}

/**
 * Micro-batching: signatures that arrive close together are verified together, grouped by
 * digest, one batch-verifier call per digest; each caller's promise settles with its own
 * verdict. A batch closes when arrivals pause for `idleMs`, when its first signature has
 * waited `maxWaitMs`, or when it is full: a burst (every operator answering a new task at
 * once) becomes one batch, one pairing check, while a lone signature waits only `idleMs`.
 * While a batch is verified (synchronous CPU work), new arrivals queue for the next one.
 */
export class VerificationBatcher {
  readonly #verify: SameMessageBatchVerifier;
  readonly #options: BatcherOptions;
  readonly #onBatch: ((report: BatchReport) => void) | undefined;
  #queue: Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;
  #firstQueuedAt = 0;
  #lastArrivalAt = 0;
  #closed = false;

  constructor(
    verify: SameMessageBatchVerifier,
    options: BatcherOptions,
    onBatch?: (report: BatchReport) => void,
  ) {
    this.#verify = verify;
    this.#options = options;
    this.#onBatch = onBatch;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Resolves true (valid) or false (invalid); rejects only when full or closed. */
  verify(item: PendingSignature): Promise<boolean> {
    if (this.#closed) return Promise.reject(new BatcherClosedError());
    if (this.#queue.length >= this.#options.maxQueued)
      return Promise.reject(new BatcherFullError(this.#options.maxQueued));
    return new Promise<boolean>((resolve, reject) => {
      if (this.#queue.length === 0) this.#firstQueuedAt = performance.now();
      this.#queue.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  /**
   * One timer per batch: an arrival only records its time, and the timer, when it fires early
   * (arrivals kept the batch open), re-arms itself for what is left of the idle pause.
   */
  #schedule(): void {
    this.#lastArrivalAt = performance.now();
    if (this.#queue.length >= this.#options.maxBatchSize) {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.#flush(), 0);
      return;
    }
    this.#timer ??= setTimeout(() => this.#onTimer(), this.#options.idleMs);
  }

  #onTimer(): void {
    this.#timer = undefined;
    const now = performance.now();
    const idleLeft = this.#lastArrivalAt + this.#options.idleMs - now;
    const waitLeft = this.#firstQueuedAt + this.#options.maxWaitMs - now;
    const delay = Math.min(idleLeft, waitLeft);
    if (delay >= 1 && this.#queue.length > 0) {
      this.#timer = setTimeout(() => this.#onTimer(), delay);
      return;
    }
    this.#flush();
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#queue.splice(0, this.#options.maxBatchSize);
    if (this.#queue.length > 0) {
      this.#firstQueuedAt = performance.now();
      this.#schedule();
    }
    if (batch.length === 0) return;
    const started = process.cpuUsage();
    const byDigest = new Map<Hex, Waiting[]>();
    for (const waiting of batch) {
      const group = byDigest.get(waiting.item.digest);
      if (group) group.push(waiting);
      else byDigest.set(waiting.item.digest, [waiting]);
    }
    let invalidCount = 0;
    for (const [digest, group] of byDigest) {
      let invalid: ReadonlySet<number>;
      try {
        invalid = new Set(
          this.#verify(
            digest,
            group.map((w) => ({ publicKey: w.item.publicKey, signature: w.item.signature })),
          ),
        );
      } catch (error) {
        for (const waiting of group) waiting.reject(error as Error);
        continue;
      }
      invalidCount += invalid.size;
      for (const [index, waiting] of group.entries()) waiting.resolve(!invalid.has(index));
    }
    const used = process.cpuUsage(started);
    this.#onBatch?.({
      size: batch.length,
      invalid: invalidCount,
      digests: byDigest.size,
      cpuMs: (used.user + used.system) / 1000,
    });
  }

  /** Refuses new work; signatures already queued are still verified. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#queue.length > 0) this.#flush();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
