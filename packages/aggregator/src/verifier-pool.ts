import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Logger } from "@avskit/runtime";
import type { SameMessageBatchVerifier } from "./batcher.js";
import {
  type DigestGroup,
  decodeAggregate,
  encodeGroup,
  groupVerdict,
  type SetAggregate,
  threadCpuMs,
  type WorkerMessage,
} from "./verify-protocol.js";

/** A batch's verdicts: per digest group, the indices of its invalid items. */
export interface BatchOutcome {
  readonly invalid: readonly (readonly number[])[];
  /** Per digest group, the sums its set verdict rests on; undefined when judged item by item. */
  readonly aggregates: readonly (SetAggregate | undefined)[];
  /** CPU spent verifying, on whichever thread did it. */
  readonly cpuMs: number;
  /**
   * Wall time the batch spent crossing to the worker and back (encoding, structured clone,
   * messaging, rebuilding the points): what running off the event loop costs. 0 on this thread.
   */
  readonly handoffMs: number;
}

/** Where batches are verified. The batcher hands one over only while `idle > 0`. */
export interface VerificationPool {
  /** Workers alive. */
  readonly size: number;
  /** Workers free to take a batch now. */
  readonly idle: number;
  /**
   * Called when a worker starts taking batches (a replacement for one that died); a worker freed
   * by a finished batch is not announced: the batch's own promise settling says it.
   */
  onAvailable: (() => void) | undefined;
  verify(groups: readonly DigestGroup[]): Promise<BatchOutcome>;
  /** Ends the workers; batches in flight are refused with VerifierPoolClosedError. Idempotent. */
  close(): Promise<void>;
}

export class VerifierPoolClosedError extends Error {
  constructor() {
    super("the verification pool is closed");
    this.name = "VerifierPoolClosedError";
  }
}

/** A worker died or could not verify a batch: a fault of the aggregator, not of the signatures. */
export class VerifierWorkerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "VerifierWorkerError";
  }
}

/**
 * The worker is compiled JavaScript: in the build it sits beside this module; run from the
 * TypeScript sources (vitest) this module takes the build's copy, which `npm test` builds first
 * (turbo runs a package's build before its tests). new Worker() cannot load a .ts file.
 */
export function verifyWorkerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith(".ts")
    ? new URL("../dist/src/verify-worker.js", here)
    : new URL("./verify-worker.js", here);
}

interface Job {
  readonly id: number;
  readonly postedAt: number;
  readonly encodeMs: number;
  resolve(outcome: BatchOutcome): void;
  reject(error: Error): void;
}

interface Slot {
  readonly worker: Worker;
  ready: boolean;
  job: Job | undefined;
  lastError: Error | undefined;
}

export interface WorkerPoolOptions {
  readonly size: number;
  readonly logger?: Logger;
  /** The worker module; the built verify-worker.js by default. */
  readonly workerUrl?: URL;
}

/**
 * Worker threads that verify batches off the event loop, one batch per worker at a time. A worker
 * that dies is replaced (its batch is refused with VerifierWorkerError); one that dies before it
 * ever started is not, so a broken build cannot spin. Idle workers are unref'd: they never keep
 * the process alive on their own.
 */
export class WorkerVerifierPool implements VerificationPool {
  readonly #url: URL;
  readonly #logger: Logger | undefined;
  readonly #slots = new Set<Slot>();
  #nextId = 1;
  #closed = false;
  #closing: Promise<void> | undefined;
  onAvailable: (() => void) | undefined;

  private constructor(options: WorkerPoolOptions) {
    this.#url = options.workerUrl ?? verifyWorkerUrl();
    this.#logger = options.logger;
  }

  /** Starts `size` workers and waits until each has loaded the verifier. */
  static async start(options: WorkerPoolOptions): Promise<WorkerVerifierPool> {
    const pool = new WorkerVerifierPool(options);
    if (pool.#url.protocol === "file:" && !existsSync(fileURLToPath(pool.#url))) {
      throw new Error(`the verification worker ${fileURLToPath(pool.#url)} is missing: run npm run build`);
    }
    try {
      await Promise.all(Array.from({ length: options.size }, () => pool.#spawn()));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.#slots.size;
  }

  get idle(): number {
    let idle = 0;
    for (const slot of this.#slots) if (slot.ready && slot.job === undefined) idle++;
    return idle;
  }

  verify(groups: readonly DigestGroup[]): Promise<BatchOutcome> {
    if (this.#closed) return Promise.reject(new VerifierPoolClosedError());
    const slot = [...this.#slots].find((s) => s.ready && s.job === undefined);
    if (slot === undefined)
      return Promise.reject(new Error("no idle verification worker (the caller checks idle)"));
    const encodeStarted = performance.now();
    const wire = groups.map(encodeGroup);
    const postedAt = performance.now();
    const id = this.#nextId++;
    return new Promise<BatchOutcome>((resolve, reject) => {
      slot.job = { id, postedAt, encodeMs: postedAt - encodeStarted, resolve, reject };
      slot.worker.ref();
      slot.worker.postMessage({ id, groups: wire });
    });
  }

  #spawn(): Promise<void> {
    const worker = new Worker(this.#url, { name: "avskit-verify" });
    const slot: Slot = { worker, ready: false, job: undefined, lastError: undefined };
    this.#slots.add(slot);
    return new Promise<void>((started, failedToStart) => {
      worker.on("message", (message: WorkerMessage) => {
        if (message.kind === "ready") {
          slot.ready = true;
          worker.unref();
          started();
          this.onAvailable?.();
          return;
        }
        const job = slot.job;
        if (job === undefined || job.id !== message.id) return;
        slot.job = undefined;
        worker.unref();
        if (message.kind === "verdict") {
          const roundTripMs = performance.now() - job.postedAt;
          job.resolve({
            invalid: message.invalid,
            aggregates: message.aggregates.map((c) => (c === null ? undefined : decodeAggregate(c))),
            cpuMs: message.cpuMs,
            handoffMs: job.encodeMs + Math.max(0, roundTripMs - message.workMs),
          });
        } else {
          job.reject(new VerifierWorkerError(`the verification worker failed: ${message.message}`));
        }
      });
      worker.on("error", (error) => {
        slot.lastError = error;
      });
      worker.on("exit", (code) => {
        this.#slots.delete(slot);
        const job = slot.job;
        slot.job = undefined;
        if (this.#closed) {
          job?.reject(new VerifierPoolClosedError());
          failedToStart(new VerifierPoolClosedError());
          return;
        }
        const error = new VerifierWorkerError(
          `a verification worker exited (code ${code}${slot.lastError ? `: ${slot.lastError.message}` : ""})`,
          { cause: slot.lastError },
        );
        job?.reject(error);
        if (!slot.ready) {
          failedToStart(error);
          this.#logger?.error({ err: error }, "a verification worker could not start");
          return;
        }
        this.#logger?.error({ err: error }, "a verification worker died; starting another");
        this.#spawn().catch(() => {
          // logged above by the replacement's own exit handler
        });
      });
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= (async () => {
      const slots = [...this.#slots];
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
      // The exit handler has refused them already; this covers an exit event still to come.
      for (const slot of slots) slot.job?.reject(new VerifierPoolClosedError());
    })();
    return this.#closing;
  }
}

/**
 * Verifies on the event loop, one batch per macrotask: for tests and for comparing against the
 * pool (it blocks the service while it runs, which is what the pool exists to avoid).
 */
export class InThreadVerifier implements VerificationPool {
  readonly #verify: SameMessageBatchVerifier;
  #busy = false;
  #closed = false;
  onAvailable: (() => void) | undefined;

  constructor(verify: SameMessageBatchVerifier) {
    this.#verify = verify;
  }

  get size(): number {
    return this.#closed ? 0 : 1;
  }

  get idle(): number {
    return this.#busy || this.#closed ? 0 : 1;
  }

  verify(groups: readonly DigestGroup[]): Promise<BatchOutcome> {
    if (this.#closed) return Promise.reject(new VerifierPoolClosedError());
    this.#busy = true;
    return new Promise<BatchOutcome>((resolve, reject) => {
      setImmediate(() => {
        const started = threadCpuMs();
        try {
          const verdicts = groups.map((g) => {
            const individually = g.individually === true;
            return groupVerdict(this.#verify(g.digest, g.items, individually), individually);
          });
          resolve({
            invalid: verdicts.map((v) => v.invalid),
            aggregates: verdicts.map((v) => v.aggregate),
            cpuMs: threadCpuMs() - started,
            handoffMs: 0,
          });
        } catch (error) {
          reject(error as Error);
        } finally {
          this.#busy = false;
        }
      });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
