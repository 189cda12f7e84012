// npm run bench:aggregator-flood: the local AVS with 4 honest operators (every service a real
// process on a real anvil), and an attacker sending the aggregator forged responses under the
// real operators' ids and unauthenticated ones, at rising rates. Last line: one JSON object.
import { defaultOperatorPlan } from "../src/index.js";
import { startTestDevnet } from "../test/support/devnet.js";
import { type FloodPhase, type PhaseReport, runFlood } from "./flood-harness.js";

/** The target, at 1,000 forged requests per second. */
const TARGET = { rate: 1_000, expired: 0, latencyP99Blocks: 2, healthP99Ms: 100 } as const;

const PHASES: readonly FloodPhase[] = [
  { ratePerS: 0, durationMs: 10_000 },
  { ratePerS: 250, durationMs: 12_000 },
  { ratePerS: 500, durationMs: 12_000 },
  { ratePerS: 1_000, durationMs: 12_000 },
  { ratePerS: 2_000, durationMs: 12_000 },
];

function row(report: PhaseReport): string {
  const cells = [
    String(report.target_per_s).padStart(6),
    String(report.forged_per_s).padStart(7),
    `${report.tasks_responded}/${report.tasks_created}`.padStart(9),
    String(report.tasks_expired).padStart(7),
    String(report.honest_latency_p99_blocks ?? "-").padStart(11),
    String(report.health_p99_ms ?? "-").padStart(13),
    String(report.aggregator_cpu_ms_per_request ?? "-").padStart(9),
    String(report.aggregator_cpu_share).padStart(6),
    JSON.stringify(report.attack_statuses),
  ];
  return cells.join("  ");
}

async function main(): Promise<void> {
  const devnet = await startTestDevnet({ plans: defaultOperatorPlan(4), blockTime: 1 });
  try {
    await devnet.startAggregator();
    for (const op of devnet.operators) await devnet.startOperator(op.name);
    const totalMs = PHASES.reduce((sum, phase) => sum + phase.durationMs, 0);
    await devnet.runTaskGenerator({
      count: Math.ceil(totalMs / 2_000) + 2,
      thresholdPercentage: 67,
      intervalMs: 2_000,
    });
    await devnet.waitForEvent("task-responded", () => true, 60_000);
    const reports = await runFlood({
      devnet,
      aggregatorUrl: devnet.aggregatorUrl,
      aggregatorMetricsUrl: devnet.aggregatorMetricsUrl,
      phases: PHASES,
    });
    process.stdout.write(
      "target/s  reached/s  answered  expired  p99 blocks  /health p99 ms  cpu ms/req  cores  attack answers by status\n",
    );
    for (const report of reports) process.stdout.write(`${row(report)}\n`);
    const atTarget = reports.find((r) => r.target_per_s === TARGET.rate)!;
    const met =
      atTarget.forged_per_s >= TARGET.rate * 0.95 &&
      atTarget.tasks_expired === TARGET.expired &&
      (atTarget.honest_latency_p99_blocks ?? Number.POSITIVE_INFINITY) <= TARGET.latencyP99Blocks &&
      (atTarget.health_p99_ms ?? Number.POSITIVE_INFINITY) <= TARGET.healthP99Ms;
    process.stdout.write(
      `${JSON.stringify({
        forged_per_s: atTarget.forged_per_s,
        tasks_responded: atTarget.tasks_responded,
        tasks_expired: atTarget.tasks_expired,
        honest_latency_p99_blocks: atTarget.honest_latency_p99_blocks,
        health_p99_ms: atTarget.health_p99_ms,
        target_met: met,
        target: {
          forged_per_s: TARGET.rate,
          tasks_expired: 0,
          honest_latency_p99_blocks: 2,
          health_p99_ms: 100,
        },
        all_tasks_responded: reports.reduce((sum, r) => sum + r.tasks_responded, 0),
        all_tasks_expired: reports.reduce((sum, r) => sum + r.tasks_expired, 0),
        phases: reports,
      })}\n`,
    );
  } finally {
    await devnet.stop();
  }
}

await main();
