import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { iTaskManagerAbi } from "@avskit/bindings";
import { type RunningChain, startChain } from "@avskit/devnet";
import { RpcUnreachableError } from "@avskit/runtime";
import { type Address, createPublicClient, http, type PublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  resolveTaskGeneratorConfig,
  startTaskGenerator,
  type TaskGenerator,
  type TaskGeneratorConfigInput,
  TaskManagerNotDeployedError,
  UnknownQuorumError,
} from "../src/index.js";
import { captureLogs, waitFor } from "./support/logs.js";
import { runCli } from "./support/process.js";
import { rpc } from "./support/rpc.js";
import { TcpProxy } from "@avskit/integration";

let chain: RunningChain;
let deploymentsDir: string;
let client: PublicClient;
let taskManager: Address;
const running: TaskGenerator[] = [];

function config(overrides: TaskGeneratorConfigInput = {}) {
  return resolveTaskGeneratorConfig({
    rpcUrl: chain.rpcUrl,
    deploymentsDir,
    ecdsaPrivateKey: chain.roles.taskGenerator.privateKey,
    metricsAddr: "127.0.0.1:0",
    pollInterval: "100ms",
    ...overrides,
  });
}

async function track(generator: Promise<TaskGenerator>): Promise<TaskGenerator> {
  const started = await generator;
  running.push(started);
  return started;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  deploymentsDir = await mkdtemp(join(tmpdir(), "avskit-task-generator-"));
  chain = await startChain({ port: 0, deploymentsDir });
  client = createPublicClient({ transport: http(chain.rpcUrl), cacheTime: 0 });
  taskManager = chain.deployment.contracts.taskManager.proxy;
});

afterAll(async () => {
  await Promise.all(running.map((generator) => generator.stop("test over")));
  await chain?.stop();
  if (deploymentsDir) await rm(deploymentsDir, { recursive: true, force: true });
});

describe("task generator on anvil", () => {
  it("posts tasks at the interval, the first at once, with valid operands, and serves metrics and health", async () => {
    const { logger, lines } = captureLogs("tg");
    const fromBlock = await client.getBlockNumber();
    const startedAt = Date.now();
    const generator = await track(
      startTaskGenerator(
        config({ interval: "700ms", maxTasks: 3, maxOperand: "1000", thresholdPercentage: 67 }),
        {
          logger,
        },
      ),
    );
    expect(generator.quorums).toEqual(chain.deployment.quorums.map((quorum) => quorum.quorumNumber));

    await waitFor(() => generator.status().tasksCreated >= 1, 10_000, "the first task");
    const health = await fetch(`${generator.opsUrl}/health`);
    expect(health.status).toBe(200);
    const report = (await health.json()) as { healthy: boolean; taskManager: string };
    expect(report.healthy).toBe(true);
    expect(report.taskManager.toLowerCase()).toBe(taskManager.toLowerCase());

    await generator.done;
    const created = lines.filter((line) => line.msg === "task created");
    expect(created).toHaveLength(3);
    // First at once (well within one interval), then one per interval (timer-aligned, not drifting).
    expect(created[0]!.time - startedAt).toBeLessThan(700);
    for (let i = 1; i < created.length; i++) {
      const gap = created[i]!.time - created[i - 1]!.time;
      expect(gap).toBeGreaterThan(450);
      expect(gap).toBeLessThan(1_400);
    }

    const events = await client.getContractEvents({
      address: taskManager,
      abi: iTaskManagerAbi,
      eventName: "NewTaskCreated",
      fromBlock: fromBlock + 1n,
      strict: true,
    });
    expect(events).toHaveLength(3);
    const indices = events.map((event) => event.args.taskIndex);
    expect(indices).toEqual(created.map((line) => line.taskIndex));
    expect(indices[1]).toBe(indices[0]! + 1);
    for (const { args } of events) {
      expect(args.task.a).toBeGreaterThanOrEqual(0n);
      expect(args.task.a).toBeLessThanOrEqual(1000n);
      expect(args.task.b).toBeLessThanOrEqual(1000n);
      expect(args.task.quorumThresholdPercentage).toBe(67);
      expect(args.task.quorumNumbers).toBe("0x0001");
    }
    const metrics = await generator.metrics.registry.metrics();
    expect(metrics).toContain("avskit_task_generator_tasks_created_total 3");
    expect(metrics).toContain(`avskit_task_generator_last_task_index ${indices[2]}`);
    expect(
      lines.some((line) => line.msg === "task generator stopped" && line.reason === "--max-tasks 3 reached"),
    ).toBe(true);
  });

  it("honours --quorums and --threshold-percentage", async () => {
    const fromBlock = await client.getBlockNumber();
    const generator = await track(
      startTaskGenerator(
        config({ interval: "200ms", maxTasks: 1, quorums: "1", thresholdPercentage: "100" }),
        {
          logger: captureLogs("tg").logger,
        },
      ),
    );
    await generator.done;
    const [event] = await client.getContractEvents({
      address: taskManager,
      abi: iTaskManagerAbi,
      eventName: "NewTaskCreated",
      fromBlock: fromBlock + 1n,
      strict: true,
    });
    expect(event?.args.task.quorumNumbers).toBe("0x01");
    expect(event?.args.task.quorumThresholdPercentage).toBe(100);
  });

  it("without the task-generator role: logs the decoded custom error on every tick and keeps running", async () => {
    const { logger, lines } = captureLogs("tg");
    const intruder = chain.anvil.accounts[5]!;
    const generator = await track(
      startTaskGenerator(config({ interval: "150ms", ecdsaPrivateKey: intruder.privateKey }), { logger }),
    );
    const reverts = () => lines.filter((line) => line.reason === "reverted");
    await waitFor(() => reverts().length >= 3, 10_000, "three reverted ticks");
    const [first] = reverts();
    expect(first!.errorName).toBe("AccessControlUnauthorizedAccount");
    expect(first!.msg).toBe("createNewTask reverted: AccessControlUnauthorizedAccount");
    expect((first!.errorArgs as string[])[0]).toBe(intruder.address);
    expect(generator.status()).toMatchObject({ running: true, tasksCreated: 0 });
    expect((await fetch(`${generator.opsUrl}/health`)).status).toBe(503);
    expect(await generator.metrics.registry.metrics()).toMatch(
      /avskit_task_generator_task_failures_total\{reason="reverted"\} [3-9]/,
    );
    await generator.stop();
  });

  it("survives the RPC endpoint going away and resumes when it is back", async () => {
    const proxy = new TcpProxy(chain.anvil.port);
    await proxy.up();
    const { logger, lines } = captureLogs("tg");
    const generator = await track(
      startTaskGenerator(config({ interval: "250ms", rpcUrl: proxy.url }), { logger }),
    );
    try {
      await waitFor(() => generator.status().tasksCreated >= 1, 10_000, "a task before the outage");
      await proxy.down();
      const before = generator.status().tasksCreated;
      const outageStart = lines.length;
      const rpcFailures = () => lines.slice(outageStart).filter((line) => line.reason === "rpc");
      await waitFor(() => rpcFailures().length >= 3, 10_000, "three failed ticks during the outage");
      expect(rpcFailures()[0]!.msg).toBe("RPC endpoint unavailable; the next tick tries again");
      expect(generator.status().running).toBe(true);
      expect(generator.status().tasksCreated).toBeLessThanOrEqual(before + 1);

      await proxy.up();
      const afterOutage = generator.status().tasksCreated;
      await waitFor(
        () => generator.status().tasksCreated >= afterOutage + 2,
        10_000,
        "tasks after the outage",
      );
      expect(generator.status().consecutiveFailures).toBe(0);
    } finally {
      await generator.stop();
      await proxy.down();
    }
  });

  it("never overlaps submissions: a slow transaction makes later ticks skip; shutdown waits for it", async () => {
    const { logger, lines } = captureLogs("tg");
    await rpc(chain.rpcUrl, "evm_setAutomine", [false]);
    let generator: TaskGenerator | undefined;
    try {
      generator = await track(startTaskGenerator(config({ interval: "150ms" }), { logger }));
      const skipped = () =>
        lines.filter((line) => line.msg === "previous task still pending; skipping this tick");
      await waitFor(() => skipped().length >= 3, 10_000, "skipped ticks");
      expect(skipped()[0]!.phase).toBe("sent");
      const pending = await rpc(chain.rpcUrl, "txpool_status");
      expect(BigInt((pending as { pending: string }).pending)).toBe(1n);

      const stopping = generator.stop("test");
      await new Promise((resolve) => setTimeout(resolve, 300));
      await rpc(chain.rpcUrl, "evm_mine");
      await stopping;
      expect(lines.some((line) => line.msg === "in-flight task finished")).toBe(true);
      expect(generator.status().tasksCreated).toBe(1);
      expect(await generator.metrics.registry.metrics()).toMatch(
        /avskit_task_generator_ticks_skipped_total [3-9]/,
      );
    } finally {
      await rpc(chain.rpcUrl, "evm_setAutomine", [true]);
    }
  });

  it("shutdown abandons an in-flight transaction after the grace period, and says so", async () => {
    const { logger, lines } = captureLogs("tg");
    await rpc(chain.rpcUrl, "evm_setAutomine", [false]);
    try {
      const generator = await track(
        startTaskGenerator(config({ interval: "10s" }), { logger, shutdownGraceMs: 200 }),
      );
      await waitFor(() => lines.some((line) => line.msg === "task generator started"), 5_000, "start");
      await waitFor(
        async () => {
          const status = (await rpc(chain.rpcUrl, "txpool_status")) as { pending: string };
          return BigInt(status.pending) === 1n;
        },
        5_000,
        "the task transaction in the pool",
      );
      await generator.stop("test");
      const abandoned = lines.find(
        (line) => line.msg === "abandoned the in-flight task transaction; it may still be mined",
      );
      expect(abandoned?.tx).toMatch(/^0x[0-9a-f]{64}$/);
      expect(generator.status().tasksCreated).toBe(0);
    } finally {
      await rpc(chain.rpcUrl, "evm_mine");
      await rpc(chain.rpcUrl, "evm_setAutomine", [true]);
    }
  });

  it("fails at start-up with a named error: RPC unreachable, unknown quorum, no contract", async () => {
    const port = await closedPort();
    await expect(startTaskGenerator(config({ rpcUrl: `http://127.0.0.1:${port}` }))).rejects.toBeInstanceOf(
      RpcUnreachableError,
    );
    await expect(startTaskGenerator(config({ quorums: "7" }))).rejects.toBeInstanceOf(UnknownQuorumError);
    await expect(
      startTaskGenerator(config({ taskManagerAddr: chain.roles.deployer.address, quorums: "0" })),
    ).rejects.toBeInstanceOf(TaskManagerNotDeployedError);
  });

  it("runs as a process from env vars alone and stops cleanly on SIGTERM", async () => {
    const cli = runCli([], {
      AVSKIT_TASK_GENERATOR_RPC_URL: chain.rpcUrl,
      AVSKIT_TASK_GENERATOR_DEPLOYMENTS_DIR: deploymentsDir,
      AVSKIT_TASK_GENERATOR_ECDSA_PRIVATE_KEY: chain.roles.taskGenerator.privateKey,
      AVSKIT_TASK_GENERATOR_INTERVAL: "300ms",
      AVSKIT_TASK_GENERATOR_METRICS_ADDR: "none",
    });
    try {
      await waitFor(
        () => cli.lines.some((line) => line.msg === "task created"),
        15_000,
        "a task from the process",
      );
    } finally {
      cli.child.kill("SIGTERM");
    }
    expect(await cli.exited).toBe(0);
    expect(cli.lines.find((line) => line.msg === "task generator stopped")).toMatchObject({
      reason: "signal",
    });
    expect(JSON.stringify(cli.lines)).not.toContain(chain.roles.taskGenerator.privateKey.slice(2));
  });
});
