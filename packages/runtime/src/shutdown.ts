import type { Logger } from "pino";

type Cleanup = () => void | Promise<void>;

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
  #done: Promise<void> | undefined;

  constructor(logger: Logger, timeoutMs = 10_000) {
    this.#logger = logger;
    this.#timeoutMs = timeoutMs;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get requested(): boolean {
    return this.#controller.signal.aborted;
  }

  add(name: string, run: Cleanup): void {
    this.#cleanups.push({ name, run });
  }

  /** Runs once; later calls return the same promise. */
  run(reason: string): Promise<void> {
    this.#done ??= this.#runCleanups(reason);
    return this.#done;
  }

  /** SIGINT/SIGTERM start the shutdown; a second signal exits at once. */
  installSignalHandlers(onDone: (exitCode: number) => void = (code) => process.exit(code)): void {
    const handler = (signal: NodeJS.Signals) => {
      if (this.requested) {
        this.#logger.warn({ signal }, "second signal: exiting without waiting for cleanup");
        onDone(130);
        return;
      }
      void this.run(signal).then(() => onDone(0));
    };
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
  }

  async #runCleanups(reason: string): Promise<void> {
    this.#logger.info({ reason }, "shutting down");
    this.#controller.abort(new Error(`shutdown: ${reason}`));
    for (const cleanup of [...this.#cleanups].reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), this.#timeoutMs);
      });
      try {
        const outcome = await Promise.race([Promise.resolve(cleanup.run()), timeout]);
        if (outcome === "timeout") this.#logger.warn({ step: cleanup.name }, "cleanup timed out");
      } catch (error) {
        this.#logger.error({ step: cleanup.name, err: error }, "cleanup failed");
      } finally {
        clearTimeout(timer);
      }
    }
    this.#logger.info("shutdown complete");
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
