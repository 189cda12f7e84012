import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { taskManagerAbi } from "@avskit/bindings";
import { createLogger } from "@avskit/runtime";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type OperatorConfig,
  type OperatorEvent,
  type ProvisionedOperator,
  provisionDevnetOperator,
  quorumNumbersToBytes,
  type RunningOperator,
  runCli,
  sendTransaction,
  startOperator,
} from "../src/index.js";
import { startTestChain, type TestChain } from "./helpers/chain.js";
import { cli } from "./helpers/cli.js";
import { type FakeAggregator, startFakeAggregator } from "./helpers/fake-aggregator.js";

const PASSWORD = "run-test-password";
const E18 = 10n ** 18n;
const WINDOW = 30; // the deployment's TASK_RESPONSE_WINDOW_BLOCK

let t: TestChain;
let aggregator: FakeAggregator;
/** In quorums 0 and 1. */
let alice: ProvisionedOperator;
/** In quorum 0 only. */
let bob: ProvisionedOperator;
const running: RunningOperator[] = [];

async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function createTask(a: bigint, b: bigint, quorums: number[]): Promise<number> {
  const receipt = await sendTransaction(t.publicClient, t.taskGenerator, "create task", {
    address: alice.contracts.taskManager,
    abi: taskManagerAbi,
    functionName: "createNewTask",
    args: [a, b, 50, quorumNumbersToBytes(quorums)],
  });
  expect(receipt.status).toBe("success");
  const next = await t.publicClient.readContract({
    address: alice.contracts.taskManager,
    abi: taskManagerAbi,
    functionName: "latestTaskNum",
  });
  return next - 1;
}

async function run(
  operator: ProvisionedOperator,
  extra: Partial<OperatorConfig> = {},
): Promise<{ op: RunningOperator; events: OperatorEvent[] }> {
  const events: OperatorEvent[] = [];
  const op = await startOperator({
    rpcUrl: t.rpcUrl,
    deploymentsDir: t.deploymentsDir,
    blsKeyPair: operator.blsKeyPair,
    aggregatorUrl: aggregator.url,
    pollIntervalMs: 100,
    retry: { initialDelayMs: 50, maxDelayMs: 400, requestTimeoutMs: 2_000 },
    logger: createLogger({ name: "operator-test", level: "silent" }),
    defaultMetrics: false,
    onEvent: (event) => events.push(event),
    ...extra,
  });
  running.push(op);
  return { op, events };
}

async function metricValue(url: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

beforeAll(async () => {
  t = await startTestChain();
  const common = {
    rpcUrl: t.rpcUrl,
    deploymentsDir: t.deploymentsDir,
    funderPrivateKey: t.chain.roles.deployer.privateKey,
    keysDir: join(t.dir, "keys"),
    password: PASSWORD,
    depositAmount: 50n * E18,
  };
  alice = await provisionDevnetOperator({ ...common, name: "alice", quorums: [0, 1] });
  bob = await provisionDevnetOperator({ ...common, name: "bob", quorums: [0] });
  aggregator = await startFakeAggregator(
    new Map([
      [alice.operatorId.toLowerCase(), alice.blsKeyPair.publicKeyG2],
      [bob.operatorId.toLowerCase(), bob.blsKeyPair.publicKeyG2],
    ]),
  );
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((op) => op.stop("test done")));
});

afterAll(async () => {
  await aggregator?.close();
  await t?.stop();
});

describe("provisioning (what the devnet does for each operator)", () => {
  it("registered both operators with their stake", () => {
    expect(alice.registration.joinedQuorums).toEqual([0, 1]);
    expect(bob.registration.joinedQuorums).toEqual([0]);
    expect(alice.registration.deposits).toHaveLength(2);
  });
});

describe("run", () => {
  it("signs a new task's sum and posts it; the signature verifies; metrics and health report it", async () => {
    const { op, events } = await run(alice, { metricsAddress: { host: "127.0.0.1", port: 0 } });
    const taskIndex = await createTask(7n, 35n, [0]);
    const request = await waitFor("alice's response", () =>
      aggregator.requestsFor(taskIndex, alice.operatorId).find((r) => r.status === 202),
    );
    expect(request.verdict).toBe("valid");
    expect(request.sum).toBe(42n);
    expect(request.body).toMatchObject({ response: { referenceTaskIndex: taskIndex, sum: "42" } });

    const url = op.metricsUrl!;
    await waitFor("the acceptance", () => events.find((e) => e.type === "response-accepted"));
    expect(await metricValue(url, "avskit_operator_tasks_seen_total")).toBe(1);
    expect(await metricValue(url, "avskit_operator_tasks_signed_total")).toBe(1);
    expect(await metricValue(url, "avskit_operator_responses_sent_total")).toBe(1);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ healthy: true, operatorId: alice.operatorId });
  });

  it("skips tasks of quorums it is not in", async () => {
    const { op, events } = await run(bob);
    const taskIndex = await createTask(1n, 2n, [1]);
    await waitFor("the skip", () =>
      events.find((e) => e.type === "task-skipped" && e.taskIndex === taskIndex),
    );
    await op.idle();
    expect(events.find((e) => e.type === "task-skipped" && e.taskIndex === taskIndex)).toMatchObject({
      reason: "not-in-quorums",
    });
    expect(aggregator.requestsFor(taskIndex, bob.operatorId)).toEqual([]);
  });

  it("retries with growing delays while the aggregator answers TASK_NOT_FOUND, then succeeds", async () => {
    const { events } = await run(bob);
    const next = await t.publicClient.readContract({
      address: bob.contracts.taskManager,
      abi: taskManagerAbi,
      functionName: "latestTaskNum",
    });
    aggregator.refusals.set(next, { status: 404, code: "TASK_NOT_FOUND", retryable: true, times: 3 });
    const taskIndex = await createTask(100n, 23n, [0]);
    expect(taskIndex).toBe(next);
    await waitFor("acceptance", () =>
      events.find((e) => e.type === "response-accepted" && e.taskIndex === taskIndex),
    );
    const attempts = aggregator.requestsFor(taskIndex, bob.operatorId);
    expect(attempts.map((r) => r.status)).toEqual([404, 404, 404, 202]);
    const gaps = attempts.slice(1).map((r, i) => r.at - attempts[i]!.at);
    // Delays of [25, 50], [50, 100] and [100, 200] ms (equal jitter on 50·2^n), plus latency.
    expect(gaps[0]).toBeGreaterThanOrEqual(20);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
  });

  it("gives up at once on a non-retryable refusal and logs its code", async () => {
    const { op, events } = await run(bob);
    const next = await t.publicClient.readContract({
      address: bob.contracts.taskManager,
      abi: taskManagerAbi,
      functionName: "latestTaskNum",
    });
    aggregator.refusals.set(next, { status: 403, code: "OPERATOR_NOT_IN_QUORUMS", retryable: false });
    const taskIndex = await createTask(5n, 5n, [0]);
    const failed = await waitFor("the failure", () =>
      events.find((e) => e.type === "response-failed" && e.taskIndex === taskIndex),
    );
    expect(failed).toMatchObject({ reason: "OPERATOR_NOT_IN_QUORUMS", attempts: 1 });
    expect(aggregator.requestsFor(taskIndex, bob.operatorId)).toHaveLength(1);
    const failedMetric = await op.metrics.registry.getSingleMetricAsString(
      "avskit_operator_responses_failed_total",
    );
    expect(failedMetric).toContain('reason="OPERATOR_NOT_IN_QUORUMS"} 1');
  });

  it("stops retrying when the response window closes", async () => {
    const { events } = await run(bob);
    const next = await t.publicClient.readContract({
      address: bob.contracts.taskManager,
      abi: taskManagerAbi,
      functionName: "latestTaskNum",
    });
    aggregator.refusals.set(next, { status: 404, code: "TASK_NOT_FOUND", retryable: true });
    const taskIndex = await createTask(9n, 9n, [0]);
    await waitFor("a few retries", () => aggregator.requestsFor(taskIndex, bob.operatorId).length >= 2);
    await t.mine(WINDOW);
    const failed = await waitFor("giving up", () =>
      events.find((e) => e.type === "response-failed" && e.taskIndex === taskIndex),
    );
    expect(failed).toMatchObject({ reason: "window-closed" });
    const count = aggregator.requestsFor(taskIndex, bob.operatorId).length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(aggregator.requestsFor(taskIndex, bob.operatorId)).toHaveLength(count);
  });

  it("after a restart, answers the tasks created while it was down that are still open, and ignores expired ones", async () => {
    const first = await run(alice);
    const before = await createTask(1n, 1n, [0]);
    await waitFor("the answer before the stop", () =>
      aggregator.requestsFor(before, alice.operatorId).find((r) => r.status === 202),
    );
    await first.op.stop("simulated crash");

    // While down: one task that will have expired by the restart, one that is still open.
    const expired = await createTask(2n, 2n, [0]);
    const createdAt = Number(await t.publicClient.getBlockNumber({ cacheTime: 0 }));
    await t.mine(WINDOW - 2);
    const open = await createTask(3n, 4n, [0, 1]);
    expect(Number(await t.publicClient.getBlockNumber({ cacheTime: 0 }))).toBe(createdAt + WINDOW - 1);
    await t.mine(1); // the head now sits on the expired task's deadline: too late to land a response

    const { op, events } = await run(alice);
    await waitFor("the open task's answer", () =>
      aggregator.requestsFor(open, alice.operatorId).find((r) => r.status === 202),
    );
    await op.idle();
    expect(aggregator.requestsFor(open, alice.operatorId).find((r) => r.status === 202)?.sum).toBe(7n);
    expect(events.find((e) => e.type === "task-skipped" && e.taskIndex === expired)).toMatchObject({
      reason: "expired",
    });
    expect(aggregator.requestsFor(expired, alice.operatorId)).toEqual([]);
    // The task answered before the crash has expired too: not sent again.
    expect(aggregator.requestsFor(before, alice.operatorId)).toHaveLength(1);
  });
});

describe("test-only misbehaviour", () => {
  it("--wrong-answer-fraction 1 answers every task wrongly, with a valid signature over the wrong sum", async () => {
    const { events } = await run(bob, { testing: { wrongAnswerFraction: 1 } });
    const first = await createTask(10n, 20n, [0]);
    const second = await createTask(1n, 1n, [0]);
    for (const [taskIndex, honest] of [
      [first, 30n],
      [second, 2n],
    ] as const) {
      const request = await waitFor("the wrong answer", () =>
        aggregator.requestsFor(taskIndex, bob.operatorId).find((r) => r.status === 202),
      );
      expect(request.sum).toBe(honest + 1n);
      expect(request.verdict).toBe("valid");
    }
    const signed = events.filter(
      (e) => e.type === "response-signed" && (e.taskIndex === first || e.taskIndex === second),
    );
    expect(signed.map((e) => e.type === "response-signed" && e.wrong)).toEqual([true, true]);
  });

  it("--fault-mode sends malformed and forged signatures (refused) before the honest one", async () => {
    const { events } = await run(bob, {
      testing: { requests: ["malformed-signature", "forged-signature", "malformed-body", "honest"] },
    });
    const taskIndex = await createTask(4n, 4n, [0]);
    await waitFor("all four requests", () =>
      events.find((e) => e.type === "response-accepted" && e.taskIndex === taskIndex),
    );
    const verdicts = aggregator.requests
      .filter((r) => r.taskIndex === taskIndex)
      .map((r) => [r.verdict, r.status]);
    expect(verdicts).toEqual([
      ["malformed-signature", 400],
      ["invalid-signature", 422],
      ["malformed-body", 400],
      ["valid", 202],
    ]);
  });
});

describe("the CLI's run command", () => {
  it("runs from flags and AVSKIT_* env vars until told to stop", async () => {
    const taskIndexPromise = (async () => {
      // Give the CLI a moment to start watching, then post a task for it.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      return createTask(20n, 22n, [0]);
    })();
    const result = await (async () => {
      const out: string[] = [];
      const code = await runCli(
        [
          "run",
          "--bls-key",
          "bob",
          "--metrics-address",
          "none",
          "--poll-interval",
          "100ms",
          "--log-level",
          "silent",
        ],
        {
          out: (text) => out.push(text),
          err: (text) => out.push(text),
          env: {
            AVSKIT_RPC_URL: t.rpcUrl,
            AVSKIT_DEPLOYMENTS_DIR: t.deploymentsDir,
            AVSKIT_KEYS_DIR: join(t.dir, "keys"),
            AVSKIT_AGGREGATOR_URL: aggregator.url,
            AVSKIT_BLS_KEY_PASSWORD: PASSWORD,
          },
          readStdin: async () => "",
          waitForStop: async (stop) => {
            const taskIndex = await taskIndexPromise;
            await waitFor("the CLI operator's answer", () =>
              aggregator.requestsFor(taskIndex, bob.operatorId).find((r) => r.status === 202),
            );
            await stop("test");
          },
        },
      );
      return { code, out: out.join("\n") };
    })();
    expect(result.code, result.out).toBe(0);
    const taskIndex = await taskIndexPromise;
    expect(aggregator.requestsFor(taskIndex, bob.operatorId).find((r) => r.status === 202)?.sum).toBe(42n);
  });

  it("runs as a separate process (the built bin) and exits 0 on SIGTERM", async () => {
    // The devnet starts operators this way; this needs `npm run build` (turbo builds before tests).
    const bin = fileURLToPath(new URL("../dist/src/cli.js", import.meta.url));
    if (!existsSync(bin)) throw new Error(`${bin} is missing: build the package first (npm run build)`);
    const child = spawn(
      process.execPath,
      [bin, "run", "--bls-key", "alice", "--metrics-address", "127.0.0.1:0"],
      {
        env: {
          ...process.env,
          AVSKIT_RPC_URL: t.rpcUrl,
          AVSKIT_DEPLOYMENTS_DIR: t.deploymentsDir,
          AVSKIT_KEYS_DIR: join(t.dir, "keys"),
          AVSKIT_AGGREGATOR_URL: aggregator.url,
          AVSKIT_BLS_KEY_PASSWORD: PASSWORD,
          AVSKIT_POLL_INTERVAL: "100ms",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await waitFor(
        "the process to start watching",
        () => output.includes('"msg":"operator running"'),
        20_000,
      );
      const taskIndex = await createTask(6n, 7n, [1]);
      await waitFor("the process's answer", () =>
        aggregator.requestsFor(taskIndex, alice.operatorId).find((r) => r.status === 202),
      );
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(output).toContain('"msg":"operator stopped"');
      expect(output).not.toContain(PASSWORD);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("labels the misbehaviour options as test-only in --help and validates them", async () => {
    const help = await cli(["run", "--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/--wrong-answer-fraction <0\.\.1>\s+TEST ONLY/);
    expect(help.out).toMatch(/--fault-mode <kinds>\s+TEST ONLY/);
    expect(help.out).toMatch(/--aggregator-url <url>[^[]+\[env\s+AVSKIT_AGGREGATOR_URL; required\]/);
    const bad = await cli([
      "run",
      "--bls-key",
      "bob",
      "--aggregator-url",
      aggregator.url,
      "--wrong-answer-fraction",
      "1.5",
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/invalid --wrong-answer-fraction \(env AVSKIT_WRONG_ANSWER_FRACTION\)/);
  });
});
