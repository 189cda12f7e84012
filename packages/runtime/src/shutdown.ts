import { constants } from "node:os";
import type { Logger } from "pino";

type Cleanup = () => void | Promise<void>;

/** How a shutdown went: the steps that did not finish in time, and those that threw. */
export interface ShutdownOutcome {
  readonly reason: string;
  readonly timedOut: readonly string[];
  readonly failed: readonly string[];
}

/** The exit code of a process ended by `signal`, as shells report it: 128 + the signal's number. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * A repeat of the signal this soon after the first is the same request: a terminal's Ctrl-C and
 * a parent forwarding it (npm, the bootstrap) arrive milliseconds apart. A person pressing Ctrl-C
 * twice to give up waiting is slower than this.
 */
const SAME_REQUEST_MS = 300;

/**
 * Graceful shutdown: services watch `signal` to stop taking work, and registered cleanups
 * run in reverse order of registration (last started, first stopped), each bounded in time
 * so a stuck one cannot keep the process alive.
 */
export class Shutdown {
  readonly #controller = new AbortController();
  readonly #cleanups: { name: string; run: Cleanup }[] = [];
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  #reason: string | undefined;
  #done: Promise<ShutdownOutcome> | undefined;
  #onRequested: ((reason: string) => void)[] = [];

  constructor(logger: Logger, timeoutMs = 10_000) {
    this.#logger = logger;
    this.#timeoutMs = timeoutMs;
  }

  /** Aborted as soon as the shutdown starts. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get requested(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Why the shutdown started (a signal's name, "stop requested", …); undefined before. */
  get reason(): string | undefined {
    return this.#reason;
  }

  /** Resolves with the reason once the shutdown has been asked for (it may still be running). */
  whenRequested(): Promise<string> {
    if (this.#reason !== undefined) return Promise.resolve(this.#reason);
    return new Promise((resolve) => this.#onRequested.push(resolve));
  }

  add(name: string, run: Cleanup): void {
    this.#cleanups.push({ name, run });
  }

  /** Runs once; later calls return the same promise. */
  run(reason: string): Promise<ShutdownOutcome> {
    if (this.#done === undefined) {
      this.#reason = reason;
      this.#done = this.#runCleanups(reason);
      for (const resolve of this.#onRequested.splice(0)) resolve(reason);
    }
    return this.#done;
  }

  /**
   * SIGINT/SIGTERM start the shutdown (the signal's name is its reason); a second signal calls
   * `onSecondSignal` with it (by default: exit at once with 128 + its number, 130 for SIGINT, 143
   * for SIGTERM). Returns a function that removes the handlers.
   */
  installSignalHandlers(
    onSecondSignal: (signal: NodeJS.Signals) => void = (signal) => process.exit(signalExitCode(signal)),
  ): () => void {
    let firstAt = 0;
    const handler = (signal: NodeJS.Signals) => {
      if (this.requested) {
        if (Date.now() - firstAt < SAME_REQUEST_MS) return;
        this.#logger.warn({ signal }, "second signal: exiting without waiting for cleanup");
        onSecondSignal(signal);
        return;
      }
      firstAt = Date.now();
      void this.run(signal);
    };
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
    return () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    };
  }

  async #runCleanups(reason: string): Promise<ShutdownOutcome> {
    this.#logger.info({ reason }, "shutting down");
    this.#controller.abort(new Error(reason));
    const timedOut: string[] = [];
    const failed: string[] = [];
    for (const cleanup of [...this.#cleanups].reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), this.#timeoutMs);
      });
      try {
        const outcome = await Promise.race([Promise.resolve().then(cleanup.run), timeout]);
        if (outcome === "timeout") {
          timedOut.push(cleanup.name);
          this.#logger.warn({ step: cleanup.name, timeoutMs: this.#timeoutMs }, "cleanup timed out");
        }
      } catch (error) {
        failed.push(cleanup.name);
        this.#logger.error({ step: cleanup.name, err: error }, "cleanup failed");
      } finally {
        clearTimeout(timer);
      }
    }
    // With nothing registered (the service kit stops its service itself) there is nothing to report.
    if (this.#cleanups.length > 0) this.#logger.info({ reason, timedOut, failed }, "shutdown complete");
    return { reason, timedOut, failed };
  }
}

/** Resolves after `ms`, or early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
