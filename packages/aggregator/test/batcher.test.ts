import { taskResponseDigest as responseDigest } from "@avskit/aggregator-api";
import { describe, expect, it } from "vitest";
import {
  BatcherClosedError,
  BatcherFullError,
  type BatcherOptions,
  type BatchReport,
  type PendingSignature,
  type Verdict,
  VerificationBatcher,
} from "../src/batcher.js";
import { verifyBatchOfSameMessage } from "../src/fast-verifier.js";
import { InThreadVerifier, WorkerVerifierPool } from "../src/verifier-pool.js";
import { makeOperator, sign, type TestOperator } from "./fixtures.js";

/**
 * The batcher, in front of the real worker pool (one thread, as on this 2-core machine) where
 * timing matters and of the in-thread verifier where only the queues do: a burst is still one
 * batch, per-operator queues are served in turn, the bounds refuse only the heavy operator, and
 * a stop answers or refuses everything queued within its grace and ends the worker.
 */

const right = { referenceTaskIndex: 7, sum: 42n };
const other = { referenceTaskIndex: 7, sum: 43n };
const digest = responseDigest(right);
const ops = Array.from({ length: 12 }, (_, i) => makeOperator(i, { 0: 10n }));
const flooder = ops[0]!;
const honest = ops.slice(1);

function pending(op: TestOperator, valid = true): PendingSignature {
  return {
    digest,
    publicKey: op.keys.publicKeyG2,
    signature: valid ? sign(op, right) : sign(op, other),
    operatorId: op.operatorId,
  };
}

const options: BatcherOptions = {
  idleMs: 5,
  maxWaitMs: 50,
  maxBatchSize: 256,
  maxQueued: 4096,
  maxQueuedPerOperator: 16,
};

/** Settles with the verdict, or the error's class name. */
const outcome = (promise: Promise<Verdict>) =>
  promise.then(
    (verdict) => (verdict.valid ? "valid" : "invalid"),
    (error: Error) => error.name,
  );

describe("fair batching", () => {
  it("keeps a burst in one batch: one batch of 11 signatures for 11 operators", async () => {
    const reports: BatchReport[] = [];
    const batcher = new VerificationBatcher(await WorkerVerifierPool.start({ size: 1 }), options, (r) =>
      reports.push(r),
    );
    try {
      const verdicts = await Promise.all(honest.map((op) => outcome(batcher.verify(pending(op)))));
      expect(verdicts).toEqual(honest.map(() => "valid"));
      expect(reports.map((r) => [r.size, r.invalid, r.digests, r.suspect])).toEqual([[11, 0, 1, false]]);
    } finally {
      await batcher.close();
    }
  });

  it("serves operators in turn: honest signatures that arrive behind 300 forged ones are verified long before the flood is", async () => {
    const reports: BatchReport[] = [];
    const pool = await WorkerVerifierPool.start({ size: 1 });
    const batcher = new VerificationBatcher(
      pool,
      { ...options, maxQueuedPerOperator: 1000, closeGraceMs: 50 },
      (r) => reports.push(r),
    );
    const forged = pending(flooder, false);
    const flood = Array.from({ length: 300 }, () => outcome(batcher.verify(forged)));
    await new Promise((r) => setTimeout(r, 20));
    const honestVerdicts = await Promise.all(honest.map((op) => outcome(batcher.verify(pending(op)))));
    expect(honestVerdicts).toEqual(honest.map(() => "valid"));
    // In one queue the 11 would have waited for 300 pairing checks; here most of the flood still waits.
    expect(batcher.queued).toBeGreaterThan(250);
    expect(batcher.status.suspects).toBe(1);
    // The flooder's first signature went into an ordinary batch; once found invalid, its
    // signatures are verified alone, and the honest batch went as a batch of its own.
    expect(reports[0]).toMatchObject({ size: 1, invalid: 1, suspect: false });
    expect(reports.filter((r) => r.suspect).every((r) => r.size === 1 && r.invalid === 1)).toBe(true);
    expect(reports.filter((r) => !r.suspect).at(-1)).toMatchObject({ size: 11, invalid: 0 });

    // A stop refuses what it cannot verify within its grace, and ends the worker.
    const stopAsked = performance.now();
    await batcher.close();
    expect(performance.now() - stopAsked).toBeLessThan(2_000);
    const results = await Promise.all(flood);
    expect(new Set(results)).toEqual(new Set(["invalid", "BatcherClosedError"]));
    expect(results.filter((r) => r === "BatcherClosedError").length).toBeGreaterThan(200);
    expect(pool.size).toBe(0);
    expect(await outcome(batcher.verify(pending(honest[0]!)))).toBe("BatcherClosedError");
  });

  it("bounds each operator's queue: beyond it only that operator is refused", async () => {
    const batcher = new VerificationBatcher(new InThreadVerifier(verifyBatchOfSameMessage), {
      ...options,
      maxQueuedPerOperator: 3,
    });
    const forged = pending(flooder, false);
    const flood = Array.from({ length: 5 }, () => outcome(batcher.verify(forged)));
    const others = honest.slice(0, 3).map((op) => outcome(batcher.verify(pending(op))));
    expect(await Promise.all(flood)).toEqual([
      "invalid",
      "invalid",
      "invalid",
      "BatcherFullError",
      "BatcherFullError",
    ]);
    expect(await Promise.all(others)).toEqual(["valid", "valid", "valid"]);
    const refusal = await batcher.verify(forged).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(refusal).toBeUndefined(); // its queue has room again
    await batcher.close();
  });

  it("at the global limit, the operator with the most waiting gives way, never a light one", async () => {
    const batcher = new VerificationBatcher(new InThreadVerifier(verifyBatchOfSameMessage), {
      ...options,
      maxQueued: 6,
      maxQueuedPerOperator: 100,
    });
    const forged = pending(flooder, false);
    const flood = Array.from({ length: 6 }, () => outcome(batcher.verify(forged)));
    const light = [
      outcome(batcher.verify(pending(honest[0]!))),
      outcome(batcher.verify(pending(honest[1]!))),
    ];
    const refusedOwn = batcher.verify(forged).catch((e: unknown) => e);
    expect(await refusedOwn).toBeInstanceOf(BatcherFullError);
    expect(((await refusedOwn) as Error).message).toMatch(/6 signatures are waiting/);
    expect(await Promise.all(light)).toEqual(["valid", "valid"]);
    // The flooder's two newest made room for them.
    expect(await Promise.all(flood)).toEqual([
      "invalid",
      "invalid",
      "invalid",
      "invalid",
      "BatcherFullError",
      "BatcherFullError",
    ]);
    await batcher.close();
  });

  it("on close, verifies what is queued without waiting for its timer, and refuses new work", async () => {
    const batcher = new VerificationBatcher(new InThreadVerifier(verifyBatchOfSameMessage), {
      ...options,
      idleMs: 60_000,
      maxWaitMs: 60_000,
    });
    const queued = honest.slice(0, 3).map((op) => outcome(batcher.verify(pending(op))));
    const closing = batcher.close();
    expect(await outcome(batcher.verify(pending(honest[4]!)))).toBe("BatcherClosedError");
    await closing;
    expect(await Promise.all(queued)).toEqual(["valid", "valid", "valid"]);
    await expect(batcher.verify(pending(honest[5]!))).rejects.toBeInstanceOf(BatcherClosedError);
  });
});
