import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { taskManagerAbi } from "@avskit/bindings";
import { type RunningChain, startChain } from "@avskit/devnet";
import { type Address, encodeFunctionData, parseEther, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Challenger,
  type ChallengerConfigInput,
  resolveChallengerConfig,
  type Settlement,
  startChallenger,
} from "../src/index.js";
import { AvsStage, type StagedOperator } from "./support/avs.js";
import { captureLogs, waitFor } from "./support/logs.js";
import { runCli } from "./support/process.js";
import { TcpProxy } from "@avskit/integration";

let chain: RunningChain;
let deploymentsDir: string;
let stage: AvsStage;
let taskManager: Address;
let operators: StagedOperator[];
const QUORUM_0 = toHex(Uint8Array.from([0]));

function config(overrides: ChallengerConfigInput = {}) {
  return resolveChallengerConfig({
    rpcUrl: chain.rpcUrl,
    deploymentsDir,
    ecdsaPrivateKey: chain.anvil.accounts[9]!.privateKey,
    metricsAddr: "127.0.0.1:0",
    pollInterval: "150ms",
    ...overrides,
  });
}

async function start(overrides: ChallengerConfigInput = {}) {
  const { logger, lines } = captureLogs("challenger");
  const settled = new Map<number, Settlement>();
  const challenger = await startChallenger(config(overrides), {
    logger,
    onSettled: (taskIndex, settlement) => settled.set(taskIndex, settlement),
  });
  return { challenger, lines, settled };
}

async function challengeEvents(fromBlock: bigint) {
  return stage.client.getContractEvents({
    address: taskManager,
    abi: taskManagerAbi,
    eventName: "TaskChallengedSuccessfully",
    fromBlock,
    strict: true,
  });
}

/** Waits until the challenger has read up to the current head and settled everything it found. */
async function firstPollSettled(challenger: Challenger): Promise<void> {
  const head = Number(await stage.client.getBlockNumber({ cacheTime: 0 }));
  await waitFor(
    () => (challenger.status().lastScannedBlock ?? -1) >= head && challenger.status().pending === 0,
    15_000,
    "the first poll to settle what it found",
  );
}

function readFlag(functionName: "taskChallenged" | "taskSuccessfullyChallenged", taskIndex: number) {
  return stage.client.readContract({
    address: taskManager,
    abi: taskManagerAbi,
    functionName,
    args: [taskIndex],
  });
}

beforeAll(async () => {
  deploymentsDir = await mkdtemp(join(tmpdir(), "avskit-challenger-"));
  chain = await startChain({ port: 0, deploymentsDir });
  taskManager = chain.deployment.contracts.taskManager.proxy;
  stage = new AvsStage(chain.rpcUrl, chain.chainId, chain.deployment);
  operators = [];
  // Three operators with equal stake in quorum 0: any two are a 66% majority.
  for (const account of chain.anvil.accounts.slice(3, 6)) {
    operators.push(
      await stage.registerOperator(chain.roles.deployer, account.privateKey, [0], parseEther("10")),
    );
  }
});

afterAll(async () => {
  await chain?.stop();
  if (deploymentsDir) await rm(deploymentsDir, { recursive: true, force: true });
});

describe("challenger on anvil", () => {
  let running: Challenger | undefined;
  afterAll(async () => running?.stop());

  it("proves a wrong majority response wrong, and leaves a correct response alone", async () => {
    const { challenger, lines, settled } = await start();
    running = challenger;
    const fromBlock = await stage.client.getBlockNumber({ cacheTime: 0 });
    const { taskGenerator, aggregator } = chain.roles;
    const [first, second, third] = operators as [StagedOperator, StagedOperator, StagedOperator];

    // Two of three sign 5 + 7 = 13: a wrong answer the contract accepts (66% ≥ 60%), with one non-signer.
    const wrong = await stage.createTask(taskGenerator, 5n, 7n, QUORUM_0, 60);
    await stage.respond(aggregator, wrong, 13n, [first, second], operators);
    // Everyone signs 2 + 3 = 5.
    const right = await stage.createTask(taskGenerator, 2n, 3n, QUORUM_0, 60);
    await stage.respond(aggregator, right, 5n, [first, second, third], operators);

    await waitFor(
      () => settled.has(wrong.taskIndex) && settled.has(right.taskIndex),
      20_000,
      "both responses settled",
    );
    expect(settled.get(wrong.taskIndex)).toMatchObject({ kind: "challenged", proven: true });
    expect(settled.get(right.taskIndex)).toEqual({ kind: "correct" });

    const events = await challengeEvents(fromBlock + 1n);
    expect(events.map((event) => event.args)).toEqual([
      {
        taskIndex: wrong.taskIndex,
        challenger: privateKeyToAccount(chain.anvil.accounts[9]!.privateKey).address,
      },
    ]);
    expect(await readFlag("taskSuccessfullyChallenged", wrong.taskIndex)).toBe(true);
    // The correct response was never challenged: no transaction, no gas.
    expect(await readFlag("taskChallenged", right.taskIndex)).toBe(false);

    const recovered = lines.find((line) => line.msg === "non-signers recovered");
    expect(recovered).toMatchObject({ taskIndex: wrong.taskIndex, nonSigners: 1, source: "calldata" });
    const metrics = await challenger.metrics.registry.metrics();
    expect(metrics).toContain('avskit_challenger_responses_checked_total{verdict="wrong"} 1');
    expect(metrics).toContain('avskit_challenger_responses_checked_total{verdict="correct"} 1');
    expect(metrics).toContain("avskit_challenger_challenges_sent_total 1");
    expect(metrics).toContain("avskit_challenger_challenges_succeeded_total 1");
    const health = await fetch(`${challenger.opsUrl}/health`);
    expect(health.status).toBe(200);

    await challenger.stop();
    running = undefined;
  });

  it("after a restart, challenges a wrong response made while it was down, still inside the window", async () => {
    const { taskGenerator, aggregator } = chain.roles;
    const [, second, third] = operators as [StagedOperator, StagedOperator, StagedOperator];
    const window = await stage.client.readContract({
      address: taskManager,
      abi: taskManagerAbi,
      functionName: "TASK_CHALLENGE_WINDOW_BLOCK",
    });

    // Down: one wrong response that will have left the window by the time the challenger starts...
    const stale = await stage.createTask(taskGenerator, 1n, 1n, QUORUM_0, 60);
    await stage.respond(aggregator, stale, 3n, [second, third], operators);
    await stage.client.request({ method: "anvil_mine" as never, params: [toHex(window + 1)] as never });
    // ...and one still inside it, signed by one operator of three (33% threshold): two non-signers.
    const recent = await stage.createTask(taskGenerator, 40n, 2n, QUORUM_0, 33);
    await stage.respond(aggregator, recent, 41n, [third], operators);
    const fromBlock = await stage.client.getBlockNumber({ cacheTime: 0 });

    const { challenger, lines, settled } = await start();
    running = challenger;
    await waitFor(() => settled.has(recent.taskIndex), 20_000, "the recent response settled");
    expect(settled.get(recent.taskIndex)).toMatchObject({ kind: "challenged", proven: true });
    expect(lines.find((line) => line.msg === "non-signers recovered")).toMatchObject({ nonSigners: 2 });
    expect((await challengeEvents(fromBlock)).map((event) => event.args.taskIndex)).toEqual([
      recent.taskIndex,
    ]);

    // The scan started one window back: the stale response (and the first test's) were not even read.
    const scanStart = lines.find((line) => line.msg === "scanning responses from one challenge window back");
    expect(Number(scanStart?.fromBlock)).toBeGreaterThan(stale.task.taskCreatedBlock + 1);
    expect(settled.has(stale.taskIndex)).toBe(false);
    expect(await readFlag("taskChallenged", stale.taskIndex)).toBe(false);
    expect(challenger.status().pending).toBe(0);

    await challenger.stop();
    running = undefined;
  });

  it("a second challenger (or a restart) finds the response already challenged and sends nothing", async () => {
    const { taskGenerator, aggregator } = chain.roles;
    const [first, second] = operators as [StagedOperator, StagedOperator, StagedOperator];
    const wrong = await stage.createTask(taskGenerator, 8n, 8n, QUORUM_0, 60);
    await stage.respond(aggregator, wrong, 61n, [first, second], operators);

    const one = await start();
    running = one.challenger;
    await waitFor(() => one.settled.has(wrong.taskIndex), 20_000, "the first challenger settled it");
    await one.challenger.stop();

    const two = await start();
    running = two.challenger;
    await waitFor(() => two.settled.has(wrong.taskIndex), 20_000, "the second challenger settled it");
    expect(two.settled.get(wrong.taskIndex)).toEqual({ kind: "already-challenged", proven: true });
    expect(await two.challenger.metrics.registry.metrics()).toContain(
      "avskit_challenger_challenges_sent_total 0",
    );
    await two.challenger.stop();
    running = undefined;
  });

  it("recovers the non-signers from a call trace when the aggregator responds through a contract", async () => {
    const { taskGenerator, aggregator, deployer } = chain.roles;
    const [first, second] = operators as [StagedOperator, StagedOperator, StagedOperator];
    const forwarder = await stage.deployForwarder(aggregator, taskManager);
    const role = await stage.client.readContract({
      address: taskManager,
      abi: taskManagerAbi,
      functionName: "AGGREGATOR_ROLE",
    });
    await stage.send(
      deployer,
      taskManager,
      encodeFunctionData({ abi: taskManagerAbi, functionName: "grantRole", args: [role, forwarder] }),
    );
    const wrong = await stage.createTask(taskGenerator, 20n, 22n, QUORUM_0, 60);
    await stage.respond(aggregator, wrong, 43n, [first, second], operators, forwarder);

    const { challenger, lines, settled } = await start();
    running = challenger;
    await waitFor(() => settled.has(wrong.taskIndex), 20_000, "the forwarded response settled");
    expect(settled.get(wrong.taskIndex)).toMatchObject({ kind: "challenged", proven: true });
    expect(lines.find((line) => line.msg === "non-signers recovered")).toMatchObject({
      taskIndex: wrong.taskIndex,
      nonSigners: 1,
      source: "trace",
    });
    await challenger.stop();
    running = undefined;
  });

  it("runs as a process from env vars alone, challenges, and stops cleanly on SIGTERM", async () => {
    const { taskGenerator, aggregator } = chain.roles;
    const [first, second] = operators as [StagedOperator, StagedOperator, StagedOperator];
    const cli = runCli([], {
      AVSKIT_CHALLENGER_RPC_URL: chain.rpcUrl,
      AVSKIT_CHALLENGER_DEPLOYMENTS_DIR: deploymentsDir,
      AVSKIT_CHALLENGER_ECDSA_PRIVATE_KEY: chain.anvil.accounts[8]!.privateKey,
      AVSKIT_CHALLENGER_POLL_INTERVAL: "200ms",
      AVSKIT_CHALLENGER_METRICS_ADDR: "none",
    });
    try {
      await waitFor(
        () => cli.lines.some((line) => line.msg === "challenger started"),
        15_000,
        "the process to start",
      );
      const wrong = await stage.createTask(taskGenerator, 3n, 4n, QUORUM_0, 60);
      await stage.respond(aggregator, wrong, 8n, [first, second], operators);
      await waitFor(
        () => cli.lines.some((line) => line.msg === "challenge succeeded: the response was proven wrong"),
        15_000,
        "the process's challenge",
      );
      expect(await readFlag("taskSuccessfullyChallenged", wrong.taskIndex)).toBe(true);
    } finally {
      cli.child.kill("SIGTERM");
    }
    expect(await cli.exited).toBe(0);
    expect(cli.lines.find((line) => line.msg === "challenger stopped")).toMatchObject({ reason: "signal" });
  });

  it("survives the RPC endpoint going away and settles what was responded meanwhile", async () => {
    const { taskGenerator, aggregator } = chain.roles;
    const [first, second] = operators as [StagedOperator, StagedOperator, StagedOperator];
    const proxy = new TcpProxy(chain.anvil.port);
    await proxy.up();
    const { challenger, lines, settled } = await start({ rpcUrl: proxy.url });
    running = challenger;
    try {
      await firstPollSettled(challenger);
      await proxy.down();
      const wrong = await stage.createTask(taskGenerator, 9n, 9n, QUORUM_0, 60);
      await stage.respond(aggregator, wrong, 19n, [first, second], operators);
      await waitFor(() => challenger.status().consecutivePollFailures >= 2, 10_000, "failed polls");
      expect(lines.some((line) => line.msg === "RPC endpoint unavailable; retrying on the next poll")).toBe(
        true,
      );
      expect(challenger.status().running).toBe(true);
      await proxy.up();
      await waitFor(() => settled.has(wrong.taskIndex), 15_000, "the response settled after the outage");
      expect(settled.get(wrong.taskIndex)).toMatchObject({ kind: "challenged", proven: true });
      expect(challenger.status().consecutivePollFailures).toBe(0);
    } finally {
      await challenger.stop();
      running = undefined;
      await proxy.down();
    }
  });

  it("gives up on a response whose window closed during an outage, without counting it as a missed challenge", async () => {
    const { taskGenerator, aggregator } = chain.roles;
    const [first, second] = operators as [StagedOperator, StagedOperator, StagedOperator];
    const window = await stage.client.readContract({
      address: taskManager,
      abi: taskManagerAbi,
      functionName: "TASK_CHALLENGE_WINDOW_BLOCK",
    });
    // Earlier tests' responses leave the window first, so only this test's response is tracked.
    await stage.client.request({ method: "anvil_mine" as never, params: [toHex(window + 1)] as never });
    const proxy = new TcpProxy(chain.anvil.port);
    await proxy.up();
    const { challenger, settled } = await start({ rpcUrl: proxy.url });
    running = challenger;
    try {
      await firstPollSettled(challenger);
      await proxy.down();
      const wrong = await stage.createTask(taskGenerator, 6n, 6n, QUORUM_0, 60);
      await stage.respond(aggregator, wrong, 13n, [first, second], operators);
      await stage.client.request({ method: "anvil_mine" as never, params: [toHex(window + 1)] as never });
      await proxy.up();
      await waitFor(() => settled.has(wrong.taskIndex), 15_000, "the response given up");
      expect(settled.get(wrong.taskIndex)).toEqual({ kind: "expired", verdict: undefined });
      expect(await readFlag("taskChallenged", wrong.taskIndex)).toBe(false);
      const metrics = await challenger.metrics.registry.metrics();
      expect(metrics).toContain("avskit_challenger_responses_expired_total 1");
      expect(metrics).toContain("avskit_challenger_challenges_sent_total 0");
      expect(metrics).not.toContain('reason="window-closed"');
    } finally {
      await challenger.stop();
      running = undefined;
      await proxy.down();
    }
  });
});
