/**
 * Aggregation benchmark: `npm run bench:aggregation` from the repository root.
 *
 * One task, 200 operators, 100 % threshold, through the real aggregator: anvil on 127.0.0.1
 * with a real deployment and 200 registered operators (BLS keys, stake, proof of possession);
 * the aggregator service started in-process through its service definition, as its CLI starts
 * it (chain watcher, operator set from the registries, HTTP API, batch verifier, submitter).
 * The chain and the operators come from the test kit (@avskit/integration). The 200 signed
 * responses are posted over HTTP by a separate process, so this process's CPU time is the
 * aggregator's alone.
 *
 * Measured per round (a new task each round, after one uncounted warm-up round, which also fills
 * the verification worker's key cache; the median is reported):
 * - aggregator CPU: process.cpuUsage() of the aggregator's process from the moment the
 *   requests are released until respondToTask's transaction hash is returned: HTTP parsing,
 *   validation, batch verification, aggregation, building and sending the transaction.
 *   process.cpuUsage() is getrusage(RUSAGE_SELF), the CPU of every thread of the process, so it
 *   includes the verification worker threads (and V8's and libuv's own threads).
 * - verification CPU: the workers' own CPU for the batches (process.threadCpuUsage() in the
 *   worker, as the service's verification_cpu_seconds_total metric counts it), and the hand-off:
 *   the wall time the batches spent getting to the worker and back (encoding the points as bigint
 *   coordinates, structured clone, messaging, rebuilding the points).
 * - outside verification, per request: (aggregator CPU − verification CPU) / operators, per round:
 *   everything the aggregator's process spent but the worker's batch verification (HTTP,
 *   validation, digest, counting, the submission, V8's and libuv's threads), spread over the
 *   requests.
 * - submit latency: wall time from the counting of the signature that met the threshold to
 *   the transaction hash (the aggregator's own measurement, reported in its "sent" event).
 * - naive: the same 200 signatures verified one by one with verifySignature (one 2-pair
 *   check each), CPU time, in the same process and run.
 * - login: before the rounds, every operator logs in once (POST /v1/sessions, from this
 *   process: signing is the operators' work, but is small): CPU per login of this process,
 *   and of the secp256k1 recovery alone, measured apart.
 * The last line printed is one JSON object.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  createSessionRequest,
  postSessionRequest,
  taskResponseDigest as responseDigest,
  sessionSignatureValid,
} from "@avskit/aggregator-api";
import { g1ToSolidity, signDigest, verifySignature } from "@avskit/bls";
import { createTask, E18, registerOperators, startTestAvs, waitFor } from "@avskit/integration";
import { createLogger } from "@avskit/runtime";
import type { TaskEvent } from "../src/aggregator.js";
import { aggregatorService } from "../src/service.js";
import { aggregatorKey, quorumsFor, stakedIn } from "../test/support/avs.js";

const OPERATORS = Number(process.env.BENCH_OPERATORS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** eigensdk-js (mcl-wasm) on this machine kind, from the reference notes. */
const ANCHOR = "eigensdk-js: ~880-895 ms CPU for 200 operators at 100 %; ~4.2 ms per signature check";

const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface Round {
  aggregatorCpuMs: number;
  verifyCpuMs: number;
  handoffMs: number;
  batches: number;
  releaseToTxMs: number;
  submitLatencyMs: number;
  arrivalToTxMs: number;
  naiveCpuMs: number;
  lastReplyMs: number;
  gasUsed: bigint;
  loadMs: number;
}

/** Polls every 2 ms: the timed regions end on these. */
function until<T>(find: () => T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
  return waitFor(what, find, timeoutMs, 2);
}

async function main(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const scratch = await mkdtemp(join(tmpdir(), "aggregation-bench-"));
  say(`starting anvil and deploying (quorum 0 capped at ${Math.max(OPERATORS, 32)} operators)`);
  const setupStarted = performance.now();
  const avs = await startTestAvs({ quorums: quorumsFor(1, Math.max(OPERATORS, 32)) });
  try {
    say(`registering ${OPERATORS} operators (keys, stake, proof of possession)`);
    const ops = await registerOperators(
      avs,
      Array.from({ length: OPERATORS }, () => stakedIn(avs, [0], 10n * E18)),
    );
    say(`setup done in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s (not measured)`);

    const events: TaskEvent[] = [];
    const config = aggregatorService.resolveConfig({
      rpcUrl: avs.rpcUrl,
      deploymentsDir: avs.deploymentsDir,
      ecdsaPrivateKey: aggregatorKey(avs),
      listen: "127.0.0.1:0",
      metricsAddr: "none",
      collectionWindow: "0",
      logLevel: "silent",
      // Every simulated operator posts from 127.0.0.1, all at once: with more of them than the
      // default burst (400), the rate limit would answer the rest 429.
      rateLimitBurst: String(Math.max(400, OPERATORS)),
      // Every operator logs in from this one address at once.
      loginRatePerClient: String(OPERATORS * 10),
      loginRate: String(OPERATORS * 10),
    });
    const running = await aggregatorService.start(config, {
      logger: createLogger({ name: "aggregator", level: process.env.BENCH_LOG === "1" ? "debug" : "silent" }),
      deps: { onEvent: (event) => events.push(event) },
    });
    const service = running.handle;
    const domain = { chainId: await avs.client.getChainId(), taskManager: service.contracts.taskManager };

    // Logins, before anything is measured for the rounds: signed first (the operators' work),
    // then posted one after another and timed as this process's CPU (HTTP, one recovery, the
    // registry lookup on this first login of each operator).
    const loginRequests = await Promise.all(
      ops.map((op) => createSessionRequest(op.account, domain, op.operatorId)),
    );
    const loginCpu = process.cpuUsage();
    const tokens: string[] = [];
    for (const request of loginRequests) {
      const login = await postSessionRequest(service.url, request, { timeoutMs: 10_000 });
      if (login.kind !== "session") throw new Error(`login refused: ${JSON.stringify(login)}`);
      tokens.push(login.token);
    }
    const loginCpuMs = cpuMs(loginCpu) / OPERATORS;
    const recoveryCpu = process.cpuUsage();
    for (const request of loginRequests) await sessionSignatureValid(request, domain);
    const recoveryCpuMs = cpuMs(recoveryCpu) / OPERATORS;
    say(
      `${OPERATORS} logins: ${loginCpuMs.toFixed(2)} ms CPU each (recovery alone ${recoveryCpuMs.toFixed(2)} ms)`,
    );
    const rounds: Round[] = [];
    try {
      // Round 0 warms up the JIT and the key caches and is not counted.
      for (let round = 0; round <= ROUNDS; round++) {
        const created = await createTask(avs, {
          a: BigInt(round),
          b: 1000n,
          thresholdPercentage: 100,
          quorums: [0],
        });
        const loadStarted = performance.now();
        await until(() => {
          const status = (() => {
            try {
              return service.aggregator.describeTask(created.taskIndex).status;
            } catch {
              return undefined;
            }
          })();
          return status === "collecting" ? true : undefined;
        }, "the task's operator set");
        const loadMs = performance.now() - loadStarted;

        // The operators' work, before any timed region: sign and encode.
        const response = { referenceTaskIndex: created.taskIndex, sum: BigInt(round) + 1000n };
        const digest = responseDigest(response);
        const signatures = ops.map((op) => signDigest(op.bls.secretKey, digest));
        const bodies = ops.map((op, i) => {
          const { X, Y } = g1ToSolidity(signatures[i]!);
          return {
            taskIndex: created.taskIndex,
            token: tokens[i]!,
            body: {
              operatorId: op.operatorId,
              response: { referenceTaskIndex: response.referenceTaskIndex, sum: response.sum.toString() },
              signature: { X: X.toString(), Y: Y.toString() },
            },
          };
        });
        const file = join(scratch, `bodies-${round}.json`);
        await writeFile(file, JSON.stringify(bodies));
        const child = spawn(process.execPath, [join(here, "send-responses.js"), service.url, file], {
          stdio: ["pipe", "pipe", "inherit"],
        });
        const output = createInterface({ input: child.stdout });
        const lines: string[] = [];
        output.on("line", (line) => lines.push(line));
        await until(() => (lines.includes("ready") ? true : undefined), "the sender process");

        const verifyBefore = (await service.metrics.verifyCpuSeconds.get()).values[0]?.value ?? 0;
        const handoffBefore = (await service.metrics.verifyHandoffSeconds.get()).values[0]?.value ?? 0;
        const batchesBefore = batchCount(await service.metrics.batchSize.get());
        const profiling = round > 0 && process.env.BENCH_PROFILE ? await startProfile() : undefined;
        const cpuStart = process.cpuUsage();
        const released = performance.now();
        child.stdin.write("go\n");
        const sent = await until(
          () => events.find((e) => e.kind === "sent" && e.taskIndex === created.taskIndex),
          "the transaction hash",
        );
        const aggregatorCpuMs = cpuMs(cpuStart);
        const releaseToTxMs = performance.now() - released;
        if (profiling) await profiling(`${process.env.BENCH_PROFILE}-${round}.cpuprofile`);
        if (sent.kind !== "sent") throw new Error("unreachable");
        const verifyAfter = (await service.metrics.verifyCpuSeconds.get()).values[0]?.value ?? 0;
        const handoffAfter = (await service.metrics.verifyHandoffSeconds.get()).values[0]?.value ?? 0;
        const batches = batchCount(await service.metrics.batchSize.get()) - batchesBefore;

        const result = await until(() => lines.find((l) => l.startsWith("{")), "the replies");
        child.stdin.end();
        const { replies } = JSON.parse(result) as {
          replies: { status: number; code?: string; ms: number }[];
        };
        const accepted = replies.filter((r) => r.status === 202).length;
        if (accepted !== OPERATORS) {
          throw new Error(
            `only ${accepted}/${OPERATORS} signatures accepted: ${JSON.stringify(replies.find((r) => r.status !== 202))}`,
          );
        }
        const responded = await until(
          () => events.find((e) => e.kind === "responded" && e.taskIndex === created.taskIndex),
          "the receipt",
        );
        if (responded.kind !== "responded") throw new Error("unreachable");
        if (
          responded.submission.signerIds.length !== OPERATORS ||
          responded.submission.nonSigners.length !== 0
        ) {
          throw new Error("the submitted aggregate does not hold every signer");
        }

        // Naive: one pairing check per signature, on the same keys and signatures.
        const naiveStart = process.cpuUsage();
        for (const [i, op] of ops.entries()) {
          if (!verifySignature(op.bls.publicKeyG2, digest, signatures[i]!))
            throw new Error("naive check failed");
        }
        const naiveCpuMs = cpuMs(naiveStart);

        if (round > 0)
          rounds.push({
            aggregatorCpuMs,
            verifyCpuMs: (verifyAfter - verifyBefore) * 1000,
            handoffMs: (handoffAfter - handoffBefore) * 1000,
            batches,
            releaseToTxMs,
            submitLatencyMs: sent.thresholdToTxMs,
            arrivalToTxMs: sent.arrivalToTxMs,
            naiveCpuMs,
            lastReplyMs: Math.max(...replies.map((r) => r.ms)),
            gasUsed: responded.gasUsed,
            loadMs,
          });
        say(
          `${round === 0 ? "warm-up round" : `round ${round}`}: aggregator ${aggregatorCpuMs.toFixed(0)} ms CPU ` +
            `(verification ${((verifyAfter - verifyBefore) * 1000).toFixed(0)} ms in the worker, hand-off ${((handoffAfter - handoffBefore) * 1000).toFixed(1)} ms), ` +
            `naive ${naiveCpuMs.toFixed(0)} ms CPU, threshold→tx ${sent.thresholdToTxMs.toFixed(0)} ms, ${batches} batches, gas ${responded.gasUsed}`,
        );
      }
    } finally {
      await running.stop();
    }

    const m = (pick: (r: Round) => number) => median(rounds.map(pick));
    const aggregatorMs = m((r) => r.aggregatorCpuMs);
    const naiveMs = m((r) => r.naiveCpuMs);
    const outsideMs = m((r) => (r.aggregatorCpuMs - r.verifyCpuMs) / OPERATORS);
    const rows: [string, string][] = [
      ["operators (one quorum, 100 % threshold)", String(OPERATORS)],
      ["rounds (median reported)", String(ROUNDS)],
      ["aggregator CPU: 200 requests → tx hash (all threads)", `${aggregatorMs.toFixed(1)} ms`],
      [
        "  of which batch verification (worker thread)",
        `${m((r) => r.verifyCpuMs).toFixed(1)} ms in ${m((r) => r.batches)} batches, ${config.verifyWorkers} worker(s)`,
      ],
      ["  hand-off to the worker and back (wall)", `${m((r) => r.handoffMs).toFixed(2)} ms`],
      ["  outside verification, per request", `${outsideMs.toFixed(3)} ms`],
      [
        "naive CPU: 200 × verifySignature",
        `${naiveMs.toFixed(1)} ms (${(naiveMs / OPERATORS).toFixed(2)} ms each)`,
      ],
      ["speedup (naive / aggregator)", `${(naiveMs / aggregatorMs).toFixed(1)}×`],
      ["threshold signature counted → tx hash", `${m((r) => r.submitLatencyMs).toFixed(1)} ms`],
      [
        "threshold signature arrived → tx hash (incl. its batch)",
        `${m((r) => r.arrivalToTxMs).toFixed(1)} ms`,
      ],
      ["requests released → tx hash (wall)", `${m((r) => r.releaseToTxMs).toFixed(1)} ms`],
      ["slowest HTTP reply (wall, sender side)", `${m((r) => r.lastReplyMs).toFixed(1)} ms`],
      ["operator set load at task creation (wall, not in CPU)", `${m((r) => r.loadMs).toFixed(1)} ms`],
      ["respondToTask gas (0 non-signers)", rounds[0]!.gasUsed.toString()],
      [
        "login CPU per operator (POST /v1/sessions, once per hour)",
        `${loginCpuMs.toFixed(2)} ms (of which secp256k1 recovery ${recoveryCpuMs.toFixed(2)} ms)`,
      ],
      ["anchor", ANCHOR],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write("\nAggregation benchmark (HTTP API over TCP, real anvil deployment)\n");
    for (const [key, value] of rows) process.stdout.write(`  ${key.padEnd(width)}  ${value}\n`);
    process.stdout.write(
      `${JSON.stringify({
        operators: OPERATORS,
        rounds: ROUNDS,
        naive_ms: Number(naiveMs.toFixed(1)),
        aggregator_ms: Number(aggregatorMs.toFixed(1)),
        speedup: Number((naiveMs / aggregatorMs).toFixed(1)),
        submit_latency_ms: Number(m((r) => r.submitLatencyMs).toFixed(1)),
        threshold_arrival_to_tx_ms: Number(m((r) => r.arrivalToTxMs).toFixed(1)),
        release_to_tx_ms: Number(m((r) => r.releaseToTxMs).toFixed(1)),
        verify_cpu_ms: Number(m((r) => r.verifyCpuMs).toFixed(1)),
        verify_handoff_ms: Number(m((r) => r.handoffMs).toFixed(2)),
        outside_verify_cpu_ms_per_request: Number(outsideMs.toFixed(3)),
        verify_workers: config.verifyWorkers,
        batches: m((r) => r.batches),
        gas_used: Number(rounds[0]!.gasUsed),
        login_cpu_ms: Number(loginCpuMs.toFixed(2)),
        login_recovery_cpu_ms: Number(recoveryCpuMs.toFixed(2)),
        anchor_eigensdk_js_cpu_ms: "880-895",
      })}\n`,
    );
  } finally {
    await avs.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** BENCH_PROFILE=<path prefix>: a V8 CPU profile of each measured window, for finding where the time goes. */
async function startProfile(): Promise<(file: string) => Promise<void>> {
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  return async (file) => {
    const { profile } = await session.post("Profiler.stop");
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
  };
}

function batchCount(metric: { values: { metricName?: string; value: number }[] }): number {
  return metric.values.find((v) => v.metricName?.endsWith("_count"))?.value ?? 0;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`[bench] failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
