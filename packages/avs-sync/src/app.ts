import { DeploymentNotFoundError, InvalidDeploymentError } from "@avskit/bindings";
import {
  addOptions,
  ConfigError,
  createLogger,
  createMetricsRegistry,
  type Logger,
  loadSigner,
  NoSignerError,
  type RunningServer,
  redactConfig,
  resolveConfig,
  Shutdown,
  SignerError,
  startOpsServer,
} from "@avskit/runtime";
import { Command, CommanderError } from "commander";
import type { Account } from "viem";
import { connectSyncChain } from "./connect.js";
import { SyncConfigError } from "./errors.js";
import { SyncMetrics } from "./metrics.js";
import { ENV_PREFIX, type SyncConfig, syncOptionSpecs } from "./options.js";
import { type SyncReport, succeeded, summarize } from "./report.js";
import { runOnSchedule } from "./schedule.js";
import { type SyncSettings, settingsFrom } from "./settings.js";
import { runSync, withRetries } from "./sync.js";
import type { SyncChain } from "./sync-chain.js";
import { NoContractError, ServiceManagerMismatchError } from "./viem-chain.js";

/** Process exit codes, so system cron and Kubernetes CronJobs can tell outcomes apart. */
export const EXIT = {
  ok: 0,
  /** Some update failed, or the chain could not be reached. */
  failed: 1,
  /** Invalid options or signer. */
  usage: 2,
  /** Stopped by SIGINT before the run finished (128 + 2). */
  interruptedSigint: 130,
  /** Stopped by SIGTERM (or a stop request) before the run finished (128 + 15). */
  interruptedSigterm: 143,
} as const;

export interface MainIo {
  /** Arguments after the program name. */
  readonly argv: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Where JSON log lines go (stdout by default). */
  readonly logDestination?: NodeJS.WritableStream;
  /** Help text and usage errors. */
  readonly writeOut?: (text: string) => void;
  readonly writeErr?: (text: string) => void;
  /** Stop request from the embedder (tests, an in-process devnet); acts like SIGTERM. */
  readonly signal?: AbortSignal;
  /** Install SIGINT/SIGTERM handlers (the CLI does; embedders usually pass a signal instead). */
  readonly handleProcessSignals?: boolean;
  /** Receipt polling interval (tests against a local chain want it short). */
  readonly pollingIntervalMs?: number;
  /** Called with the metrics server once it listens (tests read the port). */
  readonly onMetricsServer?: (server: RunningServer) => void;
  /** Replaces the JSON-RPC chain (tests of the control flow only). */
  readonly connect?: (account: Account | undefined) => Promise<SyncChain>;
  /** Wraps the connected chain, e.g. to act between a read and a write (the race test). */
  readonly wrapChain?: (chain: SyncChain) => SyncChain;
}

const DESCRIPTION =
  "Keeps the StakeRegistry's recorded operator stakes current: one transaction per quorum " +
  "(updateOperatorsForQuorum with the quorum's complete, sorted operator set), retried with " +
  "exponential backoff, on a schedule or once (--sync-interval 0, for cron).";

const HELP_AFTER = `
Every option can also be set through its environment variable (shown in brackets) or a
JSON file given with --config. Precedence: flag > env > config file > default.

Exit codes: 0 every quorum updated or already current; 1 an update failed or the chain was
unreachable; 2 invalid options; 130/143 stopped by SIGINT/SIGTERM before the run finished.

Examples:
  avs-sync --eth-http-url http://127.0.0.1:8545 --sync-interval 24h --first-sync-time 03:00:00
  AVS_SYNC_ECDSA_PRIVATE_KEY=0x... avs-sync --eth-http-url $RPC --sync-interval 0   # once, for cron
  avs-sync --eth-http-url $RPC --dry-run --sync-interval 0                           # report only
`;

export function buildProgram(io: Pick<MainIo, "writeOut" | "writeErr">): Command {
  const program = new Command("avs-sync")
    .description(DESCRIPTION)
    .exitOverride()
    .allowExcessArguments(false)
    .configureOutput({
      writeOut: io.writeOut ?? ((text) => process.stdout.write(text)),
      writeErr: io.writeErr ?? ((text) => process.stderr.write(text)),
    });
  addOptions(program, syncOptionSpecs, ENV_PREFIX);
  program.addHelpText("after", HELP_AFTER);
  return program;
}

/** Problems no retry can fix: reported once, not retried. */
function isPermanent(error: unknown): boolean {
  return (
    error instanceof DeploymentNotFoundError ||
    error instanceof InvalidDeploymentError ||
    error instanceof NoContractError ||
    error instanceof ServiceManagerMismatchError
  );
}

async function loadAccount(settings: SyncSettings, dryRun: boolean): Promise<Account | undefined> {
  try {
    return await loadSigner(settings.signer);
  } catch (error) {
    // A dry run sends nothing, so it may run without a signer (estimates come from address 0).
    if (error instanceof NoSignerError && dryRun) return undefined;
    throw error;
  }
}

/** Runs avs-sync with the given arguments; resolves with the process exit code. */
export async function main(io: MainIo): Promise<number> {
  const writeErr = io.writeErr ?? ((text: string) => process.stderr.write(text));
  const program = buildProgram(io);
  try {
    program.parse([...io.argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }

  let config: SyncConfig;
  let settings: SyncSettings;
  let account: Account | undefined;
  try {
    config = resolveConfig(program, syncOptionSpecs, ENV_PREFIX, io.env ?? process.env);
    settings = settingsFrom(config);
    account = await loadAccount(settings, config.dryRun);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof SyncConfigError || error instanceof SignerError) {
      writeErr(`avs-sync: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }

  const logger = createLogger({
    name: "avs-sync",
    level: config.logLevel,
    format: config.logFormat,
    ...(io.logDestination ? { destination: io.logDestination } : {}),
  });
  return runService(io, config, settings, account, logger);
}

async function runService(
  io: MainIo,
  config: SyncConfig,
  settings: SyncSettings,
  account: Account | undefined,
  logger: Logger,
): Promise<number> {
  const once = settings.schedule.intervalMs === 0;
  logger.info(
    {
      config: redactConfig(syncOptionSpecs, config),
      signer: account?.address ?? null,
      mode: once ? "once" : "daemon",
    },
    "avs-sync starting",
  );

  // Shutdown waits for a sent transaction's receipt, so its bound must exceed the writer timeout.
  const shutdown = new Shutdown(logger, config.writerTimeoutDuration + 15_000);
  let stopReason: string | undefined;
  const requestStop = (reason: string) => {
    stopReason ??= reason;
    void shutdown.run(reason);
  };
  const onAbort = () => requestStop("stop requested");
  io.signal?.addEventListener("abort", onAbort, { once: true });
  if (io.signal?.aborted) onAbort();
  const onSignal = (signal: NodeJS.Signals) => {
    if (shutdown.requested) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(signal === "SIGINT" ? EXIT.interruptedSigint : EXIT.interruptedSigterm);
    }
    requestStop(signal);
  };
  if (io.handleProcessSignals) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }

  const registry = createMetricsRegistry();
  const metrics = new SyncMetrics(registry);
  let lastReport: SyncReport | undefined;
  let runs = 0;
  let failedRuns = 0;

  try {
    if (config.metricsAddr !== undefined) {
      try {
        const server = await startOpsServer({
          host: config.metricsAddr.host,
          port: config.metricsAddr.port,
          registry,
          logger,
          health: () => ({
            healthy: lastReport === undefined || succeeded(lastReport),
            runs,
            failedRuns,
            ...(lastReport ? { lastRun: summarize(lastReport) } : {}),
          }),
        });
        io.onMetricsServer?.(server);
        shutdown.add("metrics server", () => server.close());
      } catch (error) {
        // The Go worker ignored this; a worker nobody can monitor should not pretend to run.
        logger.fatal(
          { err: error, metricsAddr: config.metricsAddr },
          "cannot serve metrics (use --metrics-addr none to run without)",
        );
        return EXIT.failed;
      }
    }

    let chain: SyncChain | undefined;
    const connectChain =
      io.connect ??
      ((acct: Account | undefined) =>
        connectSyncChain({
          config,
          account: acct,
          logger,
          ...(io.pollingIntervalMs !== undefined ? { pollingIntervalMs: io.pollingIntervalMs } : {}),
        }));
    const connect = async (acct: Account | undefined): Promise<SyncChain> => {
      const connected = await connectChain(acct);
      return io.wrapChain ? io.wrapChain(connected) : connected;
    };
    const runOnce = async () => {
      const startedAt = new Date();
      let report: SyncReport;
      try {
        chain ??= await withRetries("connecting to the chain", () => connect(account), settings.options, {
          logger,
          signal: shutdown.signal,
          isPermanent,
        });
        report = chain
          ? await runSync(settings.targets, settings.options, {
              chain,
              logger,
              metrics,
              signal: shutdown.signal,
            })
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
      }
      lastReport = report;
      runs++;
      if (!succeeded(report) && !report.interrupted) failedRuns++;
      const level = succeeded(report) ? "info" : report.interrupted ? "warn" : "error";
      logger[level]({ run: runs, ...summarize(report) }, "sync run finished");
    };

    const loop = runOnSchedule(settings.schedule, runOnce, { signal: shutdown.signal, logger });
    // Shutdown's first step waits for the run in progress (and any receipt it awaits).
    shutdown.add("sync run in progress", async () => {
      await loop;
    });
    await loop;
    await shutdown.run(stopReason ?? "once mode finished");

    const interrupted = stopReason !== undefined && (lastReport === undefined || lastReport.interrupted);
    logger.info(
      {
        reason: stopReason ?? "done",
        runs,
        failedRuns,
        ...(lastReport ? { lastRun: summarize(lastReport) } : { lastRun: "no run started" }),
      },
      interrupted
        ? "avs-sync stopped before the run finished: see lastRun for what was done and what was not"
        : "avs-sync stopped",
    );
    if (interrupted && once)
      return stopReason === "SIGINT" ? EXIT.interruptedSigint : EXIT.interruptedSigterm;
    if (!once) return EXIT.ok;
    return lastReport !== undefined && succeeded(lastReport) ? EXIT.ok : EXIT.failed;
  } finally {
    io.signal?.removeEventListener("abort", onAbort);
    if (io.handleProcessSignals) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    if (!shutdown.requested) await shutdown.run("exiting");
  }
}
