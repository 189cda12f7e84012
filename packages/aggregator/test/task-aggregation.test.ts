import { ResponseRejectedError, taskResponseDigest as responseDigest } from "@avskit/aggregator-api";
import { aggregateG1, G1, g1ToSolidity, verifySignature } from "@avskit/bls";
import { describe, expect, it } from "vitest";
import { TaskAggregation } from "../src/task-aggregation.js";
import { makeOperator, makeState, makeTask, sign } from "./fixtures.js";

const right = { referenceTaskIndex: 7, sum: 42n };
const wrong = { referenceTaskIndex: 7, sum: 43n };

function rejection(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ResponseRejectedError) return error.code;
    throw error;
  }
  throw new Error("expected a rejection");
}

describe("thresholds", () => {
  const ops = [0, 1, 2].map((i) => makeOperator(i, { 0: 10n }));
  const state = makeState(100n, ops, [0]);

  it("uses the contract's rule signed·100 ≥ total·threshold, at the boundary", () => {
    // 2 of 3 equal stakes is 66.67 %: enough for 66, not for 67.
    const at66 = new TaskAggregation(makeTask({ thresholdPercentage: 66 }), state);
    expect(at66.record(ops[0]!.operatorId, right, sign(ops[0]!, right))).toBe(false);
    expect(at66.record(ops[1]!.operatorId, right, sign(ops[1]!, right))).toBe(true);
    expect(at66.status).toBe("threshold-reached");

    const at67 = new TaskAggregation(makeTask({ thresholdPercentage: 67 }), state);
    expect(at67.record(ops[0]!.operatorId, right, sign(ops[0]!, right))).toBe(false);
    expect(at67.record(ops[1]!.operatorId, right, sign(ops[1]!, right))).toBe(false);
    expect(at67.record(ops[2]!.operatorId, right, sign(ops[2]!, right))).toBe(true);
  });

  it("needs every quorum, weighting by stake", () => {
    const big = makeOperator(10, { 0: 90n });
    const small = makeOperator(11, { 0: 10n, 1: 10n });
    const other = makeOperator(12, { 1: 90n });
    const agg = new TaskAggregation(
      makeTask({ quorumNumbers: [0, 1], thresholdPercentage: 50 }),
      makeState(100n, [big, small, other], [0, 1]),
    );
    expect(agg.record(big.operatorId, right, sign(big, right))).toBe(false); // quorum 0 at 90 %, quorum 1 at 0 %
    expect(agg.record(small.operatorId, right, sign(small, right))).toBe(false); // quorum 1 at 10 %
    expect(agg.record(other.operatorId, right, sign(other, right))).toBe(true);
  });

  it("never meets a quorum with no stake, as the task manager refuses it", () => {
    const lone = makeOperator(13, { 0: 10n });
    const agg = new TaskAggregation(
      makeTask({ quorumNumbers: [0, 1], thresholdPercentage: 1 }),
      makeState(100n, [lone], [0, 1]),
    );
    expect(agg.record(lone.operatorId, right, sign(lone, right))).toBe(false);
    expect(agg.status).toBe("collecting");
  });

  it("reports the threshold once, even as more signatures arrive", () => {
    const agg = new TaskAggregation(makeTask({ thresholdPercentage: 30 }), state);
    const reached = ops.map((op) => agg.record(op.operatorId, right, sign(op, right)));
    expect(reached).toEqual([true, false, false]);
  });
});

describe("multi-quorum multiplicity", () => {
  it("counts an operator in k of the task's quorums k times in sigma and apkG2, as the checker does", () => {
    const both = makeOperator(20, { 0: 5n, 1: 5n });
    const onlyZero = makeOperator(21, { 0: 5n });
    const onlyOne = makeOperator(22, { 1: 5n, 2: 100n }); // quorum 2 is not the task's
    const agg = new TaskAggregation(
      makeTask({ quorumNumbers: [0, 1], thresholdPercentage: 100 }),
      makeState(100n, [both, onlyZero, onlyOne], [0, 1, 2]),
    );
    const digest = responseDigest(right);
    const sigs = [both, onlyZero, onlyOne].map((op) => sign(op, right));
    agg.record(both.operatorId, right, sigs[0]!);
    agg.record(onlyZero.operatorId, right, sigs[1]!);
    expect(agg.record(onlyOne.operatorId, right, sigs[2]!)).toBe(true);
    const submission = agg.beginSubmission();
    // sigma = 2·sig(both) + sig(onlyZero) + sig(onlyOne); apkG2 likewise.
    expect(submission.sigma.equals(aggregateG1([sigs[0]!, sigs[0]!, sigs[1]!, sigs[2]!]))).toBe(true);
    const expectedApk = both.keys.publicKeyG2
      .add(both.keys.publicKeyG2)
      .add(onlyZero.keys.publicKeyG2)
      .add(onlyOne.keys.publicKeyG2);
    expect(submission.apkG2.equals(expectedApk)).toBe(true);
    expect(verifySignature(submission.apkG2, digest, submission.sigma)).toBe(true);
    expect(Object.fromEntries(submission.signedStake)).toEqual({ 0: 10n, 1: 10n });
    expect(Object.fromEntries(submission.totalStake)).toEqual({ 0: 10n, 1: 10n });
    // The checker's own equation: apkG1 = Σ quorum apks (each key once per quorum) verifies the same sigma.
    expect(agg.snapshot().groups[0]!.signers).toEqual({
      [both.operatorId]: 2,
      [onlyZero.operatorId]: 1,
      [onlyOne.operatorId]: 1,
    });
  });
});

describe("refusals change nothing", () => {
  const ops = [0, 1, 2, 3].map((i) => makeOperator(i, { 0: 10n }));
  const outsider = makeOperator(30, { 1: 10n });
  const stranger = makeOperator(31, { 0: 10n });
  const state = makeState(100n, [...ops, outsider], [0, 1]);

  it("refuses another response from an operator that answered, knows its resend, and counts the stake once", () => {
    const agg = new TaskAggregation(makeTask({ thresholdPercentage: 100 }), state);
    const signature = sign(ops[0]!, right);
    agg.record(ops[0]!.operatorId, right, signature);
    const before = JSON.stringify(agg.snapshot());
    // The very same response again (a retry): known, and nothing changes.
    expect(agg.admit(ops[0]!.operatorId, right, g1ToSolidity(signature))).toEqual({
      kind: "duplicate",
      digest: responseDigest(right),
    });
    expect(agg.record(ops[0]!.operatorId, right, signature)).toBe(false);
    // Another signature for the same answer, or another answer: refused.
    expect(rejection(() => agg.admit(ops[0]!.operatorId, right, g1ToSolidity(signature.multiply(2n))))).toBe(
      "DUPLICATE_RESPONSE",
    );
    expect(rejection(() => agg.record(ops[0]!.operatorId, wrong, sign(ops[0]!, wrong)))).toBe(
      "DUPLICATE_RESPONSE",
    );
    expect(rejection(() => agg.admit(ops[0]!.operatorId, right))).toBe("DUPLICATE_RESPONSE");
    expect(JSON.stringify(agg.snapshot())).toBe(before);
    expect(agg.snapshot().groups[0]!.signedStake).toEqual({ 0: "10" });
  });

  it("tells unknown operators, operators outside the task's quorums and mismatched tasks apart", () => {
    const agg = new TaskAggregation(makeTask(), state);
    const before = JSON.stringify(agg.snapshot());
    expect(rejection(() => agg.admit(stranger.operatorId, right))).toBe("OPERATOR_UNKNOWN");
    expect(rejection(() => agg.admit(`0x${"00".repeat(32)}`, right))).toBe("OPERATOR_UNKNOWN");
    expect(rejection(() => agg.admit(outsider.operatorId, right))).toBe("OPERATOR_NOT_IN_QUORUMS");
    expect(rejection(() => agg.admit(ops[0]!.operatorId, { referenceTaskIndex: 8, sum: 42n }))).toBe(
      "TASK_MISMATCH",
    );
    expect(JSON.stringify(agg.snapshot())).toBe(before);
  });

  it("refuses after submission began and after expiry", () => {
    const agg = new TaskAggregation(makeTask({ thresholdPercentage: 50 }), state);
    agg.record(ops[0]!.operatorId, right, sign(ops[0]!, right));
    agg.record(ops[1]!.operatorId, right, sign(ops[1]!, right));
    agg.beginSubmission();
    expect(() => agg.beginSubmission()).toThrow(/cannot submit/);
    expect(rejection(() => agg.record(ops[2]!.operatorId, right, sign(ops[2]!, right)))).toBe(
      "TASK_ALREADY_RESPONDED",
    );

    const late = new TaskAggregation(makeTask(), state);
    expect(late.expire()).toBe(true);
    expect(rejection(() => late.admit(ops[0]!.operatorId, right))).toBe("TASK_EXPIRED");
  });
});

describe("digests", () => {
  const ops = [0, 1, 2, 3, 4].map((i) => makeOperator(i, { 0: 10n }));
  const state = makeState(100n, ops, [0]);

  it("never mixes answers, and submits the digest that reached the threshold, not the last one received", () => {
    const agg = new TaskAggregation(makeTask({ thresholdPercentage: 60 }), state);
    agg.record(ops[0]!.operatorId, wrong, sign(ops[0]!, wrong));
    agg.record(ops[1]!.operatorId, right, sign(ops[1]!, right));
    agg.record(ops[2]!.operatorId, right, sign(ops[2]!, right));
    expect(agg.record(ops[3]!.operatorId, right, sign(ops[3]!, right))).toBe(true);
    agg.record(ops[4]!.operatorId, wrong, sign(ops[4]!, wrong)); // during the collection window
    const submission = agg.beginSubmission();
    expect(submission.digest).toBe(responseDigest(right));
    expect(submission.response).toEqual(right);
    expect(submission.signerIds).toEqual([ops[1], ops[2], ops[3]].map((o) => o!.operatorId).sort());
    expect(submission.nonSigners.map((r) => r.operatorId)).toEqual(
      [ops[0]!.operatorId, ops[4]!.operatorId].sort(),
    );
    expect(verifySignature(submission.apkG2, submission.digest, submission.sigma)).toBe(true);
    const groups = agg.snapshot().groups;
    expect(groups.map((g) => Object.keys(g.signers).length).sort()).toEqual([2, 3]);
  });

  it("sorts non-signers strictly ascending by operatorId", () => {
    const many = Array.from({ length: 12 }, (_, i) => makeOperator(40 + i, { 0: 1n }));
    const agg = new TaskAggregation(makeTask({ thresholdPercentage: 1 }), makeState(100n, many, [0]));
    agg.record(many[5]!.operatorId, right, sign(many[5]!, right));
    const ids = agg.beginSubmission().nonSigners.map((r) => BigInt(r.operatorId));
    expect(ids).toHaveLength(11);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
  });

  it("keeps each task's running totals its own: the shared operator state is never written", () => {
    const shared = makeState(100n, ops, [0]);
    const frozen = JSON.stringify([...shared.totalStakes], (_k, v) =>
      typeof v === "bigint" ? v.toString() : v,
    );
    const stakesBefore = ops.map((o) => o.record.stakes.get(0));
    const a = new TaskAggregation(makeTask({ taskIndex: 7, thresholdPercentage: 100 }), shared);
    const b = new TaskAggregation(makeTask({ taskIndex: 8, thresholdPercentage: 100 }), shared);
    for (const op of ops.slice(0, 3)) a.record(op.operatorId, right, sign(op, right));
    const other = { referenceTaskIndex: 8, sum: 1n };
    b.record(ops[0]!.operatorId, other, sign(ops[0]!, other));
    expect(a.snapshot().groups[0]!.signedStake).toEqual({ 0: "30" });
    expect(b.snapshot().groups[0]!.signedStake).toEqual({ 0: "10" });
    expect(b.status).toBe("collecting");
    expect(
      JSON.stringify([...shared.totalStakes], (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    ).toBe(frozen);
    expect(ops.map((o) => o.record.stakes.get(0))).toEqual(stakesBefore);
  });

  it("discarding a bad signature from the winner reopens collection when the threshold no longer holds", () => {
    const agg = new TaskAggregation(makeTask({ thresholdPercentage: 40 }), state);
    agg.record(ops[0]!.operatorId, right, sign(ops[0]!, right));
    agg.record(ops[1]!.operatorId, right, G1.BASE); // pretend verification let a bad one through
    agg.beginSubmission();
    agg.discardFromWinner([ops[1]!.operatorId]);
    expect(agg.status).toBe("collecting");
    expect(agg.snapshot().groups[0]!.signedStake).toEqual({ 0: "10" });
    expect(rejection(() => agg.admit(ops[1]!.operatorId, right))).toBe("DUPLICATE_RESPONSE");
    expect(agg.record(ops[2]!.operatorId, right, sign(ops[2]!, right))).toBe(true);
    const submission = agg.beginSubmission();
    expect(verifySignature(submission.apkG2, submission.digest, submission.sigma)).toBe(true);
  });
});
