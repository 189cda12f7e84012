import type { HealthReport, Logger } from "@avskit/runtime";
import type { SyncMetrics } from "./metrics.js";
import { type SyncReport, succeeded, summarize } from "./report.js";
import { runOnSchedule } from "./schedule.js";
import type { SyncSettings } from "./settings.js";
import { runSync, withRetries } from "./sync.js";
import type { SyncChain } from "./sync-chain.js";

export interface SyncWorkerDeps {
  /** Connects to the AVS (retried with backoff at the start of each run until it works). */
  readonly connect: () => Promise<SyncChain>;
  /** Errors of `connect` no retry can fix (no deployment, no contract, wrong service manager). */
  readonly isPermanent: (error: unknown) => boolean;
  readonly logger: Logger;
  readonly metrics: SyncMetrics;
  /** Aborting ends the schedule: the run in progress stops at its next step. */
  readonly signal: AbortSignal;
}

/**
 * The sync on its schedule, and the account of what it did: for /health, the once-mode exit
 * code and the final log line.
 */
export class SyncWorker {
  readonly #settings: SyncSettings;
  readonly #deps: SyncWorkerDeps;
  #chain: SyncChain | undefined;
  #lastReport: SyncReport | undefined;
  #runs = 0;
  #failedRuns = 0;
  #inProgress = false;

  constructor(settings: SyncSettings, deps: SyncWorkerDeps) {
    this.#settings = settings;
    this.#deps = deps;
  }

  get lastReport(): SyncReport | undefined {
    return this.#lastReport;
  }

  /** Runs on the schedule until the signal aborts (once, with interval 0). */
  async run(): Promise<void> {
    await runOnSchedule(this.#settings.schedule, () => this.#runOnce(), {
      signal: this.#deps.signal,
      logger: this.#deps.logger,
    });
  }

  health(): HealthReport {
    const last = this.#lastReport;
    return {
      healthy: last === undefined || succeeded(last),
      runs: this.#runs,
      failedRuns: this.#failedRuns,
      ...(last ? { lastRun: summarize(last) } : {}),
    };
  }

  /** What was done and what was not, for the final log line. */
  account(): Record<string, unknown> {
    return {
      runs: this.#runs,
      failedRuns: this.#failedRuns,
      ...(this.#inProgress ? { runInProgress: true } : {}),
      lastRun: this.#lastReport ? summarize(this.#lastReport) : "no run started",
    };
  }

  async #runOnce(): Promise<void> {
    const { logger, metrics, signal } = this.#deps;
    const { targets, options } = this.#settings;
    const startedAt = new Date();
    this.#inProgress = true;
    let report: SyncReport;
    try {
      this.#chain ??= await withRetries("connecting to the chain", this.#deps.connect, options, {
        logger,
        signal,
        isPermanent: this.#deps.isPermanent,
      });
      report = this.#chain
        ? await runSync(targets, options, { chain: this.#chain, logger, metrics, signal })
        : { results: [], notStarted: [], interrupted: true, startedAt, finishedAt: new Date() };
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      logger.error({ err }, "sync run failed: cannot reach the AVS");
      report = {
        results: [],
        notStarted: [],
        error: err,
        interrupted: false,
        startedAt,
        finishedAt: new Date(),
      };
    } finally {
      this.#inProgress = false;
    }
    this.#lastReport = report;
    this.#runs++;
    if (!succeeded(report) && !report.interrupted) this.#failedRuns++;
    const level = succeeded(report) ? "info" : report.interrupted ? "warn" : "error";
    logger[level]({ run: this.#runs, ...summarize(report) }, "sync run finished");
  }
}
