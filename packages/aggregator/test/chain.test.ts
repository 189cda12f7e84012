import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { taskResponseDigest as responseDigest, type TaskResponse } from "@avskit/aggregator-api";
import { taskManagerAbi } from "@avskit/bindings";
import { G1, g1ToSolidity, signDigest } from "@avskit/bls";
import { createLogger } from "@avskit/runtime";
import { encodeAbiParameters, encodePacked, type Hex, keccak256, parseEventLogs } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskEvent } from "../src/aggregator.js";
import type { SameMessageBatchVerifier } from "../src/batcher.js";
import { resolveAggregatorConfig } from "../src/options.js";
import { type RunningAggregator, startAggregator } from "../src/service.js";
import { BIN } from "./support/bin.js";
import {
  type ChainOperator,
  createTask,
  mine,
  quorumsFor,
  recordedResponse,
  registerOperators,
  startTestAvs,
  type TestAvs,
} from "./support/chain.js";

/**
 * The aggregator against a real deployment on anvil over JSON-RPC: tasks from chain events,
 * operator sets from the registries, respondToTask accepted by the on-chain signature check.
 * Operators: 0 in both quorums (counts twice), 1 and 4 in quorum 0, 2 in quorum 1, 3 in both.
 */
let avs: TestAvs;
let ops: ChainOperator[];
const logger = createLogger({
  name: "aggregator-test",
  level: process.env.TEST_LOG === "1" ? "debug" : "silent",
});

beforeAll(async () => {
  avs = await startTestAvs({ quorums: quorumsFor(2, 32) });
  const E18 = 10n ** 18n;
  ops = await registerOperators(avs, [
    { quorums: [0, 1], stake: 10n * E18 },
    { quorums: [0], stake: 10n * E18 },
    { quorums: [1], stake: 10n * E18 },
    { quorums: [0, 1], stake: 10n * E18 },
    { quorums: [0], stake: 5n * E18 },
  ]);
}, 120_000);

afterAll(async () => {
  await avs?.stop();
});

async function start(
  events: TaskEvent[] = [],
  overrides: Record<string, unknown> = {},
  verifier?: SameMessageBatchVerifier,
): Promise<RunningAggregator> {
  const config = resolveAggregatorConfig({
    rpcUrl: avs.rpcUrl,
    deploymentsDir: avs.deploymentsDir,
    ecdsaPrivateKey: avs.aggregatorKey,
    listen: "127.0.0.1:0",
    metricsAddr: "none",
    pollInterval: "100ms",
    collectionWindow: "0",
    ...overrides,
  });
  return startAggregator(config, {
    logger,
    onEvent: (event) => events.push(event),
    ...(verifier ? { verifier } : {}),
  });
}

function signedBody(
  op: ChainOperator,
  response: TaskResponse,
  signature = signDigest(op.bls.secretKey, responseDigest(response)),
) {
  const { X, Y } = g1ToSolidity(signature);
  return {
    operatorId: op.operatorId,
    response: { referenceTaskIndex: response.referenceTaskIndex, sum: response.sum.toString() },
    signature: { X: `0x${X.toString(16)}`, Y: Y.toString() },
  };
}

async function post(aggregator: RunningAggregator, taskIndex: number, body: unknown) {
  const reply = await fetch(`${aggregator.url}/v1/tasks/${taskIndex}/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: reply.status, body: (await reply.json()) as { code?: string; accepted?: boolean } };
}

/** Posts until the aggregator knows the task (operators retry TASK_NOT_FOUND the same way). */
async function postWithRetry(aggregator: RunningAggregator, taskIndex: number, body: unknown) {
  for (let attempt = 0; ; attempt++) {
    const reply = await post(aggregator, taskIndex, body);
    if (reply.body.code !== "TASK_NOT_FOUND" || attempt > 100) return reply;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function until<T>(find: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function respondedLogs(taskIndex: number) {
  const logs = await avs.client.getLogs({ address: avs.taskManager, fromBlock: 0n });
  return parseEventLogs({ abi: taskManagerAbi, logs, eventName: "TaskResponded" }).filter(
    (log) => log.args.taskResponse.referenceTaskIndex === taskIndex,
  );
}

describe("aggregator on anvil", () => {
  it("aggregates the right answer across two quorums; forged, malformed and wrong answers never mix in", async () => {
    const events: TaskEvent[] = [];
    const aggregator = await start(events);
    try {
      const created = await createTask(avs, { a: 20n, b: 22n, threshold: 50, quorums: [0, 1] });
      const right = { referenceTaskIndex: created.taskIndex, sum: 42n };
      const wrong = { referenceTaskIndex: created.taskIndex, sum: 43n };

      // A forged signature (op 2's signature claimed by op 1), an off-key point and a malformed body.
      const forged = signedBody(ops[1]!, right, signDigest(ops[2]!.bls.secretKey, responseDigest(right)));
      expect((await postWithRetry(aggregator, created.taskIndex, forged)).body.code).toBe(
        "SIGNATURE_INVALID",
      );
      expect((await post(aggregator, created.taskIndex, signedBody(ops[1]!, right, G1.BASE))).body.code).toBe(
        "SIGNATURE_INVALID",
      );
      expect(
        (await post(aggregator, created.taskIndex, { ...forged, signature: { X: "1", Y: "1" } })).body.code,
      ).toBe("INVALID_SIGNATURE_POINT");
      expect((await post(aggregator, created.taskIndex, { operatorId: ops[1]!.operatorId })).status).toBe(
        400,
      );
      // Op 3 answers wrongly (accepted into its own digest group), op 4 stays offline.
      expect((await post(aggregator, created.taskIndex, signedBody(ops[3]!, wrong))).status).toBe(202);
      expect((await post(aggregator, created.taskIndex, signedBody(ops[3]!, right))).body.code).toBe(
        "DUPLICATE_RESPONSE",
      );
      expect((await post(aggregator, created.taskIndex, signedBody(ops[0]!, right))).status).toBe(202);
      expect((await post(aggregator, created.taskIndex, signedBody(ops[2]!, right))).status).toBe(202);
      // Quorum 0 has 10 + 0 of 35 signed so far (op 0 counts in both quorums): op 1 tips it over 50 %.
      expect((await post(aggregator, created.taskIndex, signedBody(ops[1]!, right))).status).toBe(202);

      const responded = await until(() =>
        events.find((e) => e.kind === "responded" && e.taskIndex === created.taskIndex),
      );
      if (responded.kind !== "responded") throw new Error("unreachable");
      expect(responded.gasUsed).toBeGreaterThan(100_000n);
      const logs = await respondedLogs(created.taskIndex);
      expect(logs).toHaveLength(1);
      const { taskResponse, taskResponseMetadata } = logs[0]!.args;
      expect(taskResponse.sum).toBe(42n);
      // Non-signers recorded on-chain: op 3 (wrong answer) and op 4 (offline), ascending by id.
      const nonSigners = [ops[3]!.operatorId, ops[4]!.operatorId].sort() as Hex[];
      expect(taskResponseMetadata.hashOfNonSigners).toBe(
        keccak256(encodePacked(["uint32", "bytes32[]"], [created.task.taskCreatedBlock, nonSigners])),
      );
      expect(await recordedResponse(avs, created.taskIndex)).toBe(
        keccak256(
          encodeAbiParameters(
            [
              { type: "tuple", components: [{ type: "uint32" }, { type: "uint256" }] },
              { type: "tuple", components: [{ type: "uint32" }, { type: "bytes32" }] },
            ],
            [
              [created.taskIndex, 42n],
              [taskResponseMetadata.taskRespondedBlock, taskResponseMetadata.hashOfNonSigners],
            ],
          ),
        ),
      );
      // Late signatures are told the task is done; nothing more is sent.
      expect((await post(aggregator, created.taskIndex, signedBody(ops[4]!, right))).body.code).toBe(
        "TASK_ALREADY_RESPONDED",
      );
      expect(events.filter((e) => e.kind === "sent")).toHaveLength(1);
      const metrics = await aggregator.registry.metrics();
      expect(metrics).toMatch(/avskit_aggregator_tasks_completed_total 1/);
      expect(metrics).toMatch(/avskit_aggregator_signatures_invalid_total 2/);
      expect(metrics).toMatch(/avskit_aggregator_respond_gas_used_count 1/);
    } finally {
      await aggregator.stop();
    }
  }, 60_000);

  it("completes a task inside its window after being stopped mid-task and restarted", async () => {
    const events: TaskEvent[] = [];
    let aggregator = await start(events);
    const created = await createTask(avs, { a: 1n, b: 2n, threshold: 100, quorums: [0] });
    const right = { referenceTaskIndex: created.taskIndex, sum: 3n };
    try {
      for (const op of [ops[0]!, ops[1]!]) {
        expect((await postWithRetry(aggregator, created.taskIndex, signedBody(op, right))).status).toBe(202);
      }
    } finally {
      await aggregator.stop("simulated crash");
    }
    await mine(avs, 3); // blocks pass while it is down
    aggregator = await start(events);
    try {
      // The restarted aggregator found the task in past logs; operators resend (their retry loop).
      for (const op of [ops[0]!, ops[1]!, ops[3]!, ops[4]!]) {
        expect((await postWithRetry(aggregator, created.taskIndex, signedBody(op, right))).status).toBe(202);
      }
      await until(() => events.find((e) => e.kind === "responded" && e.taskIndex === created.taskIndex));
      const logs = await respondedLogs(created.taskIndex);
      expect(logs).toHaveLength(1);
      expect(BigInt(logs[0]!.args.taskResponseMetadata.taskRespondedBlock)).toBeLessThanOrEqual(
        BigInt(created.task.taskCreatedBlock) + 30n,
      );
    } finally {
      await aggregator.stop();
    }
    // A third start sees the response in the logs and never submits the task again.
    aggregator = await start(events);
    try {
      expect((await post(aggregator, created.taskIndex, signedBody(ops[1]!, right))).body.code).toBe(
        "TASK_ALREADY_RESPONDED",
      );
      expect(events.filter((e) => e.kind === "sent" && e.taskIndex === created.taskIndex)).toHaveLength(1);
    } finally {
      await aggregator.stop();
    }
  }, 60_000);

  it("if verification ever let a bad signature through, the chain's check refuses the aggregate and it is dropped", async () => {
    const events: TaskEvent[] = [];
    const acceptEverything: SameMessageBatchVerifier = () => [];
    const aggregator = await start(events, {}, acceptEverything);
    try {
      const created = await createTask(avs, { a: 2n, b: 2n, threshold: 50, quorums: [0] });
      const right = { referenceTaskIndex: created.taskIndex, sum: 4n };
      expect(
        (await postWithRetry(aggregator, created.taskIndex, signedBody(ops[1]!, right, G1.BASE))).status,
      ).toBe(202);
      // Op 0 tips quorum 0 to 20 of 35: the simulation refuses the aggregate (InvalidSignature).
      expect((await post(aggregator, created.taskIndex, signedBody(ops[0]!, right))).status).toBe(202);
      await until(() =>
        aggregator.aggregator.describeTask(created.taskIndex).status === "collecting" ? true : undefined,
      );
      expect(events.filter((e) => e.kind === "sent")).toHaveLength(0);
      expect((await post(aggregator, created.taskIndex, signedBody(ops[3]!, right))).status).toBe(202);
      await until(() => events.find((e) => e.kind === "responded" && e.taskIndex === created.taskIndex));
      const [log] = await respondedLogs(created.taskIndex);
      const nonSigners = [ops[1]!.operatorId, ops[4]!.operatorId].sort() as Hex[];
      expect(log!.args.taskResponseMetadata.hashOfNonSigners).toBe(
        keccak256(encodePacked(["uint32", "bytes32[]"], [created.task.taskCreatedBlock, nonSigners])),
      );
      expect(events.filter((e) => e.kind === "sent")).toHaveLength(1);
    } finally {
      await aggregator.stop();
    }
  }, 60_000);

  it("expires a task by block number and frees it", async () => {
    const events: TaskEvent[] = [];
    const aggregator = await start(events);
    try {
      const created = await createTask(avs, { a: 5n, b: 5n, threshold: 100, quorums: [1] });
      const right = { referenceTaskIndex: created.taskIndex, sum: 10n };
      expect((await postWithRetry(aggregator, created.taskIndex, signedBody(ops[0]!, right))).status).toBe(
        202,
      );
      await mine(avs, 31);
      await until(() => events.find((e) => e.kind === "expired" && e.taskIndex === created.taskIndex));
      expect((await post(aggregator, created.taskIndex, signedBody(ops[2]!, right))).body.code).toBe(
        "TASK_EXPIRED",
      );
      expect(aggregator.aggregator.load).toEqual({ tasks: 0, timers: 0, submitting: 0 });
      expect(await aggregator.registry.metrics()).toMatch(/avskit_aggregator_tasks_expired_total 1/);
      expect(await recordedResponse(avs, created.taskIndex)).toBe(`0x${"00".repeat(32)}`);
    } finally {
      await aggregator.stop();
    }
  }, 60_000);

  it("two aggregators with the same key: the task is responded once and the loser treats it as done", async () => {
    const eventsA: TaskEvent[] = [];
    const eventsB: TaskEvent[] = [];
    const a = await start(eventsA);
    const b = await start(eventsB);
    try {
      const created = await createTask(avs, { a: 7n, b: 8n, threshold: 60, quorums: [0] });
      const right = { referenceTaskIndex: created.taskIndex, sum: 15n };
      for (const op of [ops[0]!, ops[1]!, ops[3]!]) {
        const [ra, rb] = await Promise.all([
          postWithRetry(a, created.taskIndex, signedBody(op, right)),
          postWithRetry(b, created.taskIndex, signedBody(op, right)),
        ]);
        expect([ra.status, rb.status].every((s) => s === 202 || s === 409)).toBe(true);
      }
      const done = (events: TaskEvent[]) =>
        events.find(
          (e) =>
            (e.kind === "responded" || e.kind === "already-responded") && e.taskIndex === created.taskIndex,
        );
      await until(() => (done(eventsA) && done(eventsB) ? true : undefined));
      expect(await respondedLogs(created.taskIndex)).toHaveLength(1);
      const kinds = [done(eventsA)!.kind, done(eventsB)!.kind].sort();
      expect(kinds).toEqual(["already-responded", "responded"]);
      expect([...eventsA, ...eventsB].some((e) => e.kind === "failed")).toBe(false);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 60_000);

  it("the avskit-aggregator bin responds to a task, serves health and metrics, and exits 0 on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [BIN, "--listen", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--poll-interval", "100ms"],
      {
        env: {
          PATH: process.env.PATH,
          AVSKIT_AGGREGATOR_RPC_URL: avs.rpcUrl,
          AVSKIT_AGGREGATOR_DEPLOYMENTS_DIR: avs.deploymentsDir,
          AVSKIT_AGGREGATOR_ECDSA_PRIVATE_KEY: avs.aggregatorKey,
        },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const lines: { msg?: string; url?: string }[] = [];
    createInterface({ input: child.stdout! }).on("line", (line) => lines.push(JSON.parse(line)));
    try {
      const api = await until(() => lines.find((l) => l.msg === "aggregator listening")?.url);
      const ops_ = await until(
        () => lines.find((l) => l.msg === "metrics and health endpoint listening")?.url,
      );
      expect((await fetch(`${api}/health`)).status).toBe(200);
      const created = await createTask(avs, { a: 30n, b: 12n, threshold: 60, quorums: [0] });
      const right = { referenceTaskIndex: created.taskIndex, sum: 42n };
      const client = { url: api } as RunningAggregator;
      for (const op of [ops[0]!, ops[1]!, ops[3]!]) {
        expect((await postWithRetry(client, created.taskIndex, signedBody(op, right))).status).toBe(202);
      }
      await until(() => lines.find((l) => l.msg === "task responded"));
      expect(await recordedResponse(avs, created.taskIndex)).not.toBe(`0x${"00".repeat(32)}`);
      const metrics = await (await fetch(`${ops_}/metrics`)).text();
      expect(metrics).toMatch(/avskit_aggregator_tasks_completed_total 1/);
      expect(metrics).toMatch(/avskit_aggregator_signatures_valid_total 3/);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(lines.some((l) => l.msg === "aggregator stopped")).toBe(true);
  }, 60_000);
});
