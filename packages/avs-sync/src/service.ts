import { ContractResolutionError } from "@avskit/bindings";
import {
  defineService,
  EXIT,
  loadConfiguredSigner,
  NoSignerError,
  redactConfig,
  type ServiceHandle,
  SignerError,
} from "@avskit/runtime";
import type { Account } from "viem";
import { connectSyncChain } from "./connect.js";
import { SyncConfigError } from "./errors.js";
import { SyncMetrics } from "./metrics.js";
import { DEFAULT_METRICS_ADDR, ENV_PREFIX, type SyncConfig, syncOptionSpecs } from "./options.js";
import { succeeded } from "./report.js";
import { settingsFrom } from "./settings.js";
import type { SyncChain } from "./sync-chain.js";
import { ServiceManagerMismatchError } from "./viem-chain.js";
import { SyncWorker } from "./worker.js";

/** Process exit codes, so system cron and Kubernetes CronJobs can tell outcomes apart. */
export const SYNC_EXIT = {
  /** Every quorum updated or already current (once mode); stopped as asked (daemon mode). */
  ok: EXIT.ok,
  /** Some update failed, or the chain could not be reached. */
  failed: EXIT.failed,
  /** Invalid options or signer. */
  usage: EXIT.usage,
  /** Once mode stopped by SIGINT before the run finished (128 + 2). */
  interruptedSigint: 130,
  /** Once mode stopped by SIGTERM (or a stop request) before the run finished (128 + 15). */
  interruptedSigterm: 143,
} as const;

/** What the service takes beside its configuration: tests swap parts in. */
export interface SyncServiceDeps {
  /** Replaces the JSON-RPC chain (tests of the control flow only). */
  readonly connect?: (account: Account | undefined) => Promise<SyncChain>;
  /** Wraps the connected chain, e.g. to act between a read and a write (the race test). */
  readonly wrapChain?: (chain: SyncChain) => SyncChain;
  /** Receipt polling interval (tests against a local chain want it short). */
  readonly pollingIntervalMs?: number;
}

export interface SyncHandle extends ServiceHandle {
  readonly worker: SyncWorker;
}

const DESCRIPTION =
  "Keeps the StakeRegistry's recorded operator stakes current: one transaction per quorum " +
  "(updateOperatorsForQuorum with the quorum's complete, sorted operator set), retried with " +
  "exponential backoff, on a schedule or once (--sync-interval 0, for cron).";

const HELP_AFTER = `
Exit codes: 0 every quorum updated or already current; 1 an update failed or the chain was
unreachable; 2 invalid options; 130/143 stopped by SIGINT/SIGTERM before the run finished.
In daemon mode a failed run is logged and retried at the next tick; a signal exits 0.

Examples:
  avs-sync --eth-http-url http://127.0.0.1:8545 --sync-interval 24h --first-sync-time 03:00:00
  AVS_SYNC_ECDSA_PRIVATE_KEY=0x... avs-sync --eth-http-url $RPC --sync-interval 0   # once, for cron
  avs-sync --eth-http-url $RPC --dry-run --sync-interval 0                           # report only
`;

/** Problems no retry can fix: reported once, not retried. */
function isPermanent(error: unknown): boolean {
  return error instanceof ContractResolutionError || error instanceof ServiceManagerMismatchError;
}

async function loadAccount(config: SyncConfig): Promise<Account | undefined> {
  try {
    return await loadConfiguredSigner(config, ENV_PREFIX);
  } catch (error) {
    // A dry run sends nothing, so it may run without a signer (estimates come from address 0).
    if (error instanceof NoSignerError && config.dryRun) return undefined;
    throw error;
  }
}

/** Lets the kit log "avs-sync started" before the first run logs anything. */
function afterStartedLine(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export const syncService = defineService({
  bin: "avs-sync",
  name: "avs-sync",
  description: DESCRIPTION,
  envPrefix: ENV_PREFIX,
  options: syncOptionSpecs,
  metricsAddr: DEFAULT_METRICS_ADDR,
  helpAfter: HELP_AFTER,
  // A stop ends waits (backoff, schedule, receipt) at once, but a send already on the wire is let
  // finish so that the transaction's hash is known, and a read step in progress completes: both
  // are bounded by their timeouts (the writer's is the longest by default).
  stopTimeoutMs: (config) => config.writerTimeoutDuration + 15_000,
  isUsageError: (error) => error instanceof SyncConfigError || error instanceof SignerError,
  async start(config, context, deps: SyncServiceDeps | undefined): Promise<SyncHandle> {
    const settings = settingsFrom(config);
    const account = await loadAccount(config);
    const { logger, signal } = context;
    const once = settings.schedule.intervalMs === 0;
    const connectChain =
      deps?.connect ??
      ((acct: Account | undefined) =>
        connectSyncChain({
          config,
          account: acct,
          logger,
          ...(deps?.pollingIntervalMs !== undefined ? { pollingIntervalMs: deps.pollingIntervalMs } : {}),
        }));
    const worker = new SyncWorker(settings, {
      connect: async () => {
        const chain = await connectChain(account);
        return deps?.wrapChain ? deps.wrapChain(chain) : chain;
      },
      isPermanent,
      logger,
      metrics: new SyncMetrics(context.registry),
      signal,
    });

    // Set by a stop that came before the schedule ended by itself (once mode's single run).
    let stopReason: string | undefined;
    let ended = false;
    const loop = afterStartedLine()
      .then(() => worker.run())
      .finally(() => {
        ended = true;
      });
    const interrupted = () =>
      stopReason !== undefined && (worker.lastReport === undefined || worker.lastReport.interrupted);
    const exitCode = (): number => {
      if (!once) return SYNC_EXIT.ok;
      if (interrupted())
        return stopReason === "SIGINT" ? SYNC_EXIT.interruptedSigint : SYNC_EXIT.interruptedSigterm;
      const last = worker.lastReport;
      return last !== undefined && succeeded(last) ? SYNC_EXIT.ok : SYNC_EXIT.failed;
    };

    return {
      worker,
      summary: {
        mode: once ? "once" : "daemon",
        signer: account?.address ?? null,
        config: redactConfig(syncOptionSpecs, config),
      },
      health: () => worker.health(),
      finished: loop.then(exitCode),
      async stop(reason) {
        if (!ended) stopReason ??= reason;
        // The kit has aborted context.signal: the run stops at its next step, a wait at once.
        await loop;
        return exitCode();
      },
      stopReport: () => ({
        fields: worker.account(),
        ...(interrupted()
          ? { detail: "before the run finished: see lastRun for what was done and what was not" }
          : {}),
      }),
    };
  },
});
