import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { stakeRegistryAbi, taskManagerAbi } from "@avskit/bindings";
import { connectChain, type ReadClient } from "@avskit/runtime";
import { LocalAvsError, ServiceDiedError } from "./errors.js";
import { type LocalChain, startLocalChain } from "./local-chain.js";
import { type DevnetOperator, defaultOperatorPlan, provisionOperators } from "./operators.js";
import type { LocalAvsConfig } from "./options.js";
import { displayPath } from "./paths.js";
import { assertPortFree, freePort } from "./ports.js";
import type { ServiceProcess, ServiceSpec } from "./service-process.js";
import {
  aggregatorService,
  aggregatorUrl,
  avsSyncService,
  type ChainEndpoint,
  challengerService,
  operatorService,
  taskGeneratorService,
} from "./services.js";
import { StakeDrift } from "./stake-drift.js";
import { Supervisor } from "./supervisor.js";
import { ChainWatcher } from "./watch/chain-watcher.js";
import { CONTINUATION, formatBlocks, formatSeconds, formatTokens, label, plural } from "./watch/format.js";
import { ProgressView, stakeKey } from "./watch/progress.js";
import type { RunSummary } from "./watch/stats.js";

export interface LocalAvsIo {
  /** The progress view (stdout). */
  readonly out: (line: string) => void;
  /** Problems (stderr). */
  readonly err: (line: string) => void;
  /** Aborted on Ctrl-C / SIGTERM: everything is stopped and the run ends with exit code 0. */
  readonly stop: AbortSignal;
}

/** Exit codes of `avskit-local`. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The task generator goes first, so no task is created while the rest shuts down. */
const STOP_FIRST = ["task-generator"];

function tailOf(file: string, lines: number): string[] {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines);
  } catch {
    return [];
  }
}

async function recordedStakes(
  client: ReadClient,
  chain: LocalChain,
  operators: readonly DevnetOperator[],
): Promise<Map<string, bigint>> {
  const stakes = new Map<string, bigint>();
  for (const operator of operators) {
    for (const quorum of operator.quorums) {
      const stake = await client.readContract({
        address: chain.deployment.contracts.stakeRegistry.proxy,
        abi: stakeRegistryAbi,
        functionName: "getCurrentStake",
        args: [operator.operatorId, quorum],
      });
      stakes.set(stakeKey(operator.operatorId, quorum), stake);
    }
  }
  return stakes;
}

/**
 * `npm start`: the whole AVS on a local chain until Ctrl-C (or `--exit-after-tasks`). Returns
 * the exit code: 0 after a requested stop, 1 when something failed (a service died, set-up
 * failed).
 */
export async function runLocalAvs(config: LocalAvsConfig, io: LocalAvsIo): Promise<number> {
  const startedAt = Date.now();
  const devnetDir = resolve(config.devnetDir);
  const keysDir = join(devnetDir, "keys");
  const logsDir = join(devnetDir, "logs");
  const deploymentsDir = join(devnetDir, "deployments");
  const out = io.out;

  let failure: Error | undefined;
  let stopReason: string | undefined;
  let wake: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const finish = (reason: string, error?: Error) => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    failure = error;
    wake();
  };
  const onStopSignal = () => finish("stop requested (signal)");
  io.stop.addEventListener("abort", onStopSignal, { once: true });
  if (io.stop.aborted) onStopSignal();

  let chain: LocalChain | undefined;
  let supervisor: Supervisor | undefined;
  let watcher: ChainWatcher | undefined;
  let drift: StakeDrift | undefined;
  let view: ProgressView | undefined;

  try {
    // Ports first: a clear message beats a service failing to bind halfway through.
    if (config.port !== 0) {
      await assertPortFree(
        config.port,
        "anvil's JSON-RPC",
        "another anvil or devnet is probably running; stop it, or choose another with --port <n> (0 = any free port)",
      );
    }
    if (config.aggregatorPort !== 0) {
      await assertPortFree(
        config.aggregatorPort,
        "the aggregator's API",
        "stop what listens there, or choose another with --aggregator-port <n> (0 = any free port)",
      );
    }
    const apiPort = config.aggregatorPort === 0 ? await freePort() : config.aggregatorPort;

    rmSync(logsDir, { recursive: true, force: true });
    mkdirSync(logsDir, { recursive: true, mode: 0o700 });
    out(
      `avskit local AVS: everything on 127.0.0.1; each service's JSON log is in ${displayPath(logsDir)}/<service>.log`,
    );

    chain = await startLocalChain({
      port: config.port,
      deploymentsDir,
      anvilLogFile: join(logsDir, "anvil.log"),
    });
    const runningChain = chain;
    void chain.exited.then(async (code) => {
      // Ctrl-C in a terminal reaches anvil too: give our own signal handler a moment first.
      await new Promise((r) => setTimeout(r, 300));
      finish(
        "anvil exited",
        new LocalAvsError(
          "ANVIL_DIED",
          `anvil (pid ${runningChain.anvilPid}) exited with code ${code} unexpectedly`,
        ),
      );
    });
    const client = await connectChain({ rpcUrl: chain.rpcUrl, pollingIntervalMs: 200 });
    const contracts = chain.deployment.contracts;
    const responseWindowBlocks = await client.readContract({
      address: contracts.taskManager.proxy,
      abi: taskManagerAbi,
      functionName: "TASK_RESPONSE_WINDOW_BLOCK",
    });
    const challengeWindowBlocks = await client.readContract({
      address: contracts.taskManager.proxy,
      abi: taskManagerAbi,
      functionName: "TASK_CHALLENGE_WINDOW_BLOCK",
    });
    out(
      `${label("chain")}anvil ${chain.rpcUrl} (chain ${chain.chainId}, pid ${chain.anvilPid}), log ${displayPath(join(logsDir, "anvil.log"))}`,
    );
    out(
      `${label("deployed")}TaskManager ${contracts.taskManager.proxy}, RegistryCoordinator ${contracts.registryCoordinator.proxy}`,
    );
    out(
      `${CONTINUATION}addresses in ${displayPath(chain.deploymentPath)}; response window ${responseWindowBlocks} blocks, challenge window ${challengeWindowBlocks} blocks`,
    );
    if (stopReason !== undefined) return await shutdown();

    const operators = await provisionOperators({
      chain,
      keysDir,
      plans: defaultOperatorPlan(config.operators),
    });
    out(`${label("operators")}${operators.length} registered, fresh keys in ${displayPath(keysDir)}`);
    for (const op of operators) {
      out(
        `${CONTINUATION}${op.name.padEnd(12)}${op.address}  quorums ${op.quorums.join(",").padEnd(4)} stake ${formatTokens(op.deposit)}  id ${op.operatorId.slice(0, 10)}…`,
      );
    }
    if (stopReason !== undefined) return await shutdown();

    await chain.setBlockTime(config.blockTime);
    out(
      `${label("blocks")}${config.blockTime > 0 ? `a block every ${config.blockTime} s from now on` : "automine: a block per transaction"}`,
    );

    const endpoint: ChainEndpoint = { rpcUrl: chain.rpcUrl, deploymentsDir };
    const logLevel = config.serviceLogLevel;
    const afterBlock = await client.getBlockNumber({ cacheTime: 0 });
    const activeSupervisor = new Supervisor({
      logsDir,
      onUnexpectedExit: (service, exit) =>
        finish(
          `${service.name} died`,
          new ServiceDiedError(service.name, service.pid, exit.code, exit.signal),
        ),
    });
    supervisor = activeSupervisor;
    out(`${label("services")}each its own process, its log in ${displayPath(logsDir)}/<name>.log`);
    const show = (service: ServiceProcess) =>
      out(
        `${CONTINUATION}${service.name.padEnd(16)}pid ${String(service.pid).padEnd(8)}${service.spec.summary}`,
      );
    const startAll = async (specs: readonly ServiceSpec[]) => {
      const services = specs.map((spec) => activeSupervisor.start(spec));
      await Promise.all(services.map((service) => service.waitHealthy()));
      for (const service of services) show(service);
    };

    // Everything but the task generator at once (operators retry until the aggregator
    // answers); tasks start once all of them are healthy.
    const operatorSpecs: ServiceSpec[] = [];
    for (const op of operators) {
      operatorSpecs.push(
        operatorService({
          chain: endpoint,
          name: op.name,
          blsKeyPath: op.blsKeyPath,
          keysDir,
          password: op.password,
          aggregatorUrl: aggregatorUrl(apiPort),
          metricsPort: await freePort(),
          logLevel,
        }),
      );
    }
    await startAll([
      aggregatorService({
        chain: endpoint,
        privateKey: chain.roles.aggregator.privateKey,
        port: apiPort,
        metricsPort: await freePort(),
        logLevel,
      }),
      ...operatorSpecs,
      challengerService({
        chain: endpoint,
        privateKey: chain.roles.challenger.privateKey,
        metricsPort: await freePort(),
        logLevel,
      }),
      avsSyncService({
        chain: endpoint,
        privateKey: chain.roles.avsSync.privateKey,
        syncIntervalMs: config.syncInterval,
        metricsPort: await freePort(),
        logLevel,
      }),
    ]);

    view = new ProgressView({
      client,
      contracts: { taskManager: contracts.taskManager.proxy, indexRegistry: contracts.indexRegistry.proxy },
      operators,
      initialStakes: await recordedStakes(client, chain, operators),
      responseWindowBlocks,
      out,
      onResponded: () => {
        const responded = view?.figures().responded ?? 0;
        if (config.exitAfterTasks !== undefined && responded >= config.exitAfterTasks) {
          finish(`${responded} tasks responded (--exit-after-tasks ${config.exitAfterTasks})`);
        }
      },
    });
    const activeView = view;
    let lastWatchError = "";
    watcher = new ChainWatcher({
      client,
      contracts: {
        taskManager: contracts.taskManager.proxy,
        registryCoordinator: contracts.registryCoordinator.proxy,
        stakeRegistry: contracts.stakeRegistry.proxy,
      },
      afterBlock,
      onBlock: (block) => activeView.onBlock(block),
      onEvent: (event) => activeView.onEvent(event),
      onError: (error) => {
        if (error.message !== lastWatchError && stopReason === undefined)
          io.err(`chain watch: ${error.message}`);
        lastWatchError = error.message;
      },
    });
    await startAll([
      taskGeneratorService({
        chain: endpoint,
        privateKey: chain.roles.taskGenerator.privateKey,
        intervalMs: config.taskInterval,
        thresholdPercentage: config.thresholdPercentage,
        metricsPort: await freePort(),
        logLevel,
      }),
    ]);
    drift = new StakeDrift({
      client,
      chain,
      operators,
      intervalMs: config.driftInterval,
      out,
      onError: (error) => io.err(`stake drift: ${error.message}`),
    });
    drift.start();
    out(
      `${label("ready")}${config.exitAfterTasks === undefined ? "Ctrl-C stops every process above, anvil included" : `stopping after ${config.exitAfterTasks} responded tasks (Ctrl-C stops earlier)`}`,
    );
    out("");
    // From the block before the services started: nothing they did is missed.
    watcher.start();

    await finished;
    return await shutdown();
  } catch (error) {
    finish("start-up failed", error as Error);
    return await shutdown();
  } finally {
    io.stop.removeEventListener("abort", onStopSignal);
  }

  async function shutdown(): Promise<number> {
    if (failure) {
      io.err(`✗ ${failure.message}`);
      const service = (failure as { service?: unknown }).service;
      const file = typeof service === "string" ? supervisor?.get(service)?.logFile : undefined;
      if (file) {
        io.err(`  last lines of ${displayPath(file)}:`);
        for (const line of tailOf(file, 8)) io.err(`    ${line}`);
      }
    }
    // Nothing was started (e.g. a port is taken): nothing to stop or summarise.
    if (chain === undefined) return failure ? EXIT.failed : EXIT.ok;
    out(`${label("stopping")}${failure ? `because ${stopReason}` : stopReason}`);
    await drift?.stop();
    if (supervisor) {
      const exits = await supervisor.stopAll(STOP_FIRST);
      const unclean = [...exits].filter(([, exit]) => exit.signal === "SIGKILL");
      for (const [name] of unclean) io.err(`${name} did not stop in time and was killed`);
    }
    // One last look, so a response mined during the shutdown is counted.
    if (watcher) {
      await watcher.stop();
      if (!failure) await watcher.poll().catch(() => undefined);
    }
    await chain.stop();
    out(`${label("stopped")}every service and anvil`);
    if (view) printSummary(view);
    return failure ? EXIT.failed : EXIT.ok;
  }

  function printSummary(progress: ProgressView): void {
    const f = progress.figures();
    const summary: RunSummary = {
      tasks_created: f.created,
      tasks_responded: f.responded,
      tasks_correct: f.correct,
      tasks_wrong: f.wrong,
      tasks_expired: f.expired,
      challenges_successful: f.challengesSuccessful,
      challenges_failed: f.challengesFailed,
      avs_sync_updates: f.stakeSyncs,
      median_latency_ms: f.medianLatencyMs === undefined ? null : Math.round(f.medianLatencyMs),
      max_latency_ms: f.latenciesMs.length === 0 ? null : Math.max(...f.latenciesMs),
      median_latency_blocks: f.medianLatencyBlocks ?? null,
      operators: config.operators,
      block_time_s: config.blockTime,
      runtime_s: Math.round((Date.now() - startedAt) / 100) / 10,
    };
    out(
      `${label("summary")}${plural(f.created, "task")} created, ${f.responded} responded (${f.correct} correct, ${f.wrong} wrong), ${f.expired} expired; ` +
        `${plural(f.challengesSuccessful + f.challengesFailed, "challenge")}; ${plural(f.stakeSyncs, "avs-sync quorum update")}`,
    );
    if (f.medianLatencyMs !== undefined) {
      out(
        `${CONTINUATION}latency from task to response: median ${formatSeconds(f.medianLatencyMs)} / ${formatBlocks(f.medianLatencyBlocks ?? 0)}, max ${formatSeconds(Math.max(...f.latenciesMs))}`,
      );
    }
    out(`${CONTINUATION}logs in ${displayPath(logsDir)}`);
    out(JSON.stringify(summary));
  }
}
