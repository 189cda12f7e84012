import type { TaskResponse } from "@avskit/aggregator-api";
import { aggregateSignatures, G1, type G1Point, verifySignature } from "@avskit/bls";
import { waitFor } from "@avskit/integration";
import { describe, expect, it } from "vitest";
import { verifyAggregateFirstOfSameMessage } from "../src/fast-verifier.js";
import { type BatchOutcome, InThreadVerifier, type VerificationPool } from "../src/verifier-pool.js";
import type { DigestGroup } from "../src/verify-protocol.js";
import {
  body,
  code,
  harness,
  makeOperator,
  makeState,
  makeTask,
  sign,
  type TestOperator,
} from "./fixtures.js";

/**
 * The service's aggregate-first verification against crafted cancelling pairs: operators A and B
 * send σA + Δ and σB − Δ, each invalid, their plain sum valid. Whatever the timing, an aggregate
 * the aggregator submits is the sum of its signers' valid signatures (the recording submitter
 * refuses any other, as the chain would), and a member of a pair is counted only together with
 * its partner, with the weights the check used: apart, both are refused.
 */

const right: TaskResponse = { referenceTaskIndex: 7, sum: 42n };
const delta = G1.BASE.multiply(0xbadn);
const plus = (op: TestOperator) => body(op, right, sign(op, right).add(delta));
const minus = (op: TestOperator) => body(op, right, sign(op, right).subtract(delta));

/** The in-thread verifier, holding its first batch until released: batches in a known order. */
class GatedPool implements VerificationPool {
  readonly #inner = new InThreadVerifier(verifyAggregateFirstOfSameMessage);
  readonly batches: DigestGroup[][] = [];
  #release: (() => void) | undefined;
  #gate: Promise<void> | undefined = new Promise((resolve) => {
    this.#release = resolve;
  });
  onAvailable: (() => void) | undefined;
  get size() {
    return this.#inner.size;
  }
  get idle() {
    return this.#gate !== undefined && this.batches.length > 0 ? 0 : this.#inner.idle;
  }
  async verify(groups: readonly DigestGroup[]): Promise<BatchOutcome> {
    this.batches.push([...groups]);
    await this.#gate;
    return this.#inner.verify(groups);
  }
  /** Lets the first batch through; the batcher hands over the next when it is done. */
  release(): void {
    this.#gate = undefined;
    this.#release?.();
  }
  close() {
    return this.#inner.close();
  }
}

function submittedSigma(h: ReturnType<typeof harness>): G1Point {
  const [only] = h.submitter.submissions;
  if (only === undefined) throw new Error("nothing was submitted");
  return only.submission.sigma;
}

describe("cancelling pairs", () => {
  const ops = Array.from({ length: 6 }, (_, i) => makeOperator(i, { 0: 10n }));
  const state = makeState(100n, ops, [0]);

  it("in separate batches: each is refused on its own and never counted", async () => {
    const h = harness(state);
    h.aggregator.addTask(makeTask({ thresholdPercentage: 100 }));
    expect(await code(h.respond(7, plus(ops[0]!)))).toBe("SIGNATURE_INVALID");
    expect(await code(h.respond(7, minus(ops[1]!)))).toBe("SIGNATURE_INVALID");
    // With honest company in each batch too.
    const first = await Promise.all([
      code(h.respond(7, plus(ops[2]!))),
      code(h.respond(7, body(ops[3]!, right))),
    ]);
    const second = await Promise.all([
      code(h.respond(7, minus(ops[4]!))),
      code(h.respond(7, body(ops[5]!, right))),
    ]);
    expect([first, second]).toEqual([
      ["SIGNATURE_INVALID", "ACCEPTED"],
      ["SIGNATURE_INVALID", "ACCEPTED"],
    ]);
    const answered = (h.aggregator.snapshot().tasks[0] as { answered: Record<string, string> }).answered;
    expect(Object.keys(answered).sort()).toEqual([ops[3]!.operatorId, ops[5]!.operatorId].sort());
    await h.aggregator.close();
  });

  it("in one batch: counted whole, never cut by the threshold; the aggregate is exactly the valid one", async () => {
    // 50 %: three signatures would do, the batch holds six; counting one by one would submit a
    // prefix, with Δ uncancelled when the cut falls between the pair.
    const h = harness(state, { idleMs: 20 });
    h.aggregator.addTask(makeTask({ thresholdPercentage: 50 }));
    const results = await Promise.all([
      code(h.respond(7, body(ops[0]!, right))),
      code(h.respond(7, plus(ops[1]!))),
      code(h.respond(7, body(ops[2]!, right))),
      code(h.respond(7, body(ops[3]!, right))),
      code(h.respond(7, minus(ops[4]!))),
      code(h.respond(7, body(ops[5]!, right))),
    ]);
    expect(results).toEqual(Array(6).fill("ACCEPTED"));
    await waitFor("the responded event", () => h.events.some((e) => e.kind === "responded"), 5_000, 5);
    expect(h.submitter.submissions).toHaveLength(1);
    const { submission } = h.submitter.submissions[0]!;
    expect(submission.signerIds).toHaveLength(6);
    expect(submittedSigma(h).equals(aggregateSignatures(ops.map((op) => sign(op, right))))).toBe(true);
    expect(verifySignature(submission.apkG2, submission.digest, submission.sigma)).toBe(true);
    await h.aggregator.close();
  });

  it("in one batch, with weights that do not cancel (one operator in two quorums): both refused", async () => {
    const twoQuorums = [makeOperator(0, { 0: 10n, 1: 10n }), ...ops.slice(1, 4)];
    const h = harness(makeState(100n, twoQuorums, [0, 1]), { idleMs: 20 });
    h.aggregator.addTask(makeTask({ quorumNumbers: [0, 1], thresholdPercentage: 100 }));
    const results = await Promise.all([
      code(h.respond(7, plus(twoQuorums[0]!))),
      code(h.respond(7, minus(twoQuorums[1]!))),
      code(h.respond(7, body(twoQuorums[2]!, right))),
      code(h.respond(7, body(twoQuorums[3]!, right))),
    ]);
    expect(results).toEqual(["SIGNATURE_INVALID", "SIGNATURE_INVALID", "ACCEPTED", "ACCEPTED"]);
    expect(h.submitter.submissions).toHaveLength(0);
    await h.aggregator.close();
  });

  it("in one batch, but one member cannot be counted: the others are verified again on their own", async () => {
    const pool = new GatedPool();
    const h = harness(state, { pool });
    h.aggregator.addTask(makeTask({ thresholdPercentage: 100 }));
    // Operator 0's valid answer is in a batch of its own, held back; meanwhile operator 0 also
    // sends σ0 + Δ, and operator 1 σ1 − Δ, with honest operator 2 beside them.
    const valid0 = code(h.respond(7, body(ops[0]!, right)));
    await waitFor("the first batch", () => pool.batches.length === 1, 5_000, 1);
    const rest = [
      code(h.respond(7, plus(ops[0]!))),
      code(h.respond(7, minus(ops[1]!))),
      code(h.respond(7, body(ops[2]!, right))),
    ];
    pool.release();
    expect(await valid0).toBe("ACCEPTED");
    // The second batch's plain sum verifies, but operator 0 has answered meanwhile: the set is
    // not counted whole, operator 1's signature is judged alone and refused, operator 2's counted.
    expect(await Promise.all(rest)).toEqual(["DUPLICATE_RESPONSE", "SIGNATURE_INVALID", "ACCEPTED"]);
    const groups = pool.batches.flat();
    expect(groups.filter((g) => g.individually).flatMap((g) => g.items)).toHaveLength(2);
    const snapshot = h.aggregator.snapshot().tasks[0] as { answered: Record<string, string> };
    expect(Object.keys(snapshot.answered).sort()).toEqual([ops[0]!.operatorId, ops[2]!.operatorId].sort());
    // Operator 1 may still send its valid signature, and the task completes with valid ones only.
    for (const op of ops.slice(1)) if (op !== ops[2]) await h.respond(7, body(op, right));
    await waitFor("the responded event", () => h.events.some((e) => e.kind === "responded"), 5_000, 5);
    expect(submittedSigma(h).equals(aggregateSignatures(ops.map((op) => sign(op, right))))).toBe(true);
    await h.aggregator.close();
  });
});
