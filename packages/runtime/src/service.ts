import { Command, CommanderError } from "commander";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import {
  addOptions,
  type ConfigOf,
  type OptionSpecs,
  redactConfig,
  resolveConfig,
  resolveConfigValues,
} from "./config.js";
import { ConfigError } from "./errors.js";
import type { RunningServer } from "./http.js";
import { createLogger, loggingOptions } from "./logger.js";
import { createMetricsRegistry } from "./metrics.js";
import { type HealthReport, startOpsServer } from "./ops-server.js";
import { metricsAddressOption } from "./service-options.js";
import { Shutdown } from "./shutdown.js";

/**
 * One definition per long-running service (aggregator, operator `run`, task generator,
 * challenger, avs-sync, and the services to come): its options and a `start` function. The
 * kit gives it the rest, the same way for all of them: the CLI entry (`--help` with every env
 * var, flag > env > `--config` file > default, exit 2 naming the flag on bad config), the JSON
 * logger, the metrics registry and the ops server (`/metrics`, `/health`), one "started" and one
 * "stopped" log line, SIGINT/SIGTERM through `Shutdown`, a bounded stop, and exit codes.
 */

/** Exit codes every service shares (a service may add its own, e.g. avs-sync's 130/143 in once mode). */
export const EXIT = {
  /** Stopped as asked, or finished its work. */
  ok: 0,
  /** Could not start, failed while running, or did not stop in time. */
  failed: 1,
  /** The command line or configuration is invalid. */
  usage: 2,
} as const;

/** The options the kit adds to every service: where to serve /metrics and /health, and logging. */
export function serviceKitOptions(metricsDefault: string) {
  return { metricsAddr: metricsAddressOption(metricsDefault), ...loggingOptions } as const;
}

export type ServiceKitOptions = ReturnType<typeof serviceKitOptions>;
export type ServiceSpecs<S extends OptionSpecs> = S & ServiceKitOptions;
export type ServiceConfig<S extends OptionSpecs> = ConfigOf<ServiceSpecs<S>>;
/** Raw option values keyed like the config (`{ pollInterval: "500ms" }`), as a user would write them. */
export type ServiceConfigInput<S extends OptionSpecs> = Partial<Record<keyof ServiceSpecs<S>, unknown>> & {
  readonly config?: string;
};

/** What a service's `start` receives from the kit. */
export interface ServiceContext {
  readonly logger: Logger;
  /** The registry the ops server serves; add the service's metrics to it. */
  readonly registry: Registry;
  /** Aborted as soon as a stop is asked for, start-up included: waits should end on it. */
  readonly signal: AbortSignal;
  readonly env: NodeJS.ProcessEnv;
}

/** What a service's `start` returns: a running service the kit can watch and stop. */
export interface ServiceHandle {
  /** Fields of the "<name> started" log line: addresses, ports, intervals (no secrets). */
  readonly summary?: Readonly<Record<string, unknown>>;
  /** The /health report; `healthy: false` answers 503. */
  health(): HealthReport | Promise<HealthReport>;
  /** Settles when the service ends by itself (its work is done): the exit code. */
  readonly finished?: Promise<number>;
  /**
   * Stops: takes no new work, answers what it already accepted, ends waits on the chain and
   * flushes its state. `reason` is a signal's name or a free text. May return an exit code
   * (a number; anything else means the finished code, or 0).
   */
  stop(reason: string): Promise<unknown>;
  /**
   * Asked once the stop is over, for the "<name> stopped" line (the service's last): fields
   * saying what was done and what was not, and words to put after "stopped" (e.g. "before the
   * run finished").
   */
  stopReport?(): StopReport;
}

/** What a service adds to its "<name> stopped" line. */
export interface StopReport {
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly detail?: string;
}

export interface ServiceDefinition<S extends OptionSpecs, H extends ServiceHandle, D> {
  /** The executable, e.g. "avskit-aggregator"; names the CLI in --help and in errors. */
  readonly bin: string;
  /** The logger's name, e.g. "aggregator". */
  readonly name: string;
  readonly description: string;
  /** Every option's env var is this prefix + the flag in capitals, e.g. AVSKIT_AGGREGATOR_. */
  readonly envPrefix: string;
  readonly options: S;
  /** Default of --metrics-addr (`none` serves nothing unless asked). */
  readonly metricsAddr: string;
  /** Printed after the options in --help (examples, what the exit codes mean). */
  readonly helpAfter?: string;
  /** Longest stop() may take before the process exits anyway, with code 1 (default 30 s). */
  readonly stopTimeoutMs?: number | ((config: ServiceConfig<S>) => number);
  /** Start-up errors that are the user's configuration (exit 2), beside ConfigError. */
  readonly isUsageError?: (error: unknown) => boolean;
  start(config: ServiceConfig<S>, context: ServiceContext, deps: D): Promise<H>;
}

export interface StartServiceOptions<D> {
  /** A logger instead of one made from --log-level / --log-format. */
  readonly logger?: Logger;
  /** A registry instead of a fresh one. */
  readonly registry?: Registry;
  /** Aborting stops the service (as SIGTERM would). */
  readonly signal?: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
  /** What the definition's start takes beside its config (tests swap parts in). */
  readonly deps?: D;
}

/** A service started by the kit, in this process. */
export interface RunningService<H extends ServiceHandle> {
  readonly handle: H;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Base URL of /metrics and /health, when served. */
  readonly opsUrl: string | undefined;
  /** Settles with the exit code once the service has stopped, by itself or after stop(). */
  readonly exited: Promise<number>;
  /** Stops it within the definition's bound and closes the ops server; the exit code. Idempotent. */
  stop(reason?: string): Promise<number>;
}

/** How the CLI talks to the outside: tests pass their own. */
export interface CliIo<D = unknown> {
  readonly env?: NodeJS.ProcessEnv;
  /** Help text. */
  readonly stdout?: (text: string) => void;
  /** Usage and configuration errors. */
  readonly stderr?: (text: string) => void;
  /** Where JSON log lines go (stdout by default). */
  readonly logDestination?: NodeJS.WritableStream;
  /** Install SIGINT/SIGTERM handlers (default true). */
  readonly handleSignals?: boolean;
  /** Aborting acts like SIGTERM. */
  readonly stop?: AbortSignal;
  readonly deps?: D;
}

export interface Service<S extends OptionSpecs, H extends ServiceHandle, D> {
  readonly definition: ServiceDefinition<S, H, D>;
  /** The service's options and the kit's (metrics address, logging). */
  readonly specs: ServiceSpecs<S>;
  /** A commander command with every option, `--config` and the help text; no action. */
  command(): Command;
  /** Adds the options and help text to a command made elsewhere (a subcommand such as `run`). */
  configure(command: Command): Command;
  /** Validates values given in code exactly as flags are validated (ConfigError names the flag). */
  resolveConfig(values?: ServiceConfigInput<S>, env?: NodeJS.ProcessEnv): ServiceConfig<S>;
  /** Starts the service in this process, without signal handlers. */
  start(config: ServiceConfig<S>, options?: StartServiceOptions<D>): Promise<RunningService<H>>;
  /** The whole CLI on `argv` (without node and the script); resolves with the exit code. */
  main(argv: readonly string[], io?: CliIo<D>): Promise<number>;
  /** The CLI's run step for a command that commander has already parsed (subcommands). */
  runParsed(command: Command, io?: CliIo<D>): Promise<number>;
}

const PRECEDENCE_HELP = `
Every option can also be set by its environment variable (shown in brackets) or in a JSON
file given with --config. Precedence: flag > env > config file > default.`;

const DEFAULT_EXIT_HELP = `
SIGINT/SIGTERM stop it gracefully (a second one exits at once). Exit codes: 0 stopped as asked;
1 could not start, failed, or did not stop in time; 2 invalid options.`;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<{ value: T } | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  return Promise.race([work.then((value) => ({ value })), timeout]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Builds a service from its definition; see ServiceDefinition. */
export function defineService<const S extends OptionSpecs, H extends ServiceHandle, D = undefined>(
  definition: ServiceDefinition<S, H, D>,
): Service<S, H, D> {
  const specs = { ...definition.options, ...serviceKitOptions(definition.metricsAddr) } as ServiceSpecs<S>;
  const { envPrefix } = definition;

  const configure = (command: Command): Command => {
    addOptions(command, specs, envPrefix);
    command.addHelpText("after", `${PRECEDENCE_HELP}\n${definition.helpAfter ?? DEFAULT_EXIT_HELP}`);
    return command;
  };

  const command = (): Command =>
    configure(
      new Command(definition.bin)
        .description(definition.description)
        .allowExcessArguments(false)
        .showHelpAfterError("(add --help for usage)"),
    );

  const resolve = (values: ServiceConfigInput<S> = {}, env: NodeJS.ProcessEnv = {}): ServiceConfig<S> =>
    resolveConfigValues(command(), specs, envPrefix, values, env);

  const stopTimeoutOf = (config: ServiceConfig<S>): number =>
    typeof definition.stopTimeoutMs === "function"
      ? definition.stopTimeoutMs(config)
      : (definition.stopTimeoutMs ?? 30_000);

  const start = async (
    config: ServiceConfig<S>,
    options: StartServiceOptions<D> = {},
  ): Promise<RunningService<H>> => {
    const logger =
      options.logger ??
      createLogger({ name: definition.name, level: config.logLevel, format: config.logFormat });
    const registry = options.registry ?? createMetricsRegistry();
    const stopping = new AbortController();
    const onOuterAbort = () => stopping.abort(options.signal?.reason);
    if (options.signal?.aborted) onOuterAbort();
    options.signal?.addEventListener("abort", onOuterAbort, { once: true });

    let handle: H | undefined;
    let ops: RunningServer | undefined;
    const metricsAddr = config.metricsAddr as { host: string; port: number } | undefined;
    try {
      // The ops server comes first, so /health answers (503, starting) during a long start-up.
      if (metricsAddr !== undefined) {
        ops = await startOpsServer({
          host: metricsAddr.host,
          port: metricsAddr.port,
          registry,
          logger,
          health: () => (handle ? handle.health() : { healthy: false, state: "starting" }),
        });
      }
      handle = await definition.start(
        config,
        { logger, registry, signal: stopping.signal, env: options.env ?? process.env },
        options.deps as D,
      );
    } catch (error) {
      options.signal?.removeEventListener("abort", onOuterAbort);
      await ops?.close();
      throw error;
    }
    const running = handle;
    logger.info({ ...running.summary, opsUrl: ops?.url }, `${definition.name} started`);

    let finishedCode: number | undefined;
    let stopped: Promise<number> | undefined;
    let resolveExited!: (code: number) => void;
    const exited = new Promise<number>((resolveExit) => {
      resolveExited = resolveExit;
    });
    const stop = (reason = "stop requested"): Promise<number> => {
      // Deferred a microtask so that `stopped` is set before the abort below re-enters stop().
      stopped ??= Promise.resolve().then(async () => {
        options.signal?.removeEventListener("abort", onOuterAbort);
        stopping.abort(new Error(reason));
        const timeoutMs = stopTimeoutOf(config);
        let code: number;
        let outcome: { value: unknown } | "timeout";
        try {
          outcome = await withTimeout(running.stop(reason), timeoutMs);
        } catch (error) {
          logger.error({ err: error, reason }, `${definition.name} failed while stopping`);
          outcome = { value: EXIT.failed };
        }
        if (outcome === "timeout") {
          logger.error({ reason, timeoutMs }, `${definition.name} did not stop within ${timeoutMs} ms`);
          code = EXIT.failed;
        } else {
          code = typeof outcome.value === "number" ? outcome.value : (finishedCode ?? EXIT.ok);
        }
        await ops?.close();
        let report: StopReport = {};
        try {
          report = running.stopReport?.() ?? {};
        } catch (error) {
          logger.error({ err: error }, `${definition.name} could not report what it did`);
        }
        logger.info(
          { ...report.fields, reason, exitCode: code },
          `${definition.name} stopped${report.detail ? ` ${report.detail}` : ""}`,
        );
        resolveExited(code);
        return code;
      });
      return stopped;
    };
    if (stopping.signal.aborted) void stop(messageOf(stopping.signal.reason));
    else stopping.signal.addEventListener("abort", () => void stop(messageOf(stopping.signal.reason)));
    running.finished?.then(
      (code) => {
        finishedCode = code;
        void stop("finished");
      },
      (error: unknown) => {
        logger.error({ err: error }, `${definition.name} failed`);
        finishedCode = EXIT.failed;
        void stop("failed");
      },
    );
    return { handle: running, logger, registry, opsUrl: ops?.url, exited, stop };
  };

  const runParsed = async (parsed: Command, io: CliIo<D> = {}): Promise<number> => {
    const env = io.env ?? process.env;
    const stderr = io.stderr ?? ((text: string) => process.stderr.write(text));
    let config: ServiceConfig<S>;
    try {
      config = resolveConfig(parsed, specs, envPrefix, env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      stderr(`${definition.bin}: ${error.message}\n`);
      return EXIT.usage;
    }
    const logger = createLogger({
      name: definition.name,
      level: config.logLevel,
      format: config.logFormat,
      ...(io.logDestination ? { destination: io.logDestination } : {}),
    });
    logger.debug({ config: redactConfig(specs, config) }, "configuration");

    const shutdown = new Shutdown(logger);
    const uninstall = (io.handleSignals ?? true) ? shutdown.installSignalHandlers() : () => {};
    const onStop = () => void shutdown.run("stop requested");
    if (io.stop?.aborted) onStop();
    io.stop?.addEventListener("abort", onStop, { once: true });
    try {
      let running: RunningService<H>;
      try {
        running = await start(config, {
          logger,
          signal: shutdown.signal,
          env,
          ...(io.deps !== undefined ? { deps: io.deps } : {}),
        });
      } catch (error) {
        if (shutdown.requested) {
          logger.info({ reason: shutdown.reason, err: error }, `${definition.name} stopped while starting`);
          return EXIT.ok;
        }
        const usage = error instanceof ConfigError || definition.isUsageError?.(error) === true;
        logger.fatal({ err: error }, `cannot start: ${messageOf(error)}`);
        if (usage) stderr(`${definition.bin}: ${messageOf(error)}\n`);
        return usage ? EXIT.usage : EXIT.failed;
      }
      const ended = await Promise.race([
        running.exited.then((exitCode) => ({ exitCode })),
        shutdown.whenRequested().then(() => undefined),
      ]);
      if (ended !== undefined) return ended.exitCode;
      // Awaited here, not as a Shutdown cleanup (whose "shutdown complete" line would follow):
      // the "<name> stopped" line, with what the service did, stays the process's last line. The
      // bound beyond stop's own covers the ops server's drain.
      const outcome = await withTimeout(
        running.stop(shutdown.reason ?? "stop requested"),
        stopTimeoutOf(config) + 5_000,
      );
      return outcome === "timeout" ? EXIT.failed : outcome.value;
    } finally {
      uninstall();
      io.stop?.removeEventListener("abort", onStop);
    }
  };

  const main = async (argv: readonly string[], io: CliIo<D> = {}): Promise<number> => {
    const cmd = command()
      .exitOverride()
      .configureOutput({
        writeOut: io.stdout ?? ((text) => process.stdout.write(text)),
        writeErr: io.stderr ?? ((text) => process.stderr.write(text)),
      });
    try {
      cmd.parse([...argv], { from: "user" });
    } catch (error) {
      if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      throw error;
    }
    return runParsed(cmd, io);
  };

  return { definition, specs, command, configure, resolveConfig: resolve, start, main, runParsed };
}

/**
 * The body of a service's bin script: runs the CLI on the process's arguments and exits with
 * its code. Exiting explicitly matters: idle keep-alive sockets of the JSON-RPC client would
 * otherwise hold the process open for seconds after the work is done.
 */
export function runServiceCli<S extends OptionSpecs, H extends ServiceHandle, D>(
  service: Service<S, H, D>,
): void {
  service.main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `${service.definition.bin}: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`,
      );
      process.exit(EXIT.failed);
    },
  );
}
