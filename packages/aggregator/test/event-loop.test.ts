import { monitorEventLoopDelay } from "node:perf_hooks";
import { ResponseRejectedError } from "@avskit/aggregator-api";
import { listen } from "@avskit/runtime";
import { describe, expect, it } from "vitest";
import { buildHttpApi } from "../src/http.js";
import { type VerificationPool, WorkerVerifierPool } from "../src/verifier-pool.js";
import {
  body,
  harness,
  makeOperator,
  makeState,
  makeTask,
  sessionStore,
  sign,
  silentLogger,
} from "./fixtures.js";

/**
 * The event loop stays free while verification works hard. 63 operators each send a forged
 * signature (what a registered operator can do to its own session): one batch in which every
 * item is bad, so bisection evaluates about 125 pairing checks, about a second of CPU here. While
 * it runs, /health is polled over HTTP and the event loop's delay is sampled. With the worker
 * pool the loop keeps answering; the same batch verified on the event loop (the in-thread
 * verifier, what the aggregator did before the pool) blocks it for the whole bisection.
 */

const right = { referenceTaskIndex: 7, sum: 42n };
const ops = Array.from({ length: 64 }, (_, i) => makeOperator(i, { 0: 10n }));
const state = makeState(100n, ops, [0]);
const forgedBodies = ops.map((op, i) => body(op, right, sign(ops[(i + 1) % ops.length]!, right)));

interface Probe {
  readonly verifyMs: number;
  readonly delayP99Ms: number;
  readonly delayMaxMs: number;
  readonly healthChecks: number;
  readonly slowestHealthMs: number;
  /** The longest time between two /health answers, the start and end of the work included. */
  readonly longestHealthGapMs: number;
}

async function floodWhileProbing(pool?: VerificationPool): Promise<Probe> {
  // The forged signatures come from an operator under its own session, its attempt limit raised:
  // the worst a registered operator can make the verifier do.
  const h = harness(state, { idleMs: 5, maxAttemptsPerTask: 10_000, ...(pool ? { pool } : {}) });
  const server = await listen(
    buildHttpApi({
      aggregator: h.aggregator,
      sessions: sessionStore(h, state),
      metrics: h.metrics,
      logger: silentLogger,
      bodyLimit: 8192,
    }),
    "127.0.0.1",
    0,
  );
  try {
    h.aggregator.addTask(makeTask({ thresholdPercentage: 100 }));
    await h.respond(7, body(ops[0]!, right)); // the operator set is loaded
    const delay = monitorEventLoopDelay({ resolution: 5 });
    let verifying = true;
    const healthMs: number[] = [];
    const answeredAt: number[] = [];
    const polling = (async () => {
      while (verifying) {
        const started = performance.now();
        const reply = await fetch(`${server.url}/health`);
        await reply.arrayBuffer();
        if (reply.status === 200) {
          healthMs.push(performance.now() - started);
          answeredAt.push(performance.now());
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    delay.enable();
    const started = performance.now();
    const codes = await Promise.all(
      forgedBodies.slice(1).map((forged) =>
        h.respond(7, forged).then(
          () => "ACCEPTED",
          (error: unknown) => (error instanceof ResponseRejectedError ? error.code : String(error)),
        ),
      ),
    );
    const ended = performance.now();
    const verifyMs = ended - started;
    // A blocked loop is sampled when its timer finally runs: give it the chance.
    await new Promise((r) => setTimeout(r, 20));
    delay.disable();
    verifying = false;
    await polling;
    expect(codes).toEqual(forgedBodies.slice(1).map(() => "SIGNATURE_INVALID"));
    const during = [started, ...answeredAt.filter((t) => t > started && t < ended), ended];
    return {
      verifyMs,
      delayP99Ms: delay.percentile(99) / 1e6,
      delayMaxMs: delay.max / 1e6,
      healthChecks: healthMs.length,
      slowestHealthMs: Math.max(...healthMs),
      longestHealthGapMs: Math.max(...during.slice(1).map((t, i) => t - during[i]!)),
    };
  } finally {
    await server.close();
    await h.aggregator.close();
  }
}

describe("verification off the event loop", () => {
  it("/health and timers keep answering through a second of bisection in the worker; on the event loop they stop", async () => {
    const pooled = await floodWhileProbing(await WorkerVerifierPool.start({ size: 1 }));
    const inThread = await floodWhileProbing();
    console.info(
      `event loop while 63 forged signatures are bisected: worker pool ${JSON.stringify(pooled)}; on the event loop ${JSON.stringify(inThread)}`,
    );
    // The work is real and long in both runs...
    expect(pooled.verifyMs).toBeGreaterThan(400);
    expect(inThread.verifyMs).toBeGreaterThan(400);
    // ...with the pool the loop stays responsive (generous bounds: the machine is shared)...
    expect(pooled.delayP99Ms).toBeLessThan(100);
    expect(pooled.slowestHealthMs).toBeLessThan(500);
    expect(pooled.longestHealthGapMs).toBeLessThan(500);
    // ...and on the event loop the bisection blocks it for most of its run.
    expect(inThread.delayMaxMs).toBeGreaterThan(inThread.verifyMs / 2);
    expect(inThread.longestHealthGapMs).toBeGreaterThan(inThread.verifyMs / 2);
  }, 60_000);
});
