import { taskManagerAbi } from "@avskit/bindings";
import { readMetric, waitFor } from "@avskit/integration";
import { encodePacked, type Hex, keccak256 } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ChainEvent,
  defaultOperatorPlan,
  type OnChainTask,
  quorumsOf,
  readSigning,
  TOKEN,
} from "../src/index.js";
import { type StartedDevnet, startTestDevnet } from "./support/devnet.js";

// The default layout: operator-1 in quorums 0,1 with 100 tokens, operator-2 in 0 (200),
// operator-3 in 1 (300), operator-4 in 0,1 (400). Quorum 0 = {1, 2, 4} (700), quorum 1 = {1, 3, 4} (800).
//
// Roles here: operator-1 honest; operator-2 answers wrongly (every task); operator-3 offline
// (never started); operator-4 first sends a malformed and a forged signature, then its honest
// one. With a 60% threshold the honest set {1, 4} carries 500/700 = 71% of quorum 0 and
// 500/800 = 62.5% of quorum 1, while the wrong answer (operator-2 alone, 29% of quorum 0 and
// nothing in quorum 1) can never land.
const THRESHOLD = 60;
const TASKS = 2;

type Responded = Extract<ChainEvent, { kind: "task-responded" }>;

describe("end to end: 4 operators in 2 quorums, one offline, one faulty, one wrong", () => {
  let devnet: StartedDevnet;

  beforeAll(async () => {
    devnet = await startTestDevnet({ plans: defaultOperatorPlan(4) });
    await devnet.startAggregator();
    await Promise.all([
      devnet.startOperator("operator-1"),
      devnet.startOperator("operator-2", ["--wrong-answer-fraction", "1"]),
      devnet.startOperator("operator-4", ["--fault-mode", "malformed-signature,forged-signature,honest"]),
      devnet.startChallenger(),
    ]);
    await devnet.runTaskGenerator({ count: TASKS, thresholdPercentage: THRESHOLD });
  });

  afterAll(async () => {
    await devnet?.stop();
  });

  it("lands the correct aggregate for every task, signed by the honest operators only", async () => {
    const id = (name: string) => devnet.operator(name).operatorId;
    const honest = ["operator-1", "operator-4"];
    const expectedNonSigners = [id("operator-2"), id("operator-3")].sort();
    const stakeOf = (name: string) => devnet.operator(name).deposit;
    const expectedSigned = honest.reduce((sum, name) => sum + stakeOf(name), 0n);
    const totals = new Map([
      [0, stakeOf("operator-1") + stakeOf("operator-2") + stakeOf("operator-4")],
      [1, stakeOf("operator-1") + stakeOf("operator-3") + stakeOf("operator-4")],
    ]);

    for (let taskIndex = 0; taskIndex < TASKS; taskIndex++) {
      const created = await devnet.waitForEvent("task-created", (e) => e.task.taskIndex === taskIndex);
      const task: OnChainTask = created.task;
      const responded: Responded = await devnet.waitForEvent(
        "task-responded",
        (e) => e.taskIndex === taskIndex,
      );

      expect(responded.sum).toBe(task.a + task.b);
      expect(responded.blockNumber).toBeLessThanOrEqual(
        BigInt(task.taskCreatedBlock + devnet.responseWindowBlocks),
      );
      // The contract recorded exactly the offline and the wrong operator as non-signers...
      expect(responded.hashOfNonSigners).toBe(
        keccak256(
          encodePacked(["uint32", "bytes32[]"], [task.taskCreatedBlock, expectedNonSigners as Hex[]]),
        ),
      );
      // ...and counted the honest stake only: the wrong answer never mixed in.
      const signing = await readSigning(
        devnet.client,
        {
          taskManager: devnet.chain.deployment.contracts.taskManager.proxy,
          indexRegistry: devnet.chain.deployment.contracts.indexRegistry.proxy,
        },
        task,
        responded.sum,
        responded.txHash,
      );
      expect([...signing.nonSignerIds].sort()).toEqual(expectedNonSigners);
      expect(signing.quorums.map((q) => q.quorum)).toEqual(quorumsOf(task.quorumNumbers));
      for (const q of signing.quorums) {
        expect(q.signedStake).toBe(expectedSigned);
        expect(q.totalStake).toBe(totals.get(q.quorum));
        expect(q.operators).toBe(3);
        expect(q.signers).toBe(2);
      }
      expect(signing.sender).toBe(devnet.chain.roles.aggregator.address);
    }
    // 500 of 700 and 500 of 800 tokens.
    expect(expectedSigned).toBe(500n * TOKEN);
  });

  it("refused the faulty operator's bad signatures and showed it in the aggregator's metrics", async () => {
    const url = devnet.aggregatorMetricsUrl;
    // Per task: operator-4's forged signature is well-formed but fails verification; its
    // malformed one is refused before verification with a 4xx.
    expect(await readMetric(url, "avskit_aggregator_signatures_invalid_total")).toBeGreaterThanOrEqual(TASKS);
    expect(await readMetric(url, "avskit_aggregator_requests_rejected_total")).toBeGreaterThanOrEqual(TASKS);
    // Counted once the aggregator has its receipt, which may come a poll after our watcher saw the event.
    const completed = await waitFor("both tasks counted as completed", async () => {
      const value = await readMetric(url, "avskit_aggregator_tasks_completed_total");
      return value >= TASKS ? value : undefined;
    });
    expect(completed).toBe(TASKS);
  });

  it("never challenges a correct response, and no service died", async () => {
    const taskManager = devnet.chain.deployment.contracts.taskManager.proxy;
    for (let taskIndex = 0; taskIndex < TASKS; taskIndex++) {
      const challenged = await devnet.client.readContract({
        address: taskManager,
        abi: taskManagerAbi,
        functionName: "taskChallenged",
        args: [taskIndex],
      });
      expect(challenged).toBe(false);
    }
    expect(devnet.events.filter((e) => e.kind === "task-challenged")).toEqual([]);
    expect(devnet.deaths).toEqual([]);
  });

  it("shows each task in the progress view: answer, signing stake per quorum, non-signers, tx", () => {
    const text = devnet.lines.join("\n");
    for (let taskIndex = 0; taskIndex < TASKS; taskIndex++) {
      const record = devnet.view.tasks.get(taskIndex)!;
      const { a, b } = record.task;
      expect(text).toContain(`task ${taskIndex}`);
      expect(text).toContain(`${a} + ${b} = ${a + b} ✓`);
      expect(text).toContain(record.response!.txHash);
    }
    expect(text).toContain("q0 2/3 operators, 71.4% stake");
    expect(text).toContain("q1 2/3 operators, 62.5% stake");
    expect(text).toContain("not signed: operator-2, operator-3");
  });
});
