import { taskManagerAbi } from "@avskit/bindings";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultOperatorPlan } from "../src/index.js";
import { type StartedDevnet, startTestDevnet } from "./support/devnet.js";

// Default layout (quorum 0 = operators 1, 2, 4 with 100/200/400 tokens; quorum 1 = 1, 3, 4 with
// 100/300/400). Operators 2, 3 and 4 answer every task wrongly: the wrong sum carries 600/700
// of quorum 0 and 700/800 of quorum 1, above a 60% threshold, while the honest operator-1
// alone cannot reach it. The wrong response lands; the challenger must prove it wrong.
describe("challenge: a wrong majority's response lands and the challenger proves it wrong", () => {
  let devnet: StartedDevnet;

  beforeAll(async () => {
    devnet = await startTestDevnet({ plans: defaultOperatorPlan(4) });
    await devnet.startAggregator();
    const wrong = ["--wrong-answer-fraction", "1"];
    await Promise.all([
      devnet.startOperator("operator-1"),
      devnet.startOperator("operator-2", wrong),
      devnet.startOperator("operator-3", wrong),
      devnet.startOperator("operator-4", wrong),
      devnet.startChallenger(),
    ]);
    await devnet.runTaskGenerator({ count: 1, thresholdPercentage: 60 });
  });

  afterAll(async () => {
    await devnet?.stop();
  });

  it("records TaskChallengedSuccessfully for the wrong response inside the challenge window", async () => {
    const { task } = await devnet.waitForEvent("task-created", (e) => e.task.taskIndex === 0);
    const responded = await devnet.waitForEvent("task-responded", (e) => e.taskIndex === 0);
    expect(responded.sum).not.toBe(task.a + task.b);
    expect(responded.sum).toBe(task.a + task.b + 1n); // the operators' test-only wrong answer

    const challenge = await devnet.waitForEvent("task-challenged", (e) => e.taskIndex === 0);
    expect(challenge.successful).toBe(true);
    expect(challenge.challenger).toBe(devnet.chain.roles.challenger.address);
    const taskManager = devnet.chain.deployment.contracts.taskManager.proxy;
    const challengeWindow = await devnet.client.readContract({
      address: taskManager,
      abi: taskManagerAbi,
      functionName: "TASK_CHALLENGE_WINDOW_BLOCK",
    });
    expect(challenge.blockNumber).toBeLessThanOrEqual(responded.blockNumber + BigInt(challengeWindow));
    const proven = await devnet.client.readContract({
      address: taskManager,
      abi: taskManagerAbi,
      functionName: "taskSuccessfullyChallenged",
      args: [0],
    });
    expect(proven).toBe(true);

    const text = devnet.lines.join("\n");
    expect(text).toContain(`= ${responded.sum} ✗ WRONG (a + b = ${task.a + task.b})`);
    expect(text).toContain("task 0: response proven WRONG");
    expect(devnet.deaths).toEqual([]);
  });
});
