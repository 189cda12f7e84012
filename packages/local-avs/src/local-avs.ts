import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { stakeRegistryAbi, taskManagerAbi } from "@avskit/bindings";
import { connectChain, createLogger, type ReadClient, Shutdown } from "@avskit/runtime";
import { DashboardCollector } from "./dashboard/collector.js";
import { type DowntimeSource, httpDowntimeSource, notRunningDowntimeSource } from "./dashboard/downtime.js";
import { type DashboardServer, startDashboardServer } from "./dashboard/server.js";
import { AnvilDiedError, ServiceDiedError, ServiceStartError } from "./errors.js";
import { type LocalChain, startLocalChain } from "./local-chain.js";
import { type DevnetOperator, defaultOperatorPlan, provisionOperators } from "./operators.js";
import type { LocalAvsConfig } from "./options.js";
import { displayPath } from "./paths.js";
import { assertPortFree, freePort } from "./ports.js";
import {
  type DowntimeReplica,
  downtimeName,
  downtimeService,
  SEQUENCER_APP,
  type SequencerNode,
  SequencerWatch,
  sequencerName,
  sequencerService,
  sequencerUrl,
  writeSequencerNetwork,
} from "./sequencer.js";
import { describeExit, type ServiceProcess, type ServiceSpec, STOP_GRACE_MS } from "./service-process.js";
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
  /**
   * Called once everything is up (the downtime demo); when it settles the run stops, as after
   * Ctrl-C (a rejection is the run's failure).
   */
  readonly whenReady?: (devnet: DevnetControl) => Promise<void>;
}

/** What a script driving a running devnet may do: kill and restart an operator's processes. */
export interface DevnetControl {
  readonly operators: readonly DevnetOperator[];
  /** Each operator's downtime-log API, by operator name. */
  readonly downtimeUrls: ReadonlyMap<string, string>;
  /** SIGKILLs the operator's processes (operator, sequencer node, downtime log): no failure of the run. */
  kill(operator: string): Promise<void>;
  /** Starts them again, on their data dirs; resolves once each is healthy. */
  restart(operator: string): Promise<void>;
}

/** What a run started, for code that drives it (the tests kill and restart services through it). */
export interface LocalAvsReady {
  readonly rpcUrl: string;
  readonly chain: LocalChain;
  readonly operators: readonly DevnetOperator[];
  readonly supervisor: Supervisor;
  /** Undefined with --no-dashboard. */
  readonly dashboardUrl: string | undefined;
}

/** Ways in for code that runs the devnet in-process; `npm start` uses none of them. */
export interface LocalAvsHooks {
  /** Called once every service and the task generator run. */
  readonly onReady?: (ready: LocalAvsReady) => void;
  /** The dashboard's downtime panel source (default: "not running"; see dashboard/downtime.ts). */
  readonly downtime?: DowntimeSource;
  /** How often the dashboard reads the chain and the services (default 1 s). */
  readonly dashboardIntervalMs?: number;
}

/** Exit codes of `avskit-local`. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Longest one shutdown step may take: a service's grace period, plus a margin. */
const SHUTDOWN_STEP_MS = STOP_GRACE_MS + 5_000;

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

/** Shutdown's own warnings (a step that timed out or threw), as lines on stderr. */
function shutdownLogger(err: (line: string) => void) {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const text of String(chunk).split("\n").filter(Boolean)) {
        const line = JSON.parse(text) as { msg?: string; step?: string; err?: { message?: string } };
        err(
          `shutdown: ${line.msg}${line.step ? ` (${line.step})` : ""}${line.err?.message ? `: ${line.err.message}` : ""}`,
        );
      }
      done();
    },
  });
  return createLogger({ name: "avskit-local", level: "warn", destination: stream });
}

/**
 * One run of `npm start`: named phases, in order, each registering the cleanup of what it
 * started with one Shutdown, so that a stop at any point (Ctrl-C, `--exit-after-tasks`, a
 * failure) undoes exactly what was done, last started first stopped:
 *
 *   ports → chain (anvil + deployment) → operators (keys, stake, registration) → chain watch
 *   → services → task generator → stake drift
 *
 * so stopping takes away the stake drift and the task generator (no new task), then the
 * services while the chain is still there (a response in flight still lands), then takes a
 * last look at the chain, and stops anvil last.
 */
class LocalAvsRun {
  readonly #config: LocalAvsConfig;
  readonly #io: LocalAvsIo;
  readonly #startedAt = Date.now();
  readonly #devnetDir: string;
  readonly #logsDir: string;
  readonly #shutdown: Shutdown;
  #failure: Error | undefined;
  #stopReason: string | undefined;
  #wake: () => void = () => {};
  readonly #finished = new Promise<void>((resolveFinished) => {
    this.#wake = resolveFinished;
  });
  #chain: LocalChain | undefined;
  /** Services that, told to stop, had to be killed or exited with an error. */
  readonly #uncleanStops: string[] = [];
  #supervisor: Supervisor | undefined;
  #view: ProgressView | undefined;
  #sequencer: SequencerWatch | undefined;
  /** Every service's spec by name, to start one again (DevnetControl.restart). */
  readonly #specs = new Map<string, ServiceSpec>();
  #operators: readonly DevnetOperator[] = [];
  readonly #downtimeUrls = new Map<string, string>();
  #sequencerNodes: SequencerNode[] = [];
  readonly #hooks: LocalAvsHooks;
  #dashboard: { collector: DashboardCollector; server: DashboardServer } | undefined;

  constructor(config: LocalAvsConfig, io: LocalAvsIo, hooks: LocalAvsHooks) {
    this.#config = config;
    this.#io = io;
    this.#hooks = hooks;
    this.#devnetDir = resolve(config.devnetDir);
    this.#logsDir = join(this.#devnetDir, "logs");
    this.#shutdown = new Shutdown(shutdownLogger(io.err), SHUTDOWN_STEP_MS);
  }

  get #stopping(): boolean {
    return this.#stopReason !== undefined;
  }

  /** Ends the run (the first call wins): a stop request, or a failure. */
  #finish(reason: string, error?: Error): void {
    if (this.#stopping) return;
    this.#stopReason = reason;
    this.#failure = error;
    this.#wake();
  }

  async execute(): Promise<number> {
    const onStopSignal = () => this.#finish("stop requested (signal)");
    this.#io.stop.addEventListener("abort", onStopSignal, { once: true });
    if (this.#io.stop.aborted) onStopSignal();
    try {
      const { apiPort, dashboardPort } = await this.#checkPorts();
      if (this.#stopping) return await this.#stop();
      const chain = await this.#startChain();
      if (this.#stopping) return await this.#stop();
      const operators = await this.#provisionOperators(chain);
      if (this.#stopping) return await this.#stop();
      const client = await connectChain({ rpcUrl: chain.rpcUrl, pollingIntervalMs: 200 });
      await chain.setBlockTime(this.#config.blockTime);
      this.#io.out(
        `${label("blocks")}${this.#config.blockTime > 0 ? `a block every ${this.#config.blockTime} s from now on` : "automine: a block per transaction"}`,
      );
      const watcher = await this.#prepareChainWatch(client, chain, operators);
      await this.#startDashboard(client, chain, operators, dashboardPort);
      const endpoint: ChainEndpoint = { rpcUrl: chain.rpcUrl, deploymentsDir: chain.deploymentsDir };
      await this.#startServices(chain, endpoint, operators, apiPort);
      if (this.#stopping) return await this.#stop();
      await this.#startTaskGenerator(chain, endpoint);
      this.#startStakeDrift(client, chain, operators);
      this.#io.out(
        `${label("ready")}${this.#config.exitAfterTasks === undefined ? "Ctrl-C stops every process above, anvil included" : `stopping after ${this.#config.exitAfterTasks} responded tasks (Ctrl-C stops earlier)`}`,
      );
      this.#io.out("");
      this.#hooks.onReady?.({
        rpcUrl: chain.rpcUrl,
        chain,
        operators,
        supervisor: this.#supervisor!,
        dashboardUrl: this.#dashboard?.server.url,
      });
      // From the block before the services started: nothing they did is missed.
      watcher.start();
      if (this.#io.whenReady !== undefined) {
        this.#io.whenReady(this.#control()).then(
          () => this.#finish("the script driving the devnet finished"),
          (error: Error) => this.#finish("the script driving the devnet failed", error),
        );
      }
      await this.#finished;
      return await this.#stop();
    } catch (error) {
      this.#finish("start-up failed", error as Error);
      return await this.#stop();
    } finally {
      this.#io.stop.removeEventListener("abort", onStopSignal);
    }
  }

  /** Ports first: a clear message beats a service failing to bind halfway through. */
  async #checkPorts(): Promise<{ apiPort: number; dashboardPort: number }> {
    const { port, aggregatorPort, dashboard, dashboardPort } = this.#config;
    if (port !== 0) {
      await assertPortFree(
        port,
        "anvil's JSON-RPC",
        "another anvil or devnet is probably running; stop it, or choose another with --port <n> (0 = any free port)",
      );
    }
    if (aggregatorPort !== 0) {
      await assertPortFree(
        aggregatorPort,
        "the aggregator's API",
        "stop what listens there, or choose another with --aggregator-port <n> (0 = any free port)",
      );
    }
    if (dashboard && dashboardPort !== 0) {
      await assertPortFree(
        dashboardPort,
        "the dashboard",
        "another devnet's dashboard is probably running; choose another with --dashboard-port <n> (0 = any free port), or --no-dashboard",
      );
    }
    return {
      apiPort: aggregatorPort === 0 ? await freePort() : aggregatorPort,
      dashboardPort: dashboardPort === 0 ? await freePort() : dashboardPort,
    };
  }

  async #startChain(): Promise<LocalChain> {
    const { out } = this.#io;
    rmSync(this.#logsDir, { recursive: true, force: true });
    mkdirSync(this.#logsDir, { recursive: true, mode: 0o700 });
    out(
      `avskit local AVS: everything on 127.0.0.1; each service's JSON log is in ${displayPath(this.#logsDir)}/<service>.log`,
    );
    const anvilLog = join(this.#logsDir, "anvil.log");
    const chain = await startLocalChain({
      port: this.#config.port,
      deploymentsDir: join(this.#devnetDir, "deployments"),
      anvilLogFile: anvilLog,
      ...(this.#config.forkUrl === undefined ? {} : { forkUrl: this.#config.forkUrl }),
    });
    this.#chain = chain;
    this.#shutdown.add("anvil", () => chain.stop());
    void chain.exited.then((code) => {
      // anvil runs in its own process group, so a terminal's Ctrl-C does not reach it: if it
      // exits before we stop it, something else ended it.
      if (!this.#shutdown.requested) this.#finish("anvil exited", new AnvilDiedError(chain.anvilPid, code));
    });
    const client = await connectChain({ rpcUrl: chain.rpcUrl, pollingIntervalMs: 200 });
    const contracts = chain.deployment.contracts;
    const [responseWindowBlocks, challengeWindowBlocks] = await Promise.all([
      client.readContract({
        address: contracts.taskManager.proxy,
        abi: taskManagerAbi,
        functionName: "TASK_RESPONSE_WINDOW_BLOCK",
      }),
      client.readContract({
        address: contracts.taskManager.proxy,
        abi: taskManagerAbi,
        functionName: "TASK_CHALLENGE_WINDOW_BLOCK",
      }),
    ]);
    out(
      `${label("chain")}anvil ${chain.rpcUrl} (chain ${chain.chainId}${forkNote(this.#config.forkUrl)}, pid ${chain.anvilPid}), log ${displayPath(anvilLog)}`,
    );
    out(
      `${label("deployed")}TaskManager ${contracts.taskManager.proxy}, RegistryCoordinator ${contracts.registryCoordinator.proxy}`,
    );
    out(
      `${CONTINUATION}addresses in ${displayPath(chain.deploymentPath)}; response window ${responseWindowBlocks} blocks, challenge window ${challengeWindowBlocks} blocks`,
    );
    return chain;
  }

  async #provisionOperators(chain: LocalChain): Promise<DevnetOperator[]> {
    const keysDir = join(this.#devnetDir, "keys");
    const operators = await provisionOperators({
      chain,
      keysDir,
      plans: defaultOperatorPlan(this.#config.operators),
    });
    this.#io.out(
      `${label("operators")}${operators.length} registered, fresh keys in ${displayPath(keysDir)}`,
    );
    for (const op of operators) {
      this.#io.out(
        `${CONTINUATION}${op.name.padEnd(12)}${op.address}  quorums ${op.quorums.join(",").padEnd(4)} stake ${formatTokens(op.deposit)}  id ${op.operatorId.slice(0, 10)}…`,
      );
    }
    return operators;
  }

  /**
   * The progress view and the chain watcher behind it, from the block before the services
   * start. It is registered before them, so it is stopped after them and takes a last look at
   * the chain: a response mined during the shutdown is still counted.
   */
  async #prepareChainWatch(
    client: ReadClient,
    chain: LocalChain,
    operators: readonly DevnetOperator[],
  ): Promise<ChainWatcher> {
    const contracts = chain.deployment.contracts;
    const responseWindowBlocks = await client.readContract({
      address: contracts.taskManager.proxy,
      abi: taskManagerAbi,
      functionName: "TASK_RESPONSE_WINDOW_BLOCK",
    });
    const view = new ProgressView({
      client,
      contracts: { taskManager: contracts.taskManager.proxy, indexRegistry: contracts.indexRegistry.proxy },
      operators,
      initialStakes: await recordedStakes(client, chain, operators),
      responseWindowBlocks,
      out: this.#io.out,
      onResponded: () => {
        const wanted = this.#config.exitAfterTasks;
        const responded = view.figures().responded;
        if (wanted !== undefined && responded >= wanted) {
          this.#finish(`${plural(responded, "task")} responded (--exit-after-tasks ${wanted})`);
        }
      },
    });
    this.#view = view;
    let lastWatchError = "";
    const watcher = new ChainWatcher({
      client,
      contracts: {
        taskManager: contracts.taskManager.proxy,
        registryCoordinator: contracts.registryCoordinator.proxy,
        stakeRegistry: contracts.stakeRegistry.proxy,
      },
      afterBlock: await client.getBlockNumber({ cacheTime: 0 }),
      onBlock: (block) => view.onBlock(block),
      onEvent: async (event) => {
        // Each created task is also sequenced: the sequencer line shows it becoming final.
        if (event.kind === "task-created") this.#sequencer?.onTaskCreated(event.task);
        await this.#dashboard?.collector.onEvent(event);
        return view.onEvent(event);
      },
      onError: (error) => {
        if (error.message !== lastWatchError && !this.#stopping)
          this.#io.err(`chain watch: ${error.message}`);
        lastWatchError = error.message;
      },
    });
    this.#shutdown.add("chain watch", async () => {
      await watcher.stop();
      if (this.#failure !== undefined) return;
      // A response sent just before the stop waits in the pool for the next block: let it land
      // (a couple of blocks at most), then take the last look.
      await chain.settle(2_000 * Math.max(1, this.#config.blockTime) + 1_000).catch(() => undefined);
      await watcher.poll().catch(() => undefined);
    });
    return watcher;
  }

  /**
   * The web dashboard: one collector reading the chain and the services' APIs, and a read-only
   * server on 127.0.0.1. Started before the services, so the page shows them coming up; stopped
   * before the chain watch (registered after it).
   */
  async #startDashboard(
    client: ReadClient,
    chain: LocalChain,
    operators: readonly DevnetOperator[],
    port: number,
  ): Promise<void> {
    if (!this.#config.dashboard || this.#view === undefined) return;
    const contracts = chain.deployment.contracts;
    const collector = new DashboardCollector({
      client,
      chainId: chain.chainId,
      rpcUrl: chain.rpcUrl,
      contracts: {
        taskManager: contracts.taskManager.proxy,
        registryCoordinator: contracts.registryCoordinator.proxy,
        stakeRegistry: contracts.stakeRegistry.proxy,
      },
      view: this.#view,
      operators,
      services: () =>
        (this.#supervisor?.list() ?? []).map((service) => ({
          name: service.name,
          healthUrl: service.spec.healthUrl,
          metricsUrl: service.spec.metricsUrl,
        })),
      sequencerNodes: () =>
        this.#sequencerNodes.map((node) => ({
          name: node.operator.name,
          id: node.operator.operatorId,
          url: sequencerUrl(node.port),
        })),
      sequencerApps: [SEQUENCER_APP],
      downtime: this.#downtimeSource(operators),
      intervalMs: this.#hooks.dashboardIntervalMs,
      onError: (part, error) => {
        if (!this.#stopping)
          this.#io.err(`dashboard: reading ${part} failed: ${error.message.split("\n")[0]}`);
      },
    });
    const server = await startDashboardServer({ source: collector, port });
    this.#dashboard = { collector, server };
    this.#shutdown.add("dashboard", async () => {
      await server.close();
      await collector.stop();
    });
    collector.start();
    this.#io.out(`${label("dashboard")}${server.url}  (live view in a browser; --no-dashboard turns it off)`);
  }

  #downtimeSource(operators: readonly DevnetOperator[]): DowntimeSource {
    if (this.#hooks.downtime) return this.#hooks.downtime;
    const names = new Map(operators.map((op) => [op.operatorId.toLowerCase(), op.name]));
    const url = this.#config.downtimeLogUrl;
    if (url !== undefined) return httpDowntimeSource({ url, names });
    if (!this.#config.sequencer)
      return notRunningDowntimeSource("the devnet runs no downtime logs (--no-sequencer)");
    // The devnet's own replicas (started after the dashboard): the first one that answers, so a
    // killed operator's replica does not blank the panel. Every replica answers the same at one index.
    const waiting = notRunningDowntimeSource("the downtime logs are starting");
    return {
      read: async (signal) => {
        let last = await waiting.read(signal);
        for (const replica of this.#downtimeUrls.values()) {
          last = await httpDowntimeSource({ url: replica, names }).read(signal);
          if (last.state !== "unreachable") return last;
        }
        return last;
      },
    };
  }

  #show(service: ServiceProcess): void {
    this.#io.out(
      `${CONTINUATION}${service.name.padEnd(16)}pid ${String(service.pid).padEnd(8)}${service.spec.summary}`,
    );
  }

  async #startAll(specs: readonly ServiceSpec[]): Promise<void> {
    const supervisor = this.#supervisor!;
    for (const spec of specs) this.#specs.set(spec.name, spec);
    const services = specs.map((spec) => supervisor.start(spec));
    await Promise.all(services.map((service) => service.waitHealthy(undefined, this.#io.stop)));
    if (this.#stopping) return;
    for (const service of services) this.#show(service);
  }

  /** Everything but the task generator at once (operators retry until the aggregator answers). */
  async #startServices(
    chain: LocalChain,
    endpoint: ChainEndpoint,
    operators: readonly DevnetOperator[],
    apiPort: number,
  ): Promise<void> {
    const supervisor = new Supervisor({
      logsDir: this.#logsDir,
      onUnexpectedExit: (service, exit) =>
        this.#finish(
          `${service.name} died`,
          new ServiceDiedError(service.name, service.pid, exit.code, exit.signal, describeExit(exit)),
        ),
    });
    this.#supervisor = supervisor;
    this.#shutdown.add("services", async () => {
      const exits = await supervisor.stopAll();
      for (const [name, exit] of exits) {
        const died = this.#failure instanceof ServiceDiedError && this.#failure.service === name;
        if (died) continue;
        if (exit.forced || exit.signal !== null || exit.code !== 0) {
          // Asked to stop, it did not stop cleanly: said, and the run does not end with 0.
          this.#uncleanStops.push(name);
          this.#io.err(`${name} ${describeExit(exit, STOP_GRACE_MS)}`);
        }
      }
    });
    this.#io.out(
      `${label("services")}each its own process, its log in ${displayPath(this.#logsDir)}/<name>.log`,
    );
    const logLevel = this.#config.serviceLogLevel;
    const keysDir = join(this.#devnetDir, "keys");
    const operatorSpecs: ServiceSpec[] = [];
    for (const op of operators) {
      operatorSpecs.push(
        operatorService({
          chain: endpoint,
          name: op.name,
          blsKeyPath: op.blsKeyPath,
          ecdsaKeyPath: op.ecdsaKeyPath,
          keysDir,
          password: op.password,
          aggregatorUrl: aggregatorUrl(apiPort),
          metricsPort: await freePort(),
          logLevel,
        }),
      );
    }
    const { sequencerSpecs, downtimeSpecs } = this.#config.sequencer
      ? await this.#sequencerSpecs(operators, logLevel)
      : { sequencerSpecs: [], downtimeSpecs: [] };
    this.#operators = operators;
    await this.#startAll([
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
        syncIntervalMs: this.#config.syncInterval,
        metricsPort: await freePort(),
        logLevel,
      }),
      ...sequencerSpecs,
    ]);
    if (this.#stopping) return;
    // After the nodes are up: a downtime log started beside a node still starting would report it down.
    await this.#startAll(downtimeSpecs);
    if (this.#stopping) return;
    // Registered after the services: stopped before the nodes it reads.
    this.#shutdown.add("sequencer watch", () => this.#sequencer?.stop());
    this.#sequencer?.start();
  }

  /**
   * One sequencer node per operator, with the operator's own keys, its data on a fresh disk, and
   * one static network file naming them all.
   */
  async #sequencerSpecs(
    operators: readonly DevnetOperator[],
    logLevel: string | undefined,
  ): Promise<{ sequencerSpecs: ServiceSpec[]; downtimeSpecs: ServiceSpec[] }> {
    const dir = join(this.#devnetDir, "sequencer");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const nodes: SequencerNode[] = [];
    for (const operator of operators) {
      nodes.push({
        operator,
        port: await freePort(),
        metricsPort: await freePort(),
        dataDir: join(dir, operator.name),
      });
    }
    this.#sequencerNodes = nodes;
    const networkFile = join(dir, "network.json");
    const network = writeSequencerNetwork(networkFile, nodes);
    this.#sequencer = new SequencerWatch({ network, nodes, out: this.#io.out, err: this.#io.err });
    const replicas: DowntimeReplica[] = [];
    for (const node of nodes) {
      const replica = {
        node,
        port: await freePort(),
        metricsPort: await freePort(),
        dataDir: join(dir, `${node.operator.name}-downtime`),
      };
      replicas.push(replica);
      this.#downtimeUrls.set(node.operator.name, sequencerUrl(replica.port));
    }
    return {
      sequencerSpecs: nodes.map((node) => sequencerService({ node, networkFile, logLevel })),
      downtimeSpecs: replicas.map((replica) =>
        downtimeService({
          replica,
          all: replicas,
          networkFile,
          ...(logLevel !== undefined ? { logLevel } : {}),
        }),
      ),
    };
  }

  /** The processes of one operator: its operator service, sequencer node and downtime log. */
  #processesOf(name: string): string[] {
    const operator = this.#operators.find((o) => o.name === name);
    if (operator === undefined) throw new Error(`no operator named ${name}`);
    return [operator.name, sequencerName(operator), downtimeName(operator)].filter((n) => this.#specs.has(n));
  }

  #control(): DevnetControl {
    const supervisor = this.#supervisor!;
    return {
      operators: this.#operators,
      downtimeUrls: this.#downtimeUrls,
      kill: async (name) => {
        await Promise.all(this.#processesOf(name).map((service) => supervisor.kill(service)));
      },
      restart: async (name) => {
        const services = this.#processesOf(name).map((service) =>
          supervisor.start(this.#specs.get(service)!),
        );
        await Promise.all(services.map((service) => service.waitHealthy(undefined, this.#io.stop)));
      },
    };
  }

  /** Tasks start once every other service is healthy; stopped first, so no task is created while the rest goes down. */
  async #startTaskGenerator(chain: LocalChain, endpoint: ChainEndpoint): Promise<void> {
    const supervisor = this.#supervisor!;
    this.#shutdown.add("task generator", async () => {
      if (supervisor.get("task-generator")) await supervisor.stop("task-generator");
    });
    await this.#startAll([
      taskGeneratorService({
        chain: endpoint,
        privateKey: chain.roles.taskGenerator.privateKey,
        intervalMs: this.#config.taskInterval,
        thresholdPercentage: this.#config.thresholdPercentage,
        metricsPort: await freePort(),
        logLevel: this.#config.serviceLogLevel,
      }),
    ]);
  }

  #startStakeDrift(client: ReadClient, chain: LocalChain, operators: readonly DevnetOperator[]): void {
    const drift = new StakeDrift({
      client,
      chain,
      operators,
      intervalMs: this.#config.driftInterval,
      out: this.#io.out,
      onError: (error) => this.#io.err(`stake drift: ${error.message}`),
    });
    this.#shutdown.add("stake drift", () => drift.stop());
    drift.start();
  }

  async #stop(): Promise<number> {
    const { out, err } = this.#io;
    const failure = this.#failure;
    if (failure) {
      err(`✗ ${failure.message}`);
      const service =
        failure instanceof ServiceDiedError || failure instanceof ServiceStartError
          ? failure.service
          : undefined;
      const file = service === undefined ? undefined : this.#supervisor?.get(service)?.logFile;
      if (file) {
        err(`  last lines of ${displayPath(file)}:`);
        for (const line of tailOf(file, 8)) err(`    ${line}`);
      }
    }
    // Nothing was started (a port is taken, say): nothing to stop or summarise.
    if (this.#chain === undefined) {
      await this.#shutdown.run(this.#stopReason ?? "start-up failed");
      return failure ? EXIT.failed : EXIT.ok;
    }
    out(`${label("stopping")}${failure ? `because ${this.#stopReason}` : this.#stopReason}`);
    const outcome = await this.#shutdown.run(this.#stopReason ?? "stopped");
    out(`${label("stopped")}every service and anvil`);
    if (this.#view) this.#printSummary(this.#view);
    return failure || outcome.timedOut.length > 0 || this.#uncleanStops.length > 0 ? EXIT.failed : EXIT.ok;
  }

  #printSummary(view: ProgressView): void {
    const { out } = this.#io;
    const f = view.figures();
    const summary: RunSummary = {
      tasks_created: f.created,
      tasks_responded: f.responded,
      tasks_correct: f.correct,
      tasks_wrong: f.wrong,
      tasks_expired: f.expired,
      tasks_open: f.open.length,
      challenges_successful: f.challengesSuccessful,
      challenges_failed: f.challengesFailed,
      avs_sync_updates: f.stakeSyncs,
      median_latency_ms: f.medianLatencyMs === undefined ? null : Math.round(f.medianLatencyMs),
      max_latency_ms: f.latenciesMs.length === 0 ? null : Math.max(...f.latenciesMs),
      median_latency_blocks: f.medianLatencyBlocks ?? null,
      operators: this.#config.operators,
      block_time_s: this.#config.blockTime,
      runtime_s: Math.round((Date.now() - this.#startedAt) / 100) / 10,
      sequencer_batches_sent: this.#sequencer?.sent ?? 0,
      sequencer_finalized: this.#sequencer?.finalized ?? null,
    };
    out(
      `${label("summary")}${plural(f.created, "task")} created, ${f.responded} responded (${f.correct} correct, ${f.wrong} wrong), ${f.expired} expired; ` +
        `${plural(f.challengesSuccessful + f.challengesFailed, "challenge")}; ${plural(f.stakeSyncs, "avs-sync quorum update")}`,
    );
    if (f.open.length > 0) {
      // Created, neither responded nor expired by the last look at the chain: said, not lost.
      out(`${CONTINUATION}still open when stopped: ${f.open.map((index) => `task ${index}`).join(", ")}`);
    }
    if (f.medianLatencyMs !== undefined) {
      out(
        `${CONTINUATION}latency from task to response: median ${formatSeconds(f.medianLatencyMs)} / ${formatBlocks(f.medianLatencyBlocks ?? 0)}, max ${formatSeconds(Math.max(...f.latenciesMs))}`,
      );
    }
    out(`${CONTINUATION}logs in ${displayPath(this.#logsDir)}`);
    out(JSON.stringify(summary));
  }
}

/**
 * `npm start`: the whole AVS on a local chain until Ctrl-C (or `--exit-after-tasks`). Returns
 * the exit code: 0 after a requested stop, 1 when something failed (a service died, set-up
 * failed, a shutdown step timed out).
 */
export function runLocalAvs(
  config: LocalAvsConfig,
  io: LocalAvsIo,
  hooks: LocalAvsHooks = {},
): Promise<number> {
  return new LocalAvsRun(config, io, hooks).execute();
}

/** ", forking <host>": the host only, since an RPC URL's path or query often holds an API key. */
function forkNote(forkUrl: string | undefined): string {
  return forkUrl === undefined ? "" : `, forking ${new URL(forkUrl).host}`;
}
