import { readFileSync } from "node:fs";
import { readMetric, waitFor } from "@avskit/integration";
import { encodePacked, type Hex, keccak256 } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultOperatorPlan } from "../src/index.js";
import { type StartedDevnet, startTestDevnet } from "./support/devnet.js";

// Default layout: quorum 0 = operators 1, 2, 4 (100/200/400 tokens), quorum 1 = 1, 3, 4
// (100/300/400). Response window: 30 blocks of 1 s.
const SENT = "avskit_operator_responses_sent_total";
const ATTEMPTS = "avskit_operator_send_attempts_total";

describe("restarts", () => {
  let devnet: StartedDevnet;

  beforeAll(async () => {
    devnet = await startTestDevnet({ plans: defaultOperatorPlan(4) });
    await devnet.startAggregator();
    await Promise.all([devnet.startOperator("operator-1"), devnet.startOperator("operator-2")]);
  });

  afterAll(async () => {
    await devnet?.stop();
  });

  const metric = (name: string, metricName: string) =>
    readMetric(devnet.operatorMetricsUrl(name), metricName);
  const atLeast = (name: string, metricName: string, value: number) =>
    waitFor(`${name}'s ${metricName} ≥ ${value}`, async () =>
      (await metric(name, metricName)) >= value ? true : undefined,
    );
  const responded = (taskIndex: number) =>
    devnet.events.some((e) => e.kind === "task-responded" && e.taskIndex === taskIndex);
  /** A service's JSON log so far (across its restarts: the file is appended to). */
  const logOf = (name: string): { msg: string; [field: string]: unknown }[] => {
    const file = devnet.supervisor.get(name)?.logFile;
    if (file === undefined) throw new Error(`no service ${name}`);
    return readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { msg: string });
  };
  const noneEmpty = (hashOfNonSignersBlock: number) =>
    keccak256(encodePacked(["uint32", "bytes32[]"], [hashOfNonSignersBlock, []]));

  it("aggregator killed mid-task and restarted: the task still completes inside its window", async () => {
    // Threshold 55%: operators 1 and 2 hold 300/700 of quorum 0 and 100/800 of quorum 1 (short
    // of it); afterwards operator 4 alone carries quorum 0 (400/700) but quorum 1 needs operators
    // 3 and 4 together (700/800), so the response names exactly who signed after the restart.
    await devnet.runTaskGenerator({ count: 1, thresholdPercentage: 55 });
    const { task } = await devnet.waitForEvent("task-created", (e) => e.task.taskIndex === 0);
    // The aggregator holds the open task with two signatures, short of the threshold...
    await atLeast("operator-1", SENT, 1);
    await atLeast("operator-2", SENT, 1);
    expect(responded(0)).toBe(false);
    // ...when it is killed, without a chance to clean up.
    const killed = await devnet.supervisor.kill("aggregator", "SIGKILL");
    expect(killed.signal).toBe("SIGKILL");

    // Operators 3 and 4 come up meanwhile, see the task and keep trying the dead aggregator.
    await Promise.all([devnet.startOperator("operator-3"), devnet.startOperator("operator-4")]);
    await atLeast("operator-3", ATTEMPTS, 2);
    await atLeast("operator-4", ATTEMPTS, 2);
    expect(await metric("operator-3", SENT)).toBe(0);

    const restartBlock = await devnet.client.getBlockNumber({ cacheTime: 0 });
    await devnet.startAggregator();
    const response = await devnet.waitForEvent("task-responded", (e) => e.taskIndex === 0);
    expect(response.sum).toBe(task.a + task.b);
    expect(response.blockNumber).toBeGreaterThan(restartBlock);
    expect(response.blockNumber).toBeLessThanOrEqual(
      BigInt(task.taskCreatedBlock + devnet.responseWindowBlocks),
    );
    // The restarted aggregator picked the task up from the chain and the retries of operators
    // 3 and 4 refilled it (400/700 and 700/800 of stake); the signatures it held before the
    // crash were lost with it, so operators 1 and 2 are the non-signers.
    const lost = [devnet.operator("operator-1").operatorId, devnet.operator("operator-2").operatorId].sort();
    expect(response.hashOfNonSigners).toBe(
      keccak256(encodePacked(["uint32", "bytes32[]"], [task.taskCreatedBlock, lost as Hex[]])),
    );
  });

  it("operator restarted: it catches up on the task created while it was down", async () => {
    await devnet.supervisor.get("task-generator")?.exited;
    const stopped = await devnet.supervisor.stop("operator-3");
    expect(stopped.code).toBe(0);
    const sentBefore = await Promise.all(
      ["operator-1", "operator-2", "operator-4"].map((n) => metric(n, SENT)),
    );

    // Threshold 100%: nothing lands without operator-3.
    await devnet.runTaskGenerator({ count: 1, thresholdPercentage: 100 });
    const { task } = await devnet.waitForEvent("task-created", (e) => e.task.taskIndex === 1);
    await Promise.all(
      ["operator-1", "operator-2", "operator-4"].map((name, i) => atLeast(name, SENT, sentBefore[i]! + 1)),
    );
    expect(responded(1)).toBe(false);

    await devnet.startOperator("operator-3");
    const response = await devnet.waitForEvent("task-responded", (e) => e.taskIndex === 1);
    expect(response.sum).toBe(task.a + task.b);
    expect(response.blockNumber).toBeLessThanOrEqual(
      BigInt(task.taskCreatedBlock + devnet.responseWindowBlocks),
    );
    // Everyone signed, the restarted operator included.
    expect(response.hashOfNonSigners).toBe(noneEmpty(task.taskCreatedBlock));
    expect(await metric("operator-3", SENT)).toBe(1);
    // Operator 1 logged in to the first aggregator, and again to the restarted one, which did
    // not know its token.
    const logins = logOf("operator-1").filter((l) => l.msg === "logged in to the aggregator");
    expect(logins.map((l) => l.reason)).toEqual(["first", "refused"]);
    expect(devnet.deaths).toEqual([]);
  });

  it("an aggregator slow to answer: the operator's request times out, it resends, and the resend counts as accepted", async () => {
    await devnet.supervisor.get("task-generator")?.exited;
    // Each verification batch now waits 2.5 s before it is checked: longer than operator-1's
    // 1 s request timeout, shorter than the others' 5 s.
    expect((await devnet.supervisor.stop("aggregator")).code).toBe(0);
    await devnet.startAggregator(["--batch-idle", "2500ms", "--batch-max-wait", "2500ms"]);
    expect((await devnet.supervisor.stop("operator-1")).code).toBe(0);
    await devnet.startOperator("operator-1", ["--request-timeout", "1s"]);
    const sentBefore = await metric("operator-1", SENT);

    await devnet.runTaskGenerator({ count: 1, thresholdPercentage: 100 });
    const { task } = await devnet.waitForEvent("task-created", (e) => e.task.taskIndex === 2);
    const response = await devnet.waitForEvent("task-responded", (e) => e.taskIndex === 2);
    // Operator 1's first request was counted although its reply came too late: all four signed.
    expect(response.hashOfNonSigners).toBe(noneEmpty(task.taskCreatedBlock));
    await atLeast("operator-1", SENT, sentBefore + 1);
    const lines = logOf("operator-1").filter((l) => l.taskIndex === 2);
    const accepted = lines.find((l) => l.msg === "response accepted by the aggregator");
    expect(accepted).toMatchObject({ duplicate: true });
    expect(accepted?.attempts).toBeGreaterThanOrEqual(2);
    expect(lines.filter((l) => /giving up/.test(l.msg))).toEqual([]);
    expect(await metric("operator-1", "avskit_operator_responses_failed_total")).toBe(0);
    expect(devnet.deaths).toEqual([]);
  });
});
