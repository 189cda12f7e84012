// The short version of `npm run bench:aggregator-flood`: while an attacker floods the aggregator
// with forged responses under the real operators' ids and unauthenticated ones, every task is
// still answered in its window and /health keeps answering.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PhaseReport, runFlood } from "../bench/flood-harness.js";
import { defaultOperatorPlan } from "../src/index.js";
import { type StartedDevnet, startTestDevnet } from "./support/devnet.js";

let devnet: StartedDevnet;

beforeAll(async () => {
  devnet = await startTestDevnet({ plans: defaultOperatorPlan(4), blockTime: 1 });
  await devnet.startAggregator();
  for (const op of devnet.operators) await devnet.startOperator(op.name);
  await devnet.runTaskGenerator({ count: 8, thresholdPercentage: 67, intervalMs: 2_000 });
  await devnet.waitForEvent("task-responded", () => true, 60_000);
});

afterAll(async () => {
  await devnet?.stop();
});

describe("the aggregator under a flood of forged and unauthenticated responses", () => {
  it("answers every task in its window and keeps /health answering", async () => {
    const [report] = (await runFlood({
      devnet,
      aggregatorUrl: devnet.aggregatorUrl,
      aggregatorMetricsUrl: devnet.aggregatorMetricsUrl,
      phases: [{ ratePerS: 500, durationMs: 10_000 }],
    })) as [PhaseReport];
    expect(report.attack_sent).toBeGreaterThan(2_000);
    expect(report.tasks_created).toBeGreaterThan(0);
    expect(report.tasks_expired).toBe(0);
    expect(report.tasks_responded).toBe(report.tasks_created);
    expect(report.health_failures).toBe(0);
    expect(report.health_p99_ms).not.toBeNull();
  });
});
