import { taskResponseDigest as responseDigest } from "@avskit/aggregator-api";
import { G1 } from "@avskit/bls";
import { waitFor } from "@avskit/integration";
import { describe, expect, it } from "vitest";
import { verifyBatchOfSameMessage } from "../src/fast-verifier.js";
import { VerifierWorkerError, WorkerVerifierPool } from "../src/verifier-pool.js";
import { makeOperator, sign } from "./fixtures.js";

/**
 * The verification pool with its real worker (the built dist/src/verify-worker.js, one thread,
 * as on this 2-core machine): its verdicts are the in-thread verifier's, a dying worker is
 * replaced, a missing one fails the start.
 */

const right = { referenceTaskIndex: 7, sum: 42n };
const other = { referenceTaskIndex: 7, sum: 43n };
const digest = responseDigest(right);
const ops = Array.from({ length: 6 }, (_, i) => makeOperator(i, { 0: 10n }));

describe("verification worker pool", () => {
  it("gives the in-thread verifier's verdicts, infinity and two digests included, and reports its CPU and hand-off", async () => {
    const pool = await WorkerVerifierPool.start({ size: 1 });
    try {
      const otherDigest = responseDigest(other);
      const groups = [
        {
          digest,
          items: [
            { publicKey: ops[0]!.keys.publicKeyG2, signature: sign(ops[0]!, right) },
            { publicKey: ops[1]!.keys.publicKeyG2, signature: sign(ops[2]!, right) },
            { publicKey: ops[2]!.keys.publicKeyG2, signature: G1.ZERO },
            { publicKey: ops[3]!.keys.publicKeyG2, signature: sign(ops[3]!, right) },
          ],
        },
        {
          digest: otherDigest,
          items: [
            { publicKey: ops[4]!.keys.publicKeyG2, signature: sign(ops[4]!, right) },
            { publicKey: ops[5]!.keys.publicKeyG2, signature: sign(ops[5]!, other) },
          ],
        },
      ];
      const expected = groups.map((g) => verifyBatchOfSameMessage(g.digest, g.items));
      expect(expected).toEqual([[1, 2], [0]]);
      expect(pool.idle).toBe(1);
      const result = await pool.verify(groups);
      expect(result.invalid).toEqual(expected);
      expect(result.cpuMs).toBeGreaterThan(0);
      expect(result.handoffMs).toBeGreaterThanOrEqual(0);
      expect(pool.idle).toBe(1);
    } finally {
      await pool.close();
    }
    expect(pool.size).toBe(0);
    await expect(pool.verify([])).rejects.toThrow("closed");
  });

  it("refuses the batch of a worker that dies, and starts another in its place", async () => {
    const crashing = new URL("./support/crashing-worker.mjs", import.meta.url);
    const pool = await WorkerVerifierPool.start({ size: 1, workerUrl: crashing });
    try {
      const error = await pool.verify([{ digest, items: [] }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VerifierWorkerError);
      expect((error as Error).message).toMatch(/exited \(code 1: asked to crash\)/);
      await waitFor("a replacement worker", () => pool.idle === 1, 10_000, 10);
    } finally {
      await pool.close();
    }
  });

  it("fails to start, clearly, when the worker module is missing", async () => {
    await expect(
      WorkerVerifierPool.start({
        size: 1,
        workerUrl: new URL("./support/no-such-worker.js", import.meta.url),
      }),
    ).rejects.toThrow(/no-such-worker\.js is missing: run npm run build/);
  });
});
