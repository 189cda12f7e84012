import { taskResponseDigest as responseDigest } from "@avskit/aggregator-api";
import { G1, verifySignature } from "@avskit/bls";
import { captureLogs, waitFor } from "@avskit/integration";
import { describe, expect, it } from "vitest";
import type { SameMessageBatchVerifier } from "../src/batcher.js";
import { AggregatorUnavailableError } from "../src/errors.js";
import { verifyBatchOfSameMessage } from "../src/fast-verifier.js";
import { body, code, harness, makeOperator, makeState, makeTask, sign } from "./fixtures.js";

const right = { referenceTaskIndex: 7, sum: 42n };
const wrong = { referenceTaskIndex: 7, sum: 41n };
const ops = Array.from({ length: 6 }, (_, i) => makeOperator(i, { 0: 10n }));
const state = makeState(100n, ops, [0]);

describe("aggregator", () => {
  it("submits exactly once, however many signatures come after the threshold", async () => {
    const h = harness(state);
    h.aggregator.addTask(makeTask({ thresholdPercentage: 50 }));
    const results = await Promise.all(ops.map((op) => code(h.respond(7, body(op, right)))));
    // Concurrent arrivals share a batch: the ones counted after submission began are told it is done.
    expect(results.filter((r) => r === "ACCEPTED").length).toBeGreaterThanOrEqual(3);
    expect(results.every((r) => r === "ACCEPTED" || r === "TASK_ALREADY_RESPONDED")).toBe(true);
    await waitFor("the responded event", () => h.events.some((e) => e.kind === "responded"), 5_000, 5);
    for (const op of ops) await code(h.respond(7, body(op, right)));
    expect(h.submitter.submissions).toHaveLength(1);
    expect(h.events.filter((e) => e.kind === "sent")).toHaveLength(1);
    // A resend of a counted response is still a success after the task is done; another is not.
    const counted = results.indexOf("ACCEPTED");
    expect(await h.respond(7, body(ops[counted]!, right))).toMatchObject({
      duplicate: true,
      taskStatus: "responded",
    });
    expect(await code(h.respond(7, body(ops[counted]!, wrong)))).toBe("TASK_ALREADY_RESPONDED");
    expect(h.aggregator.load).toEqual({ tasks: 0, timers: 0, submitting: 0 });
    await h.aggregator.close();
  });

  it("refuses an invalid signature with its own 4xx while valid ones in the same batch pass; it is never aggregated", async () => {
    const h = harness(state, { idleMs: 20 });
    h.aggregator.addTask(makeTask({ thresholdPercentage: 100 }));
    const forged = body(ops[1]!, right, sign(ops[2]!, right)); // op 2's signature claimed by op 1
    const offKey = body(ops[3]!, right, G1.BASE.multiply(12345n)); // a valid point, not a signature
    const results = await Promise.all([
      code(h.respond(7, body(ops[0]!, right))),
      code(h.respond(7, forged)),
      code(h.respond(7, offKey)),
      code(h.respond(7, body(ops[2]!, right))),
    ]);
    expect(results).toEqual(["ACCEPTED", "SIGNATURE_INVALID", "SIGNATURE_INVALID", "ACCEPTED"]);
    const snapshot = h.aggregator.snapshot().tasks[0] as { answered: Record<string, string> };
    expect(Object.keys(snapshot.answered).sort()).toEqual([ops[0]!.operatorId, ops[2]!.operatorId].sort());
    // The real operators 1 and 3 can still answer, and the task completes with a valid aggregate.
    for (const op of [ops[1]!, ops[3]!, ops[4]!, ops[5]!]) {
      expect(await code(h.respond(7, body(op, right)))).toBe("ACCEPTED");
    }
    await waitFor("one submission", () => h.submitter.submissions.length === 1, 5_000, 5);
    const { submission } = h.submitter.submissions[0]!;
    expect(submission.nonSigners).toHaveLength(0);
    expect(verifySignature(submission.apkG2, submission.digest, submission.sigma)).toBe(true);
    expect(await h.registry.getSingleMetricAsString("avskit_aggregator_signatures_invalid_total")).toContain(
      "total 2",
    );
    await h.aggregator.close();
  });

  it("a flood from one operator is refused OVERLOADED beyond its own queue, while the others are verified and complete the task", async () => {
    // A registered operator under its own session, its attempt limit raised so that its flood
    // reaches the verification queues: the per-operator bound is what holds it then.
    const h = harness(state, { idleMs: 5, maxQueuedPerOperator: 4, maxAttemptsPerTask: 1_000 });
    h.aggregator.addTask(makeTask({ thresholdPercentage: 80 }));
    // Each a different forgery: an identical resend would wait for the first one's verdict.
    const flood = Array.from({ length: 40 }, (_, i) =>
      code(h.respond(7, body(ops[0]!, right, G1.BASE.multiply(BigInt(i + 2))))),
    );
    const honest = ops.slice(1).map((op) => code(h.respond(7, body(op, right))));
    expect(await Promise.all(honest)).toEqual(ops.slice(1).map(() => "ACCEPTED"));
    const floodCodes = await Promise.all(flood);
    expect(floodCodes.filter((c) => c === "SIGNATURE_INVALID")).toHaveLength(4);
    expect(floodCodes.filter((c) => c === "OVERLOADED")).toHaveLength(36);
    await waitFor("the responded event", () => h.events.some((e) => e.kind === "responded"), 5_000, 5);
    expect(h.submitter.submissions[0]!.submission.signerIds).toHaveLength(5);
    expect(await h.registry.getSingleMetricAsString("avskit_aggregator_signatures_invalid_total")).toContain(
      "total 4",
    );
    await h.aggregator.close();
  });

  it("keeps an invalid signature out of the submission even if the batch verifier lets it through", async () => {
    const lying = () => [] as number[];
    const h = harness(state, { verifier: lying });
    h.aggregator.addTask(makeTask({ thresholdPercentage: 50 }));
    expect(await code(h.respond(7, body(ops[0]!, right, G1.BASE)))).toBe("ACCEPTED");
    for (const op of ops.slice(1, 3)) await h.respond(7, body(op, right));
    // The chain's check (simulated by the submitter) refused the aggregate; the signatures were
    // re-checked one by one, the bad one dropped, and without it the threshold no longer holds.
    await waitFor(
      "the refused aggregate and collecting again",
      () => h.submitter.submissions.length === 1 && h.aggregator.snapshot().tasks[0]?.status === "collecting",
      5_000,
      5,
    );
    expect(await code(h.respond(7, body(ops[0]!, right)))).toBe("DUPLICATE_RESPONSE");
    await h.respond(7, body(ops[3]!, right));
    await waitFor("the responded event", () => h.events.some((e) => e.kind === "responded"), 5_000, 5);
    expect(h.submitter.submissions).toHaveLength(2);
    const { submission } = h.submitter.submissions[1]!;
    expect(submission.signerIds).not.toContain(ops[0]!.operatorId);
    expect(verifySignature(submission.apkG2, submission.digest, submission.sigma)).toBe(true);
    expect(await h.registry.getSingleMetricAsString("avskit_aggregator_signatures_invalid_total")).toContain(
      "total 1",
    );
    await h.aggregator.close();
  });

  it("waits the collection window, counts what arrives in it, then submits the threshold digest once", async () => {
    const h = harness(state, { collectionWindowMs: 1000 });
    h.aggregator.addTask(makeTask({ thresholdPercentage: 50 }));
    for (const op of ops.slice(0, 3)) await h.respond(7, body(op, right));
    expect(h.aggregator.load.timers).toBe(1);
    await h.respond(7, body(ops[3]!, right));
    await h.respond(7, body(ops[4]!, wrong));
    expect(h.submitter.submissions).toHaveLength(0);
    await waitFor("one submission", () => h.submitter.submissions.length === 1, 5_000, 5);
    const { submission } = h.submitter.submissions[0]!;
    expect(submission.digest).toBe(responseDigest(right));
    expect(submission.signerIds).toHaveLength(4);
    expect(submission.nonSigners).toHaveLength(2);
    await waitFor("the task to be dropped", () => h.aggregator.load.tasks === 0, 5_000, 5);
    expect(h.aggregator.load.timers).toBe(0);
    await h.aggregator.close();
  });

  it("expires by block number, frees the task and its timer, and says so to late operators", async () => {
    const h = harness(state, { collectionWindowMs: 60_000 });
    h.aggregator.addTask(makeTask({ thresholdPercentage: 100, lastResponseBlock: 130n }));
    h.aggregator.addTask(
      makeTask({ taskIndex: 8, task: {}, thresholdPercentage: 10, lastResponseBlock: 140n }),
    );
    await h.respond(7, body(ops[0]!, right));
    const other = { referenceTaskIndex: 8, sum: 1n };
    await h.respond(8, body(ops[0]!, other)); // threshold reached, waiting its window
    expect(h.aggregator.load).toMatchObject({ tasks: 2, timers: 1 });
    h.aggregator.onBlock(129n);
    expect(h.aggregator.load.tasks).toBe(2);
    h.aggregator.onBlock(130n);
    expect(h.events.filter((e) => e.kind === "expired").map((e) => e.taskIndex)).toEqual([7]);
    expect(await code(h.respond(7, body(ops[1]!, right)))).toBe("TASK_EXPIRED");
    // Task 8 reached its threshold: at its last block it is submitted at once rather than expire.
    h.aggregator.onBlock(139n);
    await waitFor("one submission", () => h.submitter.submissions.length === 1, 5_000, 5);
    expect(h.aggregator.load.timers).toBe(0);
    await h.aggregator.close();
  });

  it("answers TASK_NOT_FOUND before the task is known, then accepts the operator's retry", async () => {
    const h = harness(state);
    expect(await code(h.respond(7, body(ops[0]!, right)))).toBe("TASK_NOT_FOUND");
    expect(h.aggregator.snapshot()).toEqual({ tasks: [], finished: {} });
    h.aggregator.addTask(makeTask());
    expect(await code(h.respond(7, body(ops[0]!, right)))).toBe("ACCEPTED");
    await h.aggregator.close();
  });

  it("retries loading the operator set after a chain error, with 503-class errors meanwhile", async () => {
    const h = harness(state);
    h.states.failNext = 2;
    h.aggregator.addTask(makeTask());
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 4 && outcomes.at(-1) !== "ACCEPTED"; attempt++) {
      outcomes.push(
        await h.respond(7, body(ops[0]!, right)).then(
          () => "ACCEPTED",
          (error: { code: string }) => error.code,
        ),
      );
    }
    expect(outcomes[0]).toBe("UNAVAILABLE");
    expect(outcomes.at(-1)).toBe("ACCEPTED");
    expect(h.states.loads).toBe(3);
    await h.aggregator.close();
  });

  it("stops after 'already responded' and records a failed submission without retrying forever", async () => {
    const h = harness(state);
    h.submitter.result = { kind: "already-responded" };
    h.aggregator.addTask(makeTask({ thresholdPercentage: 10 }));
    await h.respond(7, body(ops[0]!, right));
    await waitFor(
      "the already-responded event",
      () => h.events.some((e) => e.kind === "already-responded"),
      5_000,
      5,
    );
    expect(h.aggregator.load.tasks).toBe(0);

    h.submitter.result = new Error("reverted: something else");
    h.aggregator.addTask(makeTask({ taskIndex: 9, thresholdPercentage: 10 }));
    await h.respond(9, body(ops[0]!, { referenceTaskIndex: 9, sum: 1n }));
    await waitFor("the failed event", () => h.events.some((e) => e.kind === "failed"), 5_000, 5);
    expect(await code(h.respond(9, body(ops[1]!, { referenceTaskIndex: 9, sum: 1n })))).toBe("TASK_EXPIRED");
    expect(h.submitter.submissions).toHaveLength(2);
    await h.aggregator.close();
  });

  it("drops a task someone else responded to on-chain", async () => {
    const h = harness(state);
    h.aggregator.addTask(makeTask({ thresholdPercentage: 100 }));
    await h.respond(7, body(ops[0]!, right));
    h.aggregator.markRespondedOnChain(7);
    expect(await code(h.respond(7, body(ops[1]!, right)))).toBe("TASK_ALREADY_RESPONDED");
    expect(h.aggregator.load.tasks).toBe(0);
    await h.aggregator.close();
  });

  it("on close, submits a task whose collection window is still running instead of dropping it", async () => {
    const h = harness(state, { collectionWindowMs: 60_000 });
    h.aggregator.addTask(makeTask({ thresholdPercentage: 50 }));
    for (const op of ops.slice(0, 3)) await h.respond(7, body(op, right));
    expect(h.aggregator.load).toMatchObject({ timers: 1, submitting: 0 });
    await h.aggregator.close();
    expect(h.submitter.submissions).toHaveLength(1);
    expect(h.events.some((e) => e.kind === "responded")).toBe(true);
    expect(h.aggregator.load).toEqual({ tasks: 0, timers: 0, submitting: 0 });
    // Closed: nothing more is taken.
    h.aggregator.addTask(makeTask({ taskIndex: 8, thresholdPercentage: 10 }));
    expect(h.aggregator.load.tasks).toBe(0);
  });

  it("after close, a signature that still arrives is refused UNAVAILABLE and not verified", async () => {
    let verified = 0;
    const counting: SameMessageBatchVerifier = (digest, items) => {
      verified += items.length;
      return verifyBatchOfSameMessage(digest, items);
    };
    const h = harness(state, { verifier: counting });
    h.aggregator.addTask(makeTask({ thresholdPercentage: 100 }));
    await h.aggregator.handleResponse(7, body(ops[0]!, right), ops[0]!.operatorId);
    const before = JSON.stringify(h.aggregator.snapshot());
    await h.aggregator.close();
    const error = await h.aggregator
      .handleResponse(7, body(ops[1]!, right), ops[1]!.operatorId)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregatorUnavailableError);
    expect((error as AggregatorUnavailableError).code).toBe("UNAVAILABLE");
    expect(JSON.stringify(h.aggregator.snapshot())).toBe(before);
    expect(verified).toBe(1);
  });

  it("takes responses only from the operator the session proved, before parsing the signature", async () => {
    const h = harness(state);
    h.aggregator.addTask(makeTask({ thresholdPercentage: 100 }));
    const offCurve = { ...body(ops[1]!, right), signature: { X: "1", Y: "3" } };
    await expect(h.aggregator.handleResponse(7, offCurve, ops[2]!.operatorId)).rejects.toMatchObject({
      code: "OPERATOR_MISMATCH",
      status: 403,
    });
    expect(await code(h.aggregator.handleResponse(7, offCurve, ops[1]!.operatorId))).toBe(
      "INVALID_SIGNATURE_POINT",
    );
    await h.aggregator.close();
  });

  it("bounds an operator's verification attempts per task; a resend in flight waits for the same verdict and costs none", async () => {
    let verified = 0;
    const counting: SameMessageBatchVerifier = (digest, items) => {
      verified += items.length;
      return items.flatMap((item, i) => (verifySignature(item.publicKey, digest, item.signature) ? [] : [i]));
    };
    const h = harness(state, { verifier: counting, idleMs: 30, maxAttemptsPerTask: 2 });
    h.aggregator.addTask(makeTask({ thresholdPercentage: 100 }));
    // Sent three times at once (a client timing out and retrying): verified once, counted once.
    const same = await Promise.all([1, 2, 3].map(() => h.respond(7, body(ops[0]!, right))));
    expect(same.map((r) => r.duplicate).sort()).toEqual([false, true, true]);
    expect(verified).toBe(1);
    // Operator 1 forges twice and is then refused unverified, even with its real signature.
    expect(await code(h.respond(7, body(ops[1]!, right, G1.BASE)))).toBe("SIGNATURE_INVALID");
    expect(await code(h.respond(7, body(ops[1]!, right, G1.BASE.multiply(2n))))).toBe("SIGNATURE_INVALID");
    expect(verified).toBe(3);
    expect(await code(h.respond(7, body(ops[1]!, right)))).toBe("TOO_MANY_ATTEMPTS");
    expect(verified).toBe(3);
    // The others are not held back by it.
    expect(await code(h.respond(7, body(ops[2]!, right)))).toBe("ACCEPTED");
    await h.aggregator.close();
  });

  it("a submission the stop cut off is logged with its task index and tx hash, not counted as failed", async () => {
    const { logger, lines } = captureLogs("aggregator");
    const h = harness(state, { logger });
    const txHash = `0x${"cd".repeat(32)}` as const;
    h.submitter.result = { kind: "cut-off", txHash, reason: "stopped waiting for the receipt" };
    h.aggregator.addTask(makeTask({ thresholdPercentage: 10 }));
    await h.respond(7, body(ops[0]!, right));
    await h.aggregator.close();
    expect(h.events.filter((e) => e.kind === "sent" || e.kind === "cut-off")).toEqual([
      expect.objectContaining({ kind: "sent", taskIndex: 7, txHash }),
      { kind: "cut-off", taskIndex: 7, txHash },
    ]);
    const line = lines.find((l) => /outcome unknown/.test(l.msg));
    expect(line).toMatchObject({ level: 40, taskIndex: 7, txHash, signers: 1 });
    expect(await h.registry.getSingleMetricAsString("avskit_aggregator_tasks_failed_total")).toContain(
      "total 0",
    );

    // Cut off before anything was sent: said as such, without a hash.
    const g = harness(state, { logger });
    g.submitter.result = { kind: "cut-off", txHash: undefined, reason: "stopped before trying" };
    g.aggregator.addTask(makeTask({ taskIndex: 9, thresholdPercentage: 10 }));
    await g.respond(9, body(ops[0]!, { referenceTaskIndex: 9, sum: 1n }));
    await g.aggregator.close();
    expect(lines.find((l) => l.taskIndex === 9 && /not sent/.test(l.msg))).toMatchObject({ level: 40 });
    expect(g.events.some((e) => e.kind === "sent")).toBe(false);
  });
});
