import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { taskManagerAbi } from "@avskit/bindings";
import { waitFor } from "@avskit/integration";
import { connectChain, type ReadClient } from "@avskit/runtime";
import {
  aggregatorService,
  aggregatorUrl,
  type ChainEndpoint,
  type ChainEvent,
  ChainWatcher,
  challengerService,
  type DevnetOperator,
  freePort,
  type LocalChain,
  type OperatorPlan,
  operatorService,
  ProgressView,
  provisionOperators,
  type ServiceProcess,
  Supervisor,
  startLocalChain,
  taskGeneratorService,
} from "../../src/index.js";

/** A whole devnet for one test file: real anvil, real contracts, every service a real process. */
export interface StartedDevnet {
  readonly dir: string;
  readonly chain: LocalChain;
  readonly client: ReadClient;
  readonly operators: readonly DevnetOperator[];
  readonly supervisor: Supervisor;
  /** Every chain event since the services could start, in chain order. */
  readonly events: ChainEvent[];
  /** What the progress view printed. */
  readonly lines: string[];
  readonly view: ProgressView;
  /** Services that exited without being told to. */
  readonly deaths: string[];
  readonly responseWindowBlocks: number;
  readonly aggregatorMetricsUrl: string;
  /** Base URL of the aggregator's HTTP API (the operators' --aggregator-url). */
  readonly aggregatorUrl: string;
  operator(name: string): DevnetOperator;
  operatorMetricsUrl(name: string): string;
  startAggregator(extraArgs?: readonly string[]): Promise<ServiceProcess>;
  startOperator(name: string, extraArgs?: readonly string[]): Promise<ServiceProcess>;
  startChallenger(): Promise<ServiceProcess>;
  /** A task generator that posts `count` tasks and exits. */
  runTaskGenerator(options: {
    count: number;
    thresholdPercentage: number;
    intervalMs?: number;
  }): Promise<ServiceProcess>;
  waitForEvent<K extends ChainEvent["kind"]>(
    kind: K,
    match: (event: Extract<ChainEvent, { kind: K }>) => boolean,
    timeoutMs?: number,
  ): Promise<Extract<ChainEvent, { kind: K }>>;
  stop(): Promise<void>;
}

export async function startTestDevnet(options: {
  plans: readonly OperatorPlan[];
  blockTime?: number;
}): Promise<StartedDevnet> {
  const dir = mkdtempSync(join(tmpdir(), "avskit-local-test-"));
  const logsDir = join(dir, "logs");
  mkdirSync(logsDir);
  const deploymentsDir = join(dir, "deployments");
  const keysDir = join(dir, "keys");
  const chain = await startLocalChain({ port: 0, deploymentsDir, anvilLogFile: join(logsDir, "anvil.log") });
  try {
    const client = await connectChain({ rpcUrl: chain.rpcUrl, pollingIntervalMs: 100 });
    const operators = await provisionOperators({ chain, keysDir, plans: options.plans });
    await chain.setBlockTime(options.blockTime ?? 1);
    const contracts = chain.deployment.contracts;
    const responseWindowBlocks = await client.readContract({
      address: contracts.taskManager.proxy,
      abi: taskManagerAbi,
      functionName: "TASK_RESPONSE_WINDOW_BLOCK",
    });
    const deaths: string[] = [];
    const supervisor = new Supervisor({
      logsDir,
      onUnexpectedExit: (service, exit) =>
        deaths.push(`${service.name} (pid ${service.pid}) ${exit.signal ?? `code ${exit.code}`}`),
    });
    const events: ChainEvent[] = [];
    const lines: string[] = [];
    const view = new ProgressView({
      client,
      contracts: { taskManager: contracts.taskManager.proxy, indexRegistry: contracts.indexRegistry.proxy },
      operators,
      responseWindowBlocks,
      out: (line) => lines.push(line),
    });
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
        events.push(event);
        await view.onEvent(event);
      },
    });
    watcher.start();

    const endpoint: ChainEndpoint = { rpcUrl: chain.rpcUrl, deploymentsDir };
    const apiPort = await freePort();
    const aggregatorMetricsPort = await freePort();
    const operatorPorts = new Map<string, number>();
    for (const op of operators) operatorPorts.set(op.name, await freePort());
    const operatorNamed = (name: string) => {
      const found = operators.find((op) => op.name === name);
      if (found === undefined) throw new Error(`no operator ${name}`);
      return found;
    };
    const started = async (service: ServiceProcess) => {
      await service.waitHealthy();
      return service;
    };

    return {
      dir,
      chain,
      client,
      operators,
      supervisor,
      events,
      lines,
      view,
      deaths,
      responseWindowBlocks,
      aggregatorMetricsUrl: `http://127.0.0.1:${aggregatorMetricsPort}/metrics`,
      aggregatorUrl: aggregatorUrl(apiPort),
      operator: operatorNamed,
      operatorMetricsUrl: (name) => `http://127.0.0.1:${operatorPorts.get(name)}/metrics`,
      startAggregator: (extraArgs = []) =>
        started(
          supervisor.start(
            aggregatorService({
              chain: endpoint,
              privateKey: chain.roles.aggregator.privateKey,
              port: apiPort,
              metricsPort: aggregatorMetricsPort,
              extraArgs,
            }),
          ),
        ),
      startOperator: (name, extraArgs = []) => {
        const op = operatorNamed(name);
        return started(
          supervisor.start(
            operatorService({
              chain: endpoint,
              name,
              blsKeyPath: op.blsKeyPath,
              ecdsaKeyPath: op.ecdsaKeyPath,
              keysDir,
              password: op.password,
              aggregatorUrl: aggregatorUrl(apiPort),
              metricsPort: operatorPorts.get(name)!,
              extraArgs,
            }),
          ),
        );
      },
      startChallenger: async () =>
        started(
          supervisor.start(
            challengerService({
              chain: endpoint,
              privateKey: chain.roles.challenger.privateKey,
              metricsPort: await freePort(),
            }),
          ),
        ),
      runTaskGenerator: async ({ count, thresholdPercentage, intervalMs }) =>
        supervisor.start(
          taskGeneratorService({
            chain: endpoint,
            privateKey: chain.roles.taskGenerator.privateKey,
            intervalMs: intervalMs ?? 2_000,
            thresholdPercentage,
            maxTasks: count,
            metricsPort: await freePort(),
          }),
          { mayExit: true },
        ),
      waitForEvent: (kind, match, timeoutMs = 60_000) =>
        waitFor(
          `a ${kind} event`,
          () =>
            events.find(
              (event): event is Extract<ChainEvent, { kind: typeof kind }> =>
                event.kind === kind && match(event as Extract<ChainEvent, { kind: typeof kind }>),
            ),
          timeoutMs,
        ),
      async stop() {
        await supervisor.stopAll(["task-generator"]);
        await watcher.stop();
        await chain.stop();
        // AVSKIT_KEEP_TEST_LOGS=1 keeps every service's log for a post-mortem.
        if (process.env.AVSKIT_KEEP_TEST_LOGS) console.log(`devnet logs kept in ${logsDir}`);
        else rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
