import { fileURLToPath } from "node:url";
import { taskManagerAbi } from "@avskit/bindings";
import {
  buildCheckInput,
  type CreatedTask,
  captureLogs,
  createTask,
  E18,
  registerOperators,
  respondToTask,
  runCli,
  signAll,
  startTestAvs,
  strategyOf,
  TcpProxy,
  type TestAvs,
  type TestOperator,
  taskResponseDigest,
  waitFor,
} from "@avskit/integration";
import type { RunningService } from "@avskit/runtime";
import type { Address, Hash, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ChallengerConfigInput,
  type ChallengerDeps,
  type ChallengerHandle,
  challengerService,
  type Settlement,
} from "../src/index.js";

/** The built CLI (turbo builds the package before its tests). */
const CLI_PATH = fileURLToPath(new URL("../dist/src/cli.js", import.meta.url));

/**
 * A minimal forwarder, put in place with anvil_setCode: it passes its calldata on to the
 * TaskManager and bubbles up a revert, as a multisig or relayer would. Hand-assembled (no
 * Solidity for a test fixture): CALLDATACOPY, CALL(target), revert with the return data on failure.
 */
function forwarderCode(target: Address): Hex {
  return `0x36600060003760006000366000600073${target.slice(2).toLowerCase()}5af115602b57005b3d600060003e3d6000fd`;
}
const FORWARDER: Address = "0x000000000000000000000000000000000000f0f0";

let avs: TestAvs;
let taskManager: Address;
let operators: TestOperator[];
/** Pays for the in-process challengers' challenges (anvil account 9). */
let challengerKey: Hex;

function config(overrides: ChallengerConfigInput = {}) {
  return challengerService.resolveConfig({
    rpcUrl: avs.rpcUrl,
    deploymentsDir: avs.deploymentsDir,
    ecdsaPrivateKey: challengerKey,
    metricsAddr: "127.0.0.1:0",
    pollInterval: "150ms",
    ...overrides,
  });
}

/** Starts the service in this process, as the kit would from the CLI, with its log captured. */
async function start(overrides: ChallengerConfigInput = {}, deps: ChallengerDeps = {}) {
  const { logger, lines } = captureLogs("challenger");
  const settled = new Map<number, Settlement>();
  const service: RunningService<ChallengerHandle> = await challengerService.start(config(overrides), {
    logger,
    deps: { onSettled: (taskIndex, settlement) => settled.set(taskIndex, settlement), ...deps },
  });
  return { service, challenger: service.handle, lines, settled };
}

/** Creates a task on quorum 0 as the task generator. */
function newTask(a: bigint, b: bigint, thresholdPercentage: number): Promise<CreatedTask> {
  return createTask(avs, { a, b, thresholdPercentage, quorums: [0] });
}

/**
 * Posts `sum` as the response to `created`, signed by `signers` with real BLS signatures; every
 * other operator of quorum 0 becomes a non-signer. Sent by the aggregator, directly or through
 * `via` (a contract holding the aggregator role).
 */
async function respond(
  created: CreatedTask,
  sum: bigint,
  signers: readonly TestOperator[],
  via?: Address,
): Promise<void> {
  // The reference block must be in the past for the registries' history reads below.
  await avs.mine(1);
  const response = { referenceTaskIndex: created.taskIndex, sum };
  const msgHash = taskResponseDigest(response);
  const { params } = await buildCheckInput(avs, {
    quorums: [0],
    referenceBlock: created.task.taskCreatedBlock,
    msgHash,
    signatures: signAll(signers, msgHash),
  });
  if (via === undefined) {
    await respondToTask(avs, created.task, response, params);
    return;
  }
  const sent = await avs.sender.sendLabelled("respondToTask through the forwarder", avs.aggregator, {
    to: via,
    abi: taskManagerAbi,
    functionName: "respondToTask",
    args: [created.task, response, params],
    gas: 5_000_000n,
  });
  await avs.sender.confirm([sent]);
}

async function challengeEvents(fromBlock: bigint) {
  return avs.client.getContractEvents({
    address: taskManager,
    abi: taskManagerAbi,
    eventName: "TaskChallengedSuccessfully",
    fromBlock,
    strict: true,
  });
}

function challengeWindow(): Promise<number> {
  return avs.client.readContract({
    address: taskManager,
    abi: taskManagerAbi,
    functionName: "TASK_CHALLENGE_WINDOW_BLOCK",
  });
}

/** Waits until the challenger has read up to the current head and settled everything it found. */
async function firstPollSettled(challenger: ChallengerHandle): Promise<void> {
  const head = await avs.blockNumber();
  await waitFor(
    "the first poll to settle what it found",
    () => (challenger.status().lastScannedBlock ?? -1) >= head && challenger.status().pending === 0,
    15_000,
  );
}

function readFlag(functionName: "taskChallenged" | "taskSuccessfullyChallenged", taskIndex: number) {
  return avs.client.readContract({
    address: taskManager,
    abi: taskManagerAbi,
    functionName,
    args: [taskIndex],
  });
}

/** Hashes of the transactions waiting in anvil's pool. */
async function pendingHashes(): Promise<Hash[]> {
  const { pending } = await avs.testClient.getTxpoolContent();
  return Object.values(pending).flatMap((byNonce) => Object.values(byNonce).map((tx) => tx.hash));
}

beforeAll(async () => {
  avs = await startTestAvs();
  taskManager = avs.deployment.contracts.taskManager.proxy;
  challengerKey = avs.anvil.accounts[9]!.privateKey;
  // Three operators with equal stake in quorum 0: any two are a 66% majority.
  const stake = { strategy: strategyOf(avs.deployment, 0), amount: 10n * E18 };
  operators = await registerOperators(
    avs,
    [0, 1, 2].map(() => ({ quorums: [0], deposits: [stake] })),
  );
});

afterAll(async () => {
  await avs?.stop();
});

describe("challenger on anvil", () => {
  let running: RunningService<ChallengerHandle> | undefined;
  afterAll(async () => running?.stop());

  it("proves a wrong majority response wrong, and leaves a correct response alone", async () => {
    const { service, lines, settled } = await start();
    running = service;
    const fromBlock = await avs.client.getBlockNumber({ cacheTime: 0 });
    const [first, second, third] = operators as [TestOperator, TestOperator, TestOperator];

    // Two of three sign 5 + 7 = 13: a wrong answer the contract accepts (66% ≥ 60%), with one non-signer.
    const wrong = await newTask(5n, 7n, 60);
    await respond(wrong, 13n, [first, second]);
    // Everyone signs 2 + 3 = 5.
    const right = await newTask(2n, 3n, 60);
    await respond(right, 5n, [first, second, third]);

    await waitFor(
      "both responses settled",
      () => settled.has(wrong.taskIndex) && settled.has(right.taskIndex),
      20_000,
    );
    expect(settled.get(wrong.taskIndex)).toMatchObject({ kind: "challenged", proven: true });
    expect(settled.get(right.taskIndex)).toEqual({ kind: "correct" });

    const events = await challengeEvents(fromBlock + 1n);
    expect(events.map((event) => event.args)).toEqual([
      { taskIndex: wrong.taskIndex, challenger: privateKeyToAccount(challengerKey).address },
    ]);
    expect(await readFlag("taskSuccessfullyChallenged", wrong.taskIndex)).toBe(true);
    // The correct response was never challenged: no transaction, no gas.
    expect(await readFlag("taskChallenged", right.taskIndex)).toBe(false);

    const recovered = lines.find((line) => line.msg === "non-signers recovered");
    expect(recovered).toMatchObject({ taskIndex: wrong.taskIndex, nonSigners: 1, source: "calldata" });
    const metrics = await service.registry.metrics();
    expect(metrics).toContain('avskit_challenger_responses_checked_total{verdict="wrong"} 1');
    expect(metrics).toContain('avskit_challenger_responses_checked_total{verdict="correct"} 1');
    expect(metrics).toContain("avskit_challenger_challenges_sent_total 1");
    expect(metrics).toContain("avskit_challenger_challenges_succeeded_total 1");
    const health = await fetch(`${service.opsUrl}/health`);
    expect(health.status).toBe(200);

    expect(await service.stop()).toBe(0);
    running = undefined;
  });

  it("after a restart, challenges a wrong response made while it was down, still inside the window", async () => {
    const [, second, third] = operators as [TestOperator, TestOperator, TestOperator];
    const window = await challengeWindow();

    // Down: one wrong response that will have left the window by the time the challenger starts...
    const stale = await newTask(1n, 1n, 60);
    await respond(stale, 3n, [second, third]);
    await avs.mine(window + 1);
    // ...and one still inside it, signed by one operator of three (33% threshold): two non-signers.
    const recent = await newTask(40n, 2n, 33);
    await respond(recent, 41n, [third]);
    const fromBlock = await avs.client.getBlockNumber({ cacheTime: 0 });

    const { service, lines, settled } = await start();
    running = service;
    await waitFor("the recent response settled", () => settled.has(recent.taskIndex), 20_000);
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
    expect(service.handle.status().pending).toBe(0);

    await service.stop();
    running = undefined;
  });

  it("a second challenger (or a restart) finds the response already challenged and sends nothing", async () => {
    const [first, second] = operators as [TestOperator, TestOperator, TestOperator];
    const wrong = await newTask(8n, 8n, 60);
    await respond(wrong, 61n, [first, second]);

    const one = await start();
    running = one.service;
    await waitFor("the first challenger settled it", () => one.settled.has(wrong.taskIndex), 20_000);
    await one.service.stop();

    const two = await start();
    running = two.service;
    await waitFor("the second challenger settled it", () => two.settled.has(wrong.taskIndex), 20_000);
    expect(two.settled.get(wrong.taskIndex)).toEqual({ kind: "already-challenged", proven: true });
    expect(await two.service.registry.metrics()).toContain("avskit_challenger_challenges_sent_total 0");
    await two.service.stop();
    running = undefined;
  });

  it("recovers the non-signers from a call trace when the aggregator responds through a contract", async () => {
    const [first, second] = operators as [TestOperator, TestOperator, TestOperator];
    await avs.testClient.setCode({ address: FORWARDER, bytecode: forwarderCode(taskManager) });
    const role = await avs.client.readContract({
      address: taskManager,
      abi: taskManagerAbi,
      functionName: "AGGREGATOR_ROLE",
    });
    await avs.sender.confirm([
      await avs.sender.sendLabelled("grant the forwarder the aggregator role", avs.deployer, {
        to: taskManager,
        abi: taskManagerAbi,
        functionName: "grantRole",
        args: [role, FORWARDER],
      }),
    ]);
    const wrong = await newTask(20n, 22n, 60);
    await respond(wrong, 43n, [first, second], FORWARDER);

    const { service, lines, settled } = await start();
    running = service;
    await waitFor("the forwarded response settled", () => settled.has(wrong.taskIndex), 20_000);
    expect(settled.get(wrong.taskIndex)).toMatchObject({ kind: "challenged", proven: true });
    expect(lines.find((line) => line.msg === "non-signers recovered")).toMatchObject({
      taskIndex: wrong.taskIndex,
      nonSigners: 1,
      source: "trace",
    });
    await service.stop();
    running = undefined;
  });

  it("a stop gives up on a sent challenge after the grace period, logging its hash, and exits 0", async () => {
    const [first, second] = operators as [TestOperator, TestOperator, TestOperator];
    const wrong = await newTask(30n, 30n, 60);
    await respond(wrong, 61n, [first, second]);
    await avs.testClient.setAutomine(false);
    try {
      const { service, lines, settled } = await start({}, { shutdownGraceMs: 200 });
      running = service;
      const [sent] = await waitFor(
        "the challenge transaction in the pool",
        async () => {
          const hashes = await pendingHashes();
          return hashes.length === 1 ? hashes : undefined;
        },
        15_000,
      );
      expect(lines.find((line) => line.msg === "challenge sent")).toMatchObject({
        taskIndex: wrong.taskIndex,
        tx: sent,
      });
      const stopAsked = Date.now();
      expect(await service.stop("test")).toBe(0);
      running = undefined;
      // Bounded by the grace period (plus a receipt poll), far below the kit's 30 s stop bound.
      expect(Date.now() - stopAsked).toBeLessThan(3_000);
      const cutOff = lines.find(
        (line) =>
          line.msg ===
          "challenge transaction sent, outcome unknown: stopped waiting for its receipt; it may still be mined",
      );
      expect(cutOff).toMatchObject({ taskIndex: wrong.taskIndex, tx: sent });
      expect(settled.has(wrong.taskIndex)).toBe(false);
      expect(lines.find((line) => line.msg === "challenger stopped")).toMatchObject({ exitCode: 0 });
    } finally {
      await avs.testClient.mine({ blocks: 1 });
      await avs.testClient.setAutomine(true);
    }
    // The cut-off transaction was real: mined now, it proved the response wrong.
    expect(await readFlag("taskSuccessfullyChallenged", wrong.taskIndex)).toBe(true);
  });

  it("runs as a process from env vars alone, challenges, and stops cleanly on SIGTERM", async () => {
    const [first, second] = operators as [TestOperator, TestOperator, TestOperator];
    const cli = runCli(CLI_PATH, [], {
      AVSKIT_CHALLENGER_RPC_URL: avs.rpcUrl,
      AVSKIT_CHALLENGER_DEPLOYMENTS_DIR: avs.deploymentsDir,
      AVSKIT_CHALLENGER_ECDSA_PRIVATE_KEY: avs.anvil.accounts[8]!.privateKey,
      AVSKIT_CHALLENGER_POLL_INTERVAL: "200ms",
      AVSKIT_CHALLENGER_METRICS_ADDR: "none",
    });
    try {
      await waitFor(
        "the process to start",
        () => cli.lines.some((line) => line.msg === "challenger started"),
        15_000,
      );
      const wrong = await newTask(3n, 4n, 60);
      await respond(wrong, 8n, [first, second]);
      await waitFor(
        "the process's challenge",
        () => cli.lines.some((line) => line.msg === "challenge succeeded: the response was proven wrong"),
        15_000,
      );
      expect(await readFlag("taskSuccessfullyChallenged", wrong.taskIndex)).toBe(true);
    } finally {
      cli.child.kill("SIGTERM");
    }
    expect(await cli.exited).toBe(0);
    expect(cli.lines.find((line) => line.msg === "challenger stopped")).toMatchObject({
      reason: "SIGTERM",
      exitCode: 0,
    });
    expect(JSON.stringify(cli.lines)).not.toContain(avs.anvil.accounts[8]!.privateKey.slice(2));
  });

  it("survives the RPC endpoint going away and settles what was responded meanwhile", async () => {
    const [first, second] = operators as [TestOperator, TestOperator, TestOperator];
    const proxy = new TcpProxy(avs.anvil.port);
    await proxy.up();
    const { service, challenger, lines, settled } = await start({ rpcUrl: proxy.url });
    running = service;
    try {
      await firstPollSettled(challenger);
      await proxy.down();
      const wrong = await newTask(9n, 9n, 60);
      await respond(wrong, 19n, [first, second]);
      await waitFor("failed polls", () => challenger.status().consecutivePollFailures >= 2, 10_000);
      expect(lines.some((line) => line.msg === "RPC endpoint unavailable; retrying on the next poll")).toBe(
        true,
      );
      expect(challenger.status().running).toBe(true);
      await proxy.up();
      await waitFor("the response settled after the outage", () => settled.has(wrong.taskIndex), 15_000);
      expect(settled.get(wrong.taskIndex)).toMatchObject({ kind: "challenged", proven: true });
      expect(challenger.status().consecutivePollFailures).toBe(0);
    } finally {
      await service.stop();
      running = undefined;
      await proxy.down();
    }
  });

  it("gives up on a response whose window closed during an outage, without counting it as a missed challenge", async () => {
    const [first, second] = operators as [TestOperator, TestOperator, TestOperator];
    const window = await challengeWindow();
    // Earlier tests' responses leave the window first, so only this test's response is tracked.
    await avs.mine(window + 1);
    const proxy = new TcpProxy(avs.anvil.port);
    await proxy.up();
    const { service, challenger, settled } = await start({ rpcUrl: proxy.url });
    running = service;
    try {
      await firstPollSettled(challenger);
      await proxy.down();
      const wrong = await newTask(6n, 6n, 60);
      await respond(wrong, 13n, [first, second]);
      await avs.mine(window + 1);
      await proxy.up();
      await waitFor("the response given up", () => settled.has(wrong.taskIndex), 15_000);
      expect(settled.get(wrong.taskIndex)).toEqual({ kind: "expired", verdict: undefined });
      expect(await readFlag("taskChallenged", wrong.taskIndex)).toBe(false);
      const metrics = await service.registry.metrics();
      expect(metrics).toContain("avskit_challenger_responses_expired_total 1");
      expect(metrics).toContain("avskit_challenger_challenges_sent_total 0");
      expect(metrics).not.toContain('reason="window-closed"');
    } finally {
      await service.stop();
      running = undefined;
      await proxy.down();
    }
  });
});
