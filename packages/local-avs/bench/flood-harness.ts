// An attacker against the aggregator of a running devnet, and what the honest side sees meanwhile:
// shared by `npm run bench:aggregator-flood` (bench/flood.ts) and its short version in
// `npm test` (test/flood.test.ts).
//
// The attacker is what anyone who can reach the aggregator can send: responses for the open task
// under the real operators' ids with signatures that are valid curve points but not theirs
// ("forged"), with no session or a made-up one, and the same without any credential
// ("unauthenticated"). It sends at a fixed rate from a pool of kept-alive connections, with a cap
// on requests in flight, so the rate it reaches is measured, not assumed. It spreads itself over
// many source addresses (127.0.0.2 and up), as a distributed attacker would, each below the
// aggregator's per-client rate limit: every request reaches the session check, the costliest
// thing an outsider can make the aggregator do.
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { G1, g1ToSolidity } from "@avskit/bls";
import { readMetric } from "@avskit/integration";
import type { StartedDevnet } from "../test/support/devnet.js";

export interface FloodPhase {
  /** Attack requests per second to aim for (0: a quiet baseline). */
  readonly ratePerS: number;
  readonly durationMs: number;
}

export interface PhaseReport {
  readonly target_per_s: number;
  /** Attack requests answered per second (any status), as reached. */
  readonly forged_per_s: number;
  readonly attack_sent: number;
  /** The aggregator process's CPU (all threads) during the phase, per attack request answered, in ms. */
  readonly aggregator_cpu_ms_per_request: number | null;
  /** The aggregator process's CPU during the phase, as a share of one core. */
  readonly aggregator_cpu_share: number;
  /** Attack answers by status ("error" for a failed connection). */
  readonly attack_statuses: Readonly<Record<string, number>>;
  readonly tasks_created: number;
  readonly tasks_responded: number;
  readonly tasks_expired: number;
  /** Created → responded, in blocks, of the tasks created in this phase (p99 and max). */
  readonly honest_latency_p99_blocks: number | null;
  readonly honest_latency_max_blocks: number | null;
  /** GET /health of the aggregator's API, every 100 ms: p50 / p99 / max in ms, and failures. */
  readonly health_p50_ms: number | null;
  readonly health_p99_ms: number | null;
  readonly health_max_ms: number | null;
  readonly health_failures: number;
}

export interface FloodOptions {
  readonly devnet: StartedDevnet;
  /** The aggregator's API, e.g. http://127.0.0.1:8090. */
  readonly aggregatorUrl: string;
  /** Its /metrics (process_cpu_seconds_total is read before and after each phase). */
  readonly aggregatorMetricsUrl: string;
  readonly phases: readonly FloodPhase[];
  /** Most attack requests in flight at once (the rate drops when the aggregator is slower). */
  readonly maxInFlight?: number;
  /** The chain's block time (default 1 s): the last tasks get their whole window at this pace. */
  readonly blockTimeMs?: number;
}

function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Valid G1 points nobody's key made: forged signatures cost the attacker nothing to send. */
function forgedSignatures(count: number): { X: string; Y: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const { X, Y } = g1ToSolidity(G1.BASE.multiply(BigInt(1_000_003 + i * 7919)));
    return { X: X.toString(), Y: Y.toString() };
  });
}

interface Answer {
  readonly status: number | "error";
  readonly ms: number;
}

/** Source addresses of the attacker: loopback has all of 127.0.0.0/8 on Linux. */
const ATTACKER_ADDRESSES = Array.from({ length: 16 }, (_, i) => `127.0.0.${i + 2}`);

function send(
  agent: Agent,
  url: URL,
  method: "GET" | "POST",
  body?: string,
  headers: Record<string, string> = {},
) {
  return new Promise<Answer>((resolve) => {
    const started = performance.now();
    const req = request(
      url,
      {
        agent,
        method,
        headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
        res.on("error", () => resolve({ status: "error", ms: performance.now() - started }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve({ status: "error", ms: performance.now() - started }));
    req.end(body);
  });
}

/**
 * Runs the phases one after another while a task generator posts tasks, and reports per phase
 * what the attacker reached and what the honest side saw: tasks answered or expired, their
 * latency in blocks, and /health's latency.
 */
export async function runFlood(options: FloodOptions): Promise<PhaseReport[]> {
  const { devnet } = options;
  const api = new URL(options.aggregatorUrl);
  const responsesUrl = (taskIndex: number) => new URL(`/v1/tasks/${taskIndex}/responses`, api);
  const healthUrl = new URL("/health", api);
  const attackAgents = ATTACKER_ADDRESSES.map(
    (localAddress) => new Agent({ keepAlive: true, maxSockets: 8, localAddress }),
  );
  const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const signatures = forgedSignatures(64);
  const operatorIds = devnet.operators.map((op) => op.operatorId);
  const maxInFlight = options.maxInFlight ?? 256;

  // The open task is the one to attack: the latest one created.
  const openTask = () => {
    for (let i = devnet.events.length - 1; i >= 0; i--) {
      const event = devnet.events[i]!;
      if (event.kind === "task-created") return event.task.taskIndex;
    }
    return 0;
  };

  let stopProbe = false;
  let health: Answer[] = [];
  const probe = (async () => {
    while (!stopProbe) {
      const started = performance.now();
      health.push(await send(probeAgent, healthUrl, "GET"));
      await sleep(Math.max(0, 100 - (performance.now() - started)));
    }
  })();

  const phaseData: {
    attack: Pick<
      PhaseReport,
      | "target_per_s"
      | "forged_per_s"
      | "attack_sent"
      | "attack_statuses"
      | "aggregator_cpu_ms_per_request"
      | "aggregator_cpu_share"
    >;
    health: ReturnType<typeof healthFigures>;
    fromBlock: bigint;
    toBlock: bigint;
  }[] = [];
  for (const phase of options.phases) {
    const fromBlock = (await devnet.client.getBlockNumber({ cacheTime: 0 })) + 1n;
    health = [];
    const statuses: Record<string, number> = {};
    let sent = 0;
    let answered = 0;
    let inFlight = 0;
    const cpuBefore = await readMetric(options.aggregatorMetricsUrl, "process_cpu_seconds_total");
    const started = performance.now();
    const pending = new Set<Promise<void>>();
    while (performance.now() - started < phase.durationMs) {
      const due = Math.floor(((performance.now() - started) / 1000) * phase.ratePerS);
      while (sent < due && inFlight < maxInFlight) {
        const taskIndex = openTask();
        const n = sent++;
        const forged = n % 2 === 0;
        const body = JSON.stringify({
          operatorId: operatorIds[n % operatorIds.length],
          response: { referenceTaskIndex: taskIndex, sum: String(n) },
          signature: signatures[n % signatures.length],
        });
        // Forged: under a real operator's id with a made-up session; unauthenticated: no credential.
        const headers: Record<string, string> = forged
          ? { authorization: `Bearer ${n.toString(16).padStart(64, "0")}` }
          : {};
        inFlight++;
        const agent = attackAgents[n % attackAgents.length]!;
        const work = send(agent, responsesUrl(taskIndex), "POST", body, headers).then((answer) => {
          inFlight--;
          answered++;
          statuses[String(answer.status)] = (statuses[String(answer.status)] ?? 0) + 1;
        });
        pending.add(work);
        void work.finally(() => pending.delete(work));
      }
      await sleep(5);
    }
    const elapsedS = (performance.now() - started) / 1000;
    const answeredInPhase = answered;
    await Promise.all(pending);
    const cpuS = (await readMetric(options.aggregatorMetricsUrl, "process_cpu_seconds_total")) - cpuBefore;
    phaseData.push({
      attack: {
        target_per_s: phase.ratePerS,
        forged_per_s: Math.round(answeredInPhase / elapsedS),
        attack_sent: sent,
        attack_statuses: statuses,
        aggregator_cpu_ms_per_request:
          answered > 0 ? Math.round((cpuS * 1000 * 1000) / answered) / 1000 : null,
        aggregator_cpu_share: Math.round((cpuS / ((performance.now() - started) / 1000)) * 1000) / 1000,
      },
      health: healthFigures(health),
      fromBlock,
      toBlock: await devnet.client.getBlockNumber({ cacheTime: 0 }),
    });
  }
  stopProbe = true;
  await probe;
  for (const agent of attackAgents) agent.destroy();
  probeAgent.destroy();
  // Every task created meanwhile gets its whole window to be answered before it counts as expired.
  const windowMs = (devnet.responseWindowBlocks + 2) * (options.blockTimeMs ?? 1_000);
  const deadline = Date.now() + windowMs;
  while (Date.now() < deadline && unresolved(devnet).length > 0) await sleep(250);
  const head = await devnet.client.getBlockNumber({ cacheTime: 0 });
  return phaseData.map((phase) => ({
    ...phase.attack,
    ...taskFigures(devnet, phase.fromBlock, phase.toBlock, head),
    ...phase.health,
  }));
}

/** Tasks created and not answered yet. */
function unresolved(devnet: StartedDevnet): number[] {
  const responded = new Set(devnet.events.flatMap((e) => (e.kind === "task-responded" ? [e.taskIndex] : [])));
  return devnet.events.flatMap((e) =>
    e.kind === "task-created" && !responded.has(e.task.taskIndex) ? [e.task.taskIndex] : [],
  );
}

function healthFigures(answers: readonly Answer[]) {
  const ok = answers.filter((a) => a.status === 200).map((a) => a.ms);
  return {
    health_p50_ms: round(percentile(ok, 50)),
    health_p99_ms: round(percentile(ok, 99)),
    health_max_ms: round(ok.length ? Math.max(...ok) : null),
    health_failures: answers.length - ok.length,
  };
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}

/**
 * Tasks created in [fromBlock, toBlock]: answered (and in how many blocks) or expired (their
 * window had passed by `head` with no response).
 */
function taskFigures(devnet: StartedDevnet, fromBlock: bigint, toBlock: bigint, head: bigint) {
  const created = devnet.events.flatMap((e) =>
    e.kind === "task-created" && e.blockNumber >= fromBlock && e.blockNumber <= toBlock ? [e] : [],
  );
  const latencies: number[] = [];
  let expired = 0;
  for (const task of created) {
    const response = devnet.events.find(
      (e) => e.kind === "task-responded" && e.taskIndex === task.task.taskIndex,
    );
    if (response) latencies.push(Number(response.blockNumber - task.blockNumber));
    else if (head > task.blockNumber + BigInt(devnet.responseWindowBlocks)) expired++;
  }
  return {
    tasks_created: created.length,
    tasks_responded: latencies.length,
    tasks_expired: expired,
    honest_latency_p99_blocks: percentile(latencies, 99),
    honest_latency_max_blocks: latencies.length ? Math.max(...latencies) : null,
  };
}
