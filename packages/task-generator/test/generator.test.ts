import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ContractResolutionError, iTaskManagerAbi } from "@avskit/bindings";
import { captureLogs, runCli, startTestAvs, TcpProxy, type TestAvs, waitFor } from "@avskit/integration";
import { ConfigError, RpcUnreachableError, type RunningService } from "@avskit/runtime";
import type { Address, Hash, Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type TaskGeneratorConfigInput,
  type TaskGeneratorDeps,
  type TaskGeneratorHandle,
  taskGeneratorService,
  UnknownQuorumError,
} from "../src/index.js";

/** The built CLI (turbo builds the package before its tests). */
const CLI_PATH = fileURLToPath(new URL("../dist/src/cli.js", import.meta.url));

let avs: TestAvs;
let taskManager: Address;
/** anvil account 1, which holds TASK_GENERATOR_ROLE. */
let generatorKey: Hex;
const running: RunningService<TaskGeneratorHandle>[] = [];

function config(overrides: TaskGeneratorConfigInput = {}) {
  return taskGeneratorService.resolveConfig({
    rpcUrl: avs.rpcUrl,
    deploymentsDir: avs.deploymentsDir,
    ecdsaPrivateKey: generatorKey,
    metricsAddr: "127.0.0.1:0",
    pollInterval: "100ms",
    ...overrides,
  });
}

/** Starts the service in this process, as the kit would from the CLI, with its log captured. */
async function start(overrides: TaskGeneratorConfigInput = {}, deps?: TaskGeneratorDeps) {
  const { logger, lines } = captureLogs("tg");
  const service = await taskGeneratorService.start(config(overrides), {
    logger,
    ...(deps !== undefined ? { deps } : {}),
  });
  running.push(service);
  return { service, generator: service.handle, lines };
}

/** Hashes of the transactions waiting in anvil's pool. */
async function pendingHashes(): Promise<Hash[]> {
  const { pending } = await avs.testClient.getTxpoolContent();
  return Object.values(pending).flatMap((byNonce) => Object.values(byNonce).map((tx) => tx.hash));
}

function newTaskEvents(fromBlock: bigint) {
  return avs.client.getContractEvents({
    address: taskManager,
    abi: iTaskManagerAbi,
    eventName: "NewTaskCreated",
    fromBlock,
    strict: true,
  });
}

beforeAll(async () => {
  avs = await startTestAvs();
  taskManager = avs.deployment.contracts.taskManager.proxy;
  generatorKey = avs.anvil.accounts[1]!.privateKey;
});

afterAll(async () => {
  await Promise.all(running.map((service) => service.stop("test over")));
  await avs?.stop();
});

describe("task generator on anvil", () => {
  it("posts tasks at the interval, the first at once, with valid operands, and serves metrics and health", async () => {
    const fromBlock = await avs.client.getBlockNumber({ cacheTime: 0 });
    const startedAt = Date.now();
    const { service, generator, lines } = await start({
      interval: "700ms",
      maxTasks: 3,
      maxOperand: "1000",
      thresholdPercentage: 67,
    });
    expect(generator.quorums).toEqual(avs.deployment.quorums.map((quorum) => quorum.quorumNumber));

    await waitFor("the first task", () => generator.status().tasksCreated >= 1, 10_000);
    const health = await fetch(`${service.opsUrl}/health`);
    expect(health.status).toBe(200);
    const report = (await health.json()) as { healthy: boolean; taskManager: string };
    expect(report.healthy).toBe(true);
    expect(report.taskManager.toLowerCase()).toBe(taskManager.toLowerCase());

    // --max-tasks ends the service by itself, with exit code 0.
    expect(await service.exited).toBe(0);
    const created = lines.filter((line) => line.msg === "task created");
    expect(created).toHaveLength(3);
    // First at once (well within one interval), then one per interval (timer-aligned, not drifting).
    expect(created[0]!.time - startedAt).toBeLessThan(700);
    for (let i = 1; i < created.length; i++) {
      const gap = created[i]!.time - created[i - 1]!.time;
      expect(gap).toBeGreaterThan(450);
      expect(gap).toBeLessThan(1_400);
    }

    const events = await newTaskEvents(fromBlock + 1n);
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
    const metrics = await service.registry.metrics();
    expect(metrics).toContain("avskit_task_generator_tasks_created_total 3");
    expect(metrics).toContain(`avskit_task_generator_last_task_index ${indices[2]}`);
    expect(lines.some((line) => line.msg === "--max-tasks 3 reached" && line.tasksCreated === 3)).toBe(true);
    expect(lines.find((line) => line.msg === "task-generator stopped")).toMatchObject({
      reason: "finished",
      exitCode: 0,
    });
  });

  it("honours --quorums and --threshold-percentage", async () => {
    const fromBlock = await avs.client.getBlockNumber({ cacheTime: 0 });
    const { service } = await start({
      interval: "200ms",
      maxTasks: 1,
      quorums: "1",
      thresholdPercentage: "100",
    });
    expect(await service.exited).toBe(0);
    const [event] = await newTaskEvents(fromBlock + 1n);
    expect(event?.args.task.quorumNumbers).toBe("0x01");
    expect(event?.args.task.quorumThresholdPercentage).toBe(100);
  });

  it("without the task-generator role: logs the decoded custom error on every tick and keeps running", async () => {
    const intruder = avs.anvil.accounts[5]!;
    const { service, generator, lines } = await start({
      interval: "150ms",
      ecdsaPrivateKey: intruder.privateKey,
    });
    const reverts = () => lines.filter((line) => line.reason === "reverted");
    await waitFor("three reverted ticks", () => reverts().length >= 3, 10_000);
    const [first] = reverts();
    expect(first!.errorName).toBe("AccessControlUnauthorizedAccount");
    expect(first!.msg).toBe("createNewTask reverted: AccessControlUnauthorizedAccount");
    expect((first!.errorArgs as string[])[0]).toBe(intruder.address);
    expect(generator.status()).toMatchObject({ running: true, tasksCreated: 0 });
    expect((await fetch(`${service.opsUrl}/health`)).status).toBe(503);
    expect(await service.registry.metrics()).toMatch(
      /avskit_task_generator_task_failures_total\{reason="reverted"\} [3-9]/,
    );
    expect(await service.stop()).toBe(0);
  });

  it("survives the RPC endpoint going away and resumes when it is back", async () => {
    const proxy = new TcpProxy(avs.anvil.port);
    await proxy.up();
    const { service, generator, lines } = await start({ interval: "250ms", rpcUrl: proxy.url });
    try {
      await waitFor("a task before the outage", () => generator.status().tasksCreated >= 1, 10_000);
      await proxy.down();
      const before = generator.status().tasksCreated;
      const outageStart = lines.length;
      const rpcFailures = () => lines.slice(outageStart).filter((line) => line.reason === "rpc");
      await waitFor("three failed ticks during the outage", () => rpcFailures().length >= 3, 10_000);
      expect(rpcFailures()[0]!.msg).toBe("RPC endpoint unavailable; the next tick tries again");
      expect(generator.status().running).toBe(true);
      expect(generator.status().tasksCreated).toBeLessThanOrEqual(before + 1);

      await proxy.up();
      const afterOutage = generator.status().tasksCreated;
      await waitFor(
        "tasks after the outage",
        () => generator.status().tasksCreated >= afterOutage + 2,
        10_000,
      );
      expect(generator.status().consecutiveFailures).toBe(0);
    } finally {
      await service.stop();
      await proxy.down();
    }
  });

  it("never overlaps submissions: a slow transaction makes later ticks skip; a stop waits for it", async () => {
    await avs.testClient.setAutomine(false);
    try {
      const { service, generator, lines } = await start({ interval: "150ms" });
      const skipped = () =>
        lines.filter((line) => line.msg === "previous task still pending; skipping this tick");
      await waitFor("skipped ticks", () => skipped().length >= 3, 10_000);
      expect(skipped()[0]!.phase).toBe("sent");
      expect((await avs.testClient.getTxpoolStatus()).pending).toBe(1);

      let stopped = false;
      const stopping = service.stop("test").then((code) => {
        stopped = true;
        return code;
      });
      await waitFor(
        "the stop to wait for the in-flight task",
        () => lines.some((line) => line.msg === "waiting for the in-flight task"),
        5_000,
      );
      expect(stopped).toBe(false);
      await avs.testClient.mine({ blocks: 1 });
      expect(await stopping).toBe(0);
      expect(lines.some((line) => line.msg === "in-flight task finished")).toBe(true);
      expect(generator.status().tasksCreated).toBe(1);
      expect(await service.registry.metrics()).toMatch(/avskit_task_generator_ticks_skipped_total [3-9]/);
    } finally {
      await avs.testClient.setAutomine(true);
    }
  });

  it("a stop gives up on a sent transaction after the grace period, logging its hash, and exits 0", async () => {
    await avs.testClient.setAutomine(false);
    try {
      const { service, generator, lines } = await start({ interval: "10s" }, { shutdownGraceMs: 200 });
      const [sent] = await waitFor(
        "the task transaction in the pool",
        async () => {
          const hashes = await pendingHashes();
          return hashes.length === 1 ? hashes : undefined;
        },
        5_000,
      );
      const stopAsked = Date.now();
      expect(await service.stop("test")).toBe(0);
      // Bounded by the grace period (plus a receipt poll), far below the kit's 30 s stop bound.
      expect(Date.now() - stopAsked).toBeLessThan(3_000);
      const cutOff = lines.find(
        (line) =>
          line.msg ===
          "task transaction sent, outcome unknown: stopped waiting for its receipt; it may still be mined",
      );
      expect(cutOff?.tx).toBe(sent);
      expect(generator.status()).toMatchObject({ tasksCreated: 0, consecutiveFailures: 0 });
      expect(lines.find((line) => line.msg === "task-generator stopped")).toMatchObject({ exitCode: 0 });
    } finally {
      await avs.testClient.mine({ blocks: 1 });
      await avs.testClient.setAutomine(true);
    }
  });

  it("fails at start-up with a named error: RPC unreachable, unknown quorum, no contract, no quorums", async () => {
    // A port that was just closed: nothing listens there.
    const gone = new TcpProxy(avs.anvil.port);
    await gone.up();
    const deadUrl = gone.url;
    await gone.down();
    await expect(start({ rpcUrl: deadUrl })).rejects.toBeInstanceOf(RpcUnreachableError);
    await expect(start({ quorums: "7" })).rejects.toBeInstanceOf(UnknownQuorumError);
    const noCode = start({ taskManagerAddr: avs.deployer.address, quorums: "0" });
    await expect(noCode).rejects.toBeInstanceOf(ContractResolutionError);
    await expect(noCode).rejects.toMatchObject({ problem: "no-code", source: "--task-manager-addr" });

    const empty = await mkdtemp(join(tmpdir(), "avskit-no-deployments-"));
    try {
      const noQuorums = start({ taskManagerAddr: taskManager, deploymentsDir: empty });
      await expect(noQuorums).rejects.toBeInstanceOf(ConfigError);
      await expect(noQuorums).rejects.toMatchObject({ flag: "--quorums" });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  const processEnv = () => ({
    AVSKIT_TASK_GENERATOR_RPC_URL: avs.rpcUrl,
    AVSKIT_TASK_GENERATOR_DEPLOYMENTS_DIR: avs.deploymentsDir,
    AVSKIT_TASK_GENERATOR_ECDSA_PRIVATE_KEY: generatorKey,
    AVSKIT_TASK_GENERATOR_INTERVAL: "300ms",
    AVSKIT_TASK_GENERATOR_METRICS_ADDR: "none",
  });

  it("runs as a process from env vars alone and stops cleanly on SIGTERM", async () => {
    const cli = runCli(CLI_PATH, [], processEnv());
    try {
      await waitFor(
        "a task from the process",
        () => cli.lines.some((line) => line.msg === "task created"),
        15_000,
      );
    } finally {
      cli.child.kill("SIGTERM");
    }
    expect(await cli.exited).toBe(0);
    expect(cli.lines.find((line) => line.msg === "task-generator stopped")).toMatchObject({
      reason: "SIGTERM",
      exitCode: 0,
    });
    expect(JSON.stringify(cli.lines)).not.toContain(generatorKey.slice(2));
    expect(cli.stderr()).not.toContain(generatorKey.slice(2));
  });

  it("as a process, --max-tasks ends it by itself with exit code 0", async () => {
    const cli = runCli(CLI_PATH, ["--max-tasks", "1", "--interval", "100ms"], processEnv());
    expect(await cli.exited).toBe(0);
    expect(cli.lines.filter((line) => line.msg === "task created")).toHaveLength(1);
    expect(cli.lines.find((line) => line.msg === "task-generator stopped")).toMatchObject({
      reason: "finished",
      exitCode: 0,
    });
  });
});
