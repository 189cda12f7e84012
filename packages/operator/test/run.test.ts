import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { taskManagerAbi } from "@avskit/bindings";
import {
  captureLogs,
  createTask,
  readMetric,
  runCli as runBuiltCli,
  startTestAvs,
  type TestAvs,
  waitFor,
} from "@avskit/integration";
import {
  createLogger,
  createMetricsRegistry,
  type RunningService,
  type ServiceConfigInput,
} from "@avskit/runtime";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type OperatorEvent,
  operatorRunService,
  type ProvisionedOperator,
  provisionDevnetOperator,
  type RunningOperator,
  type runOptions,
} from "../src/index.js";
import { cli } from "./helpers/cli.js";
import { type FakeAggregator, startFakeAggregator } from "./helpers/fake-aggregator.js";

const PASSWORD = "run-test-password";
const E18 = 10n ** 18n;
const WINDOW = 30; // the deployment's TASK_RESPONSE_WINDOW_BLOCK

let avs: TestAvs;
let keysDir: string;
let aggregator: FakeAggregator;
/** In quorums 0 and 1. */
let alice: ProvisionedOperator;
/** In quorum 0 only. */
let bob: ProvisionedOperator;
const running: RunningService<RunningOperator>[] = [];

/** A task at a 50% threshold, created by the task generator; its index. */
async function newTask(a: bigint, b: bigint, quorums: number[]): Promise<number> {
  return (await createTask(avs, { a, b, thresholdPercentage: 50, quorums })).taskIndex;
}

/** The next task's index (to script the fake aggregator's replies before it exists). */
async function nextTaskIndex(): Promise<number> {
  return avs.client.readContract({
    address: alice.contracts.taskManager,
    abi: taskManagerAbi,
    functionName: "latestTaskNum",
  });
}

/** `run` in this process through the service kit, as the CLI starts it, with test-speed timings. */
async function run(
  operator: ProvisionedOperator,
  extra: ServiceConfigInput<typeof runOptions> = {},
  logger = createLogger({ name: "operator-test", level: "silent" }),
): Promise<{ service: RunningService<RunningOperator>; op: RunningOperator; events: OperatorEvent[] }> {
  const events: OperatorEvent[] = [];
  const config = operatorRunService.resolveConfig({
    rpcUrl: avs.rpcUrl,
    deploymentsDir: avs.deploymentsDir,
    keysDir,
    blsKey: operator.name,
    ecdsaKey: operator.name,
    aggregatorUrl: aggregator.url,
    pollInterval: "100ms",
    retryInitialDelay: "50ms",
    retryMaxDelay: "400ms",
    requestTimeout: "2s",
    metricsAddr: "none",
    ...extra,
  });
  const service = await operatorRunService.start(config, {
    logger,
    registry: createMetricsRegistry({ defaultMetrics: false }),
    env: { AVSKIT_BLS_KEY_PASSWORD: PASSWORD, AVSKIT_ECDSA_KEY_PASSWORD: PASSWORD },
    deps: { onEvent: (event) => events.push(event) },
  });
  running.push(service);
  return { service, op: service.handle, events };
}

/** A counter of the operator's own registry, summed over its labels. */
async function readRegistryMetric(service: RunningService<RunningOperator>, name: string): Promise<number> {
  const metric = await service.registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

beforeAll(async () => {
  avs = await startTestAvs();
  keysDir = await mkdtemp(join(tmpdir(), "avskit-operator-run-keys-"));
  const common = {
    rpcUrl: avs.rpcUrl,
    deploymentsDir: avs.deploymentsDir,
    funderPrivateKey: avs.anvil.accounts[0]!.privateKey,
    keysDir,
    password: PASSWORD,
    depositAmount: 50n * E18,
  };
  alice = await provisionDevnetOperator({ ...common, name: "alice", quorums: [0, 1] });
  bob = await provisionDevnetOperator({ ...common, name: "bob", quorums: [0] });
  aggregator = await startFakeAggregator(
    new Map(
      [alice, bob].map((op) => [
        op.operatorId.toLowerCase(),
        { publicKeyG2: op.blsKeyPair.publicKeyG2, address: op.address },
      ]),
    ),
    { chainId: await avs.client.getChainId(), taskManager: alice.contracts.taskManager },
  );
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.stop("test done")));
});

afterAll(async () => {
  await aggregator?.close();
  await avs?.stop();
  if (keysDir) await rm(keysDir, { recursive: true, force: true });
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
    const { service, events } = await run(alice, { metricsAddr: "127.0.0.1:0" });
    const taskIndex = await newTask(7n, 35n, [0]);
    const request = await waitFor(
      "alice's response",
      () => aggregator.requestsFor(taskIndex, alice.operatorId).find((r) => r.status === 202),
      15_000,
    );
    expect(request.verdict).toBe("valid");
    expect(request.sum).toBe(42n);
    expect(request.body).toMatchObject({ response: { referenceTaskIndex: taskIndex, sum: "42" } });

    const url = service.opsUrl!;
    await waitFor("the acceptance", () => events.find((e) => e.type === "response-accepted"), 15_000);
    expect(await readMetric(`${url}/metrics`, "avskit_operator_tasks_seen_total")).toBe(1);
    expect(await readMetric(`${url}/metrics`, "avskit_operator_tasks_signed_total")).toBe(1);
    expect(await readMetric(`${url}/metrics`, "avskit_operator_responses_sent_total")).toBe(1);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ healthy: true, operatorId: alice.operatorId });
  });

  it("logs in with its ECDSA key before its first response, and again once the aggregator forgot the session", async () => {
    const logs = captureLogs("operator");
    const { op, events } = await run(bob, {}, logs.logger);
    await op.idle(); // tasks of earlier tests still open are answered first
    const loginsBefore = aggregator.logins.length;
    const first = await newTask(2n, 3n, [0]);
    await waitFor(
      "the first answer",
      () => events.find((e) => e.type === "response-accepted" && e.taskIndex === first),
      15_000,
    );
    await op.idle();
    // The aggregator restarts: the token bob holds is unknown now.
    aggregator.forgetSessions();
    const second = await newTask(3n, 4n, [0]);
    await waitFor(
      "the second answer",
      () => events.find((e) => e.type === "response-accepted" && e.taskIndex === second),
      15_000,
    );
    expect(aggregator.requestsFor(second, bob.operatorId).map((r) => r.status)).toEqual([401, 202]);
    expect(aggregator.logins.slice(loginsBefore)).toEqual([
      { operatorId: bob.operatorId.toLowerCase(), status: 201 },
    ]);
    const loggedIn = logs.lines.filter((l) => l.msg === "logged in to the aggregator");
    expect(loggedIn.map((l) => l.reason)).toEqual(["first", "refused"]);
    expect(loggedIn[0]).toMatchObject({ expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    // The tokens are secrets: never in the log.
    const logged = JSON.stringify(logs.lines);
    expect(aggregator.issuedTokens.length).toBeGreaterThan(1);
    for (const token of aggregator.issuedTokens) expect(logged).not.toContain(token);
  });

  it("a response whose reply comes too late is resent, and the aggregator already having it counts as accepted", async () => {
    const logs = captureLogs("operator");
    const { op, events, service } = await run(alice, { requestTimeout: "300ms" }, logs.logger);
    await op.idle();
    const sent = () => readRegistryMetric(service, "avskit_operator_responses_sent_total");
    const sentBefore = await sent();
    const next = await nextTaskIndex();
    // The aggregator counts the response at once but answers after the client gave up on it.
    aggregator.slowReplies.set(next, 1_500);
    const taskIndex = await newTask(8n, 9n, [0]);
    expect(taskIndex).toBe(next);
    const accepted = await waitFor(
      "the acceptance",
      () => events.find((e) => e.type === "response-accepted" && e.taskIndex === taskIndex),
      15_000,
    );
    expect(accepted).toMatchObject({ attempts: 2, duplicate: true });
    expect(aggregator.requestsFor(taskIndex, alice.operatorId).map((r) => [r.verdict, r.status])).toEqual([
      ["valid", 202],
      ["resent", 200],
    ]);
    const line = logs.lines.find(
      (l) => l.msg === "response accepted by the aggregator" && l.taskIndex === taskIndex,
    );
    expect(line).toMatchObject({ attempts: 2, duplicate: true });
    expect(logs.lines.some((l) => /giving up/.test(l.msg) && l.taskIndex === taskIndex)).toBe(false);
    expect(events.some((e) => e.type === "response-failed" && e.taskIndex === taskIndex)).toBe(false);
    expect(await sent()).toBe(sentBefore + 1);
  });

  it("refuses to start with an ECDSA key that is not the operator's registered one", async () => {
    await expect(run(alice, { ecdsaKey: "bob" })).rejects.toThrow(
      new RegExp(
        `${bob.address}.*is not operator ${alice.operatorId}'s registered address ${alice.address}`,
        "i",
      ),
    );
  });

  it("skips tasks of quorums it is not in", async () => {
    const { op, events } = await run(bob);
    const taskIndex = await newTask(1n, 2n, [1]);
    await waitFor(
      "the skip",
      () => events.find((e) => e.type === "task-skipped" && e.taskIndex === taskIndex),
      15_000,
    );
    await op.idle();
    expect(events.find((e) => e.type === "task-skipped" && e.taskIndex === taskIndex)).toMatchObject({
      reason: "not-in-quorums",
    });
    expect(aggregator.requestsFor(taskIndex, bob.operatorId)).toEqual([]);
  });

  it("retries with growing delays while the aggregator answers TASK_NOT_FOUND, then succeeds", async () => {
    const { events } = await run(bob);
    const next = await nextTaskIndex();
    aggregator.refusals.set(next, { status: 404, code: "TASK_NOT_FOUND", retryable: true, times: 3 });
    const taskIndex = await newTask(100n, 23n, [0]);
    expect(taskIndex).toBe(next);
    await waitFor(
      "acceptance",
      () => events.find((e) => e.type === "response-accepted" && e.taskIndex === taskIndex),
      15_000,
    );
    const attempts = aggregator.requestsFor(taskIndex, bob.operatorId);
    expect(attempts.map((r) => r.status)).toEqual([404, 404, 404, 202]);
    const gaps = attempts.slice(1).map((r, i) => r.at - attempts[i]!.at);
    // Delays of [25, 50], [50, 100] and [100, 200] ms (equal jitter on 50·2^n), plus latency.
    expect(gaps[0]).toBeGreaterThanOrEqual(20);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
  });

  it("gives up at once on a non-retryable refusal and logs its code", async () => {
    const { service, events } = await run(bob);
    const next = await nextTaskIndex();
    aggregator.refusals.set(next, { status: 403, code: "OPERATOR_NOT_IN_QUORUMS", retryable: false });
    const taskIndex = await newTask(5n, 5n, [0]);
    const failed = await waitFor(
      "the failure",
      () => events.find((e) => e.type === "response-failed" && e.taskIndex === taskIndex),
      15_000,
    );
    expect(failed).toMatchObject({ reason: "OPERATOR_NOT_IN_QUORUMS", attempts: 1 });
    expect(aggregator.requestsFor(taskIndex, bob.operatorId)).toHaveLength(1);
    const failedMetric = await service.registry.getSingleMetricAsString(
      "avskit_operator_responses_failed_total",
    );
    expect(failedMetric).toContain('reason="OPERATOR_NOT_IN_QUORUMS"} 1');
  });

  it("stops retrying when the response window closes", async () => {
    const { op, events } = await run(bob);
    const next = await nextTaskIndex();
    aggregator.refusals.set(next, { status: 404, code: "TASK_NOT_FOUND", retryable: true });
    const taskIndex = await newTask(9n, 9n, [0]);
    await waitFor(
      "a few retries",
      () => aggregator.requestsFor(taskIndex, bob.operatorId).length >= 2,
      15_000,
    );
    await avs.testClient.mine({ blocks: WINDOW });
    const failed = await waitFor(
      "giving up",
      () => events.find((e) => e.type === "response-failed" && e.taskIndex === taskIndex),
      15_000,
    );
    expect(failed).toMatchObject({ reason: "window-closed" });
    const count = aggregator.requestsFor(taskIndex, bob.operatorId).length;
    // Nothing is left in flight (no retry loop survives the give-up), so no request can follow.
    await op.idle();
    expect(aggregator.requestsFor(taskIndex, bob.operatorId)).toHaveLength(count);
  });

  it("after a restart, answers the tasks created while it was down that are still open, and ignores expired ones", async () => {
    const first = await run(alice);
    const before = await newTask(1n, 1n, [0]);
    await waitFor(
      "the answer before the stop",
      () => aggregator.requestsFor(before, alice.operatorId).find((r) => r.status === 202),
      15_000,
    );
    expect(await first.service.stop("simulated crash")).toBe(0);

    // While down: one task that will have expired by the restart, one that is still open.
    const expired = await newTask(2n, 2n, [0]);
    const createdAt = await avs.blockNumber();
    await avs.testClient.mine({ blocks: WINDOW - 2 });
    const open = await newTask(3n, 4n, [0, 1]);
    expect(await avs.blockNumber()).toBe(createdAt + WINDOW - 1);
    await avs.testClient.mine({ blocks: 1 }); // the head now sits on the expired task's deadline: too late to land a response

    const { op, events } = await run(alice);
    await waitFor(
      "the open task's answer",
      () => aggregator.requestsFor(open, alice.operatorId).find((r) => r.status === 202),
      15_000,
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

describe("test-only misbehaviour (a wrapper around the honest sender)", () => {
  it("--wrong-answer-fraction 1 answers every task wrongly, with a valid signature over the wrong sum", async () => {
    const { service, events } = await run(bob, { wrongAnswerFraction: "1" });
    const first = await newTask(10n, 20n, [0]);
    const second = await newTask(1n, 1n, [0]);
    for (const [taskIndex, honest] of [
      [first, 30n],
      [second, 2n],
    ] as const) {
      const request = await waitFor(
        "the wrong answer",
        () => aggregator.requestsFor(taskIndex, bob.operatorId).find((r) => r.status === 202),
        15_000,
      );
      expect(request.sum).toBe(honest + 1n);
      expect(request.verdict).toBe("valid");
    }
    // The two tasks are handled concurrently: their events may come in either order.
    const indexOf = (e: OperatorEvent) => ("taskIndex" in e ? e.taskIndex : e.task.taskIndex);
    const byTask = (a: OperatorEvent, b: OperatorEvent) => indexOf(a) - indexOf(b);
    const wrong = events
      .filter((e) => e.type === "wrong-answer" && (e.taskIndex === first || e.taskIndex === second))
      .sort(byTask);
    expect(wrong).toEqual([
      { type: "wrong-answer", taskIndex: first, honestSum: 30n, sum: 31n },
      { type: "wrong-answer", taskIndex: second, honestSum: 2n, sum: 3n },
    ]);
    // The honest sender signed what the wrapper handed it.
    const signed = events
      .filter((e) => e.type === "response-signed" && (e.taskIndex === first || e.taskIndex === second))
      .sort(byTask);
    expect(signed.map((e) => e.type === "response-signed" && e.sum)).toEqual([31n, 3n]);
    // Every wrong answer is counted (tasks still open from earlier tests get wrong answers too).
    const allWrong = events.filter((e) => e.type === "wrong-answer").length;
    expect(await service.registry.getSingleMetricAsString("avskit_operator_wrong_answers_total")).toMatch(
      new RegExp(`^avskit_operator_wrong_answers_total ${allWrong}$`, "m"),
    );
  });

  it("--fault-mode sends malformed and forged signatures (refused) before the honest one", async () => {
    const { events } = await run(bob, {
      faultMode: "malformed-signature,forged-signature,malformed-body,honest",
    });
    const taskIndex = await newTask(4n, 4n, [0]);
    await waitFor(
      "all four requests",
      () => events.find((e) => e.type === "response-accepted" && e.taskIndex === taskIndex),
      15_000,
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
    const faults = events.filter((e) => e.type === "faulty-request" && e.taskIndex === taskIndex);
    expect(faults.map((e) => e.type === "faulty-request" && [e.kind, e.outcome])).toEqual([
      ["malformed-signature", "INVALID_SIGNATURE_POINT"],
      ["forged-signature", "SIGNATURE_INVALID"],
      ["malformed-body", "INVALID_REQUEST"],
    ]);
  });
});

describe("the CLI's run command", () => {
  it("runs from flags, AVSKIT_* env vars and a --config file until told to stop", async () => {
    const logs = captureLogs();
    const stop = new AbortController();
    const configFile = join(keysDir, "run-config.json");
    await writeFile(configFile, JSON.stringify({ "keys-dir": keysDir, "aggregator-url": aggregator.url }));
    const result = cli(
      [
        "run",
        "--bls-key",
        "bob",
        "--ecdsa-key",
        "bob",
        "--metrics-addr",
        "none",
        "--poll-interval",
        "100ms",
        "--config",
        configFile,
      ],
      {
        env: {
          AVSKIT_RPC_URL: avs.rpcUrl,
          AVSKIT_DEPLOYMENTS_DIR: avs.deploymentsDir,
          AVSKIT_BLS_KEY_PASSWORD: PASSWORD,
          AVSKIT_ECDSA_KEY_PASSWORD: PASSWORD,
          // The flag wins over its env var.
          AVSKIT_POLL_INTERVAL: "1h",
        },
        logDestination: logs.stream,
        stop: stop.signal,
      },
    );
    try {
      const started = await waitFor(
        "the CLI operator to start",
        () => logs.lines.find((l) => l.msg === "operator started"),
        20_000,
      );
      expect(started).toMatchObject({ aggregatorUrl: aggregator.url, pollIntervalMs: 100 });
      const taskIndex = await newTask(20n, 22n, [0]);
      const answer = await waitFor(
        "the CLI operator's answer",
        () => aggregator.requestsFor(taskIndex, bob.operatorId).find((r) => r.status === 202),
        15_000,
      );
      expect(answer.sum).toBe(42n);
    } finally {
      stop.abort();
    }
    const { code, err } = await result;
    expect(code, err).toBe(0);
    expect(logs.lines.filter((l) => l.msg === "operator stopped")).toHaveLength(1);
  });

  it("exits 1 with a one-line reason when it cannot start (wrong key password), and logs no secret", async () => {
    const logs = captureLogs();
    const result = await cli(["run", "--bls-key", "bob", "--aggregator-url", aggregator.url], {
      env: { AVSKIT_KEYS_DIR: keysDir, AVSKIT_BLS_KEY_PASSWORD: "not-the-password" },
      logDestination: logs.stream,
      stop: new AbortController().signal,
    });
    expect(result.code).toBe(1);
    const fatal = logs.lines.find((l) => l.msg.startsWith("cannot start:"));
    expect(fatal?.msg).toMatch(/cannot start: wrong password for the key file .*bob\.bls\.key\.json/);
    expect(JSON.stringify(logs.lines)).not.toContain("not-the-password");

    // The ECDSA keystore's password is checked the same way.
    const ecdsaLogs = captureLogs();
    const wrongEcdsa = await cli(
      ["run", "--bls-key", "bob", "--ecdsa-key", "bob", "--aggregator-url", aggregator.url],
      {
        env: {
          AVSKIT_KEYS_DIR: keysDir,
          AVSKIT_BLS_KEY_PASSWORD: PASSWORD,
          AVSKIT_ECDSA_KEY_PASSWORD: "not-the-ecdsa-password",
        },
        logDestination: ecdsaLogs.stream,
        stop: new AbortController().signal,
      },
    );
    expect(wrongEcdsa.code).toBe(1);
    expect(ecdsaLogs.lines.find((l) => l.msg.startsWith("cannot start:"))?.msg).toMatch(
      /wrong password for the key file .*bob\.ecdsa\.key\.json/,
    );
    expect(JSON.stringify(ecdsaLogs.lines)).not.toContain("not-the-ecdsa-password");
  });

  it("needs the ECDSA key to log in to the aggregator, and says how to give it", async () => {
    const logs = captureLogs();
    const result = await cli(["run", "--bls-key", "bob", "--aggregator-url", aggregator.url], {
      env: { AVSKIT_KEYS_DIR: keysDir, AVSKIT_BLS_KEY_PASSWORD: PASSWORD },
      logDestination: logs.stream,
      stop: new AbortController().signal,
    });
    expect(result.code).toBe(2);
    expect(`${result.err}${JSON.stringify(logs.lines)}`).toMatch(
      /no ECDSA key.*--ecdsa-key <name\|file>.*AVSKIT_ECDSA_PRIVATE_KEY/,
    );
  });

  it("runs as a separate process (the built bin) and exits 0 on SIGTERM", async () => {
    // The devnet starts operators this way; this needs `npm run build` (turbo builds before tests).
    const bin = fileURLToPath(new URL("../dist/src/cli.js", import.meta.url));
    if (!existsSync(bin)) throw new Error(`${bin} is missing: build the package first (npm run build)`);
    const child = runBuiltCli(bin, ["run", "--bls-key", "alice", "--metrics-addr", "127.0.0.1:0"], {
      AVSKIT_RPC_URL: avs.rpcUrl,
      AVSKIT_DEPLOYMENTS_DIR: avs.deploymentsDir,
      AVSKIT_KEYS_DIR: keysDir,
      AVSKIT_AGGREGATOR_URL: aggregator.url,
      AVSKIT_BLS_KEY_PASSWORD: PASSWORD,
      AVSKIT_ECDSA_KEY: "alice",
      AVSKIT_ECDSA_KEY_PASSWORD: PASSWORD,
      AVSKIT_POLL_INTERVAL: "100ms",
    });
    try {
      const started = await waitFor(
        "the process to start watching",
        () => child.lines.find((l) => l.msg === "operator started"),
        20_000,
      );
      expect(started).toMatchObject({
        operatorId: alice.operatorId,
        opsUrl: expect.stringMatching(/^http:/),
      });
      const taskIndex = await newTask(6n, 7n, [1]);
      await waitFor(
        "the process's answer",
        () => aggregator.requestsFor(taskIndex, alice.operatorId).find((r) => r.status === 202),
        15_000,
      );
      child.child.kill("SIGTERM");
      expect(await child.exited, child.stderr()).toBe(0);
      expect(child.lines.filter((l) => l.msg === "operator stopped")).toHaveLength(1);
      expect(JSON.stringify(child.lines) + child.stderr()).not.toContain(PASSWORD);
    } finally {
      child.child.kill("SIGKILL");
    }
  });

  it("labels the misbehaviour options as test-only in --help and validates them", async () => {
    const help = await cli(["run", "--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/--wrong-answer-fraction <0\.\.1>\s+TEST ONLY/);
    expect(help.out).toMatch(/--fault-mode <kinds>\s+TEST ONLY/);
    expect(help.out).toMatch(/--aggregator-url <url>[^[]+\[env\s+AVSKIT_AGGREGATOR_URL; required\]/);
    expect(help.out).toMatch(
      /--ecdsa-key <name\|file>\s+the operator's registered ECDSA key[^[]+\[env\s+AVSKIT_ECDSA_KEY\]/,
    );
    expect(help.out).toMatch(/--ecdsa-password-file <file>[^[]+AVSKIT_ECDSA_KEY_PASSWORD/);
    expect(help.out).toMatch(
      /--metrics-addr <host:port>[^[]+\[env\s+AVSKIT_METRICS_ADDR; default\s+127\.0\.0\.1:9090\]/,
    );
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
    // A zero interval or timeout would spin (poll, re-send) or fail every request: refused.
    for (const flag of [
      "--poll-interval",
      "--retry-initial-delay",
      "--retry-max-delay",
      "--request-timeout",
    ]) {
      const zero = await cli(["run", "--bls-key", "bob", "--aggregator-url", aggregator.url, flag, "0"]);
      expect(zero.code).toBe(2);
      expect(zero.err).toMatch(
        new RegExp(`invalid ${flag} \\(env AVSKIT_[A-Z_]+\\): "0": must be longer than 0`),
      );
    }
  });
});
