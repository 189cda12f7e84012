import { FIELD_MODULUS, G1 } from "@avskit/bls";
import { afterAll, describe, expect, it } from "vitest";
import { buildHttpApi } from "../src/http.js";
import { body, harness, makeOperator, makeState, makeTask, sign, silentLogger } from "./fixtures.js";

const right = { referenceTaskIndex: 7, sum: 42n };
const ops = Array.from({ length: 4 }, (_, i) => makeOperator(i, { 0: 10n }));
const outsider = makeOperator(9, { 1: 10n });
const h = harness(makeState(100n, [...ops, outsider], [0, 1]));
h.aggregator.addTask(makeTask({ thresholdPercentage: 100 }));
const app = buildHttpApi({
  aggregator: h.aggregator,
  metrics: h.metrics,
  logger: silentLogger,
  bodyLimit: 4096,
});
afterAll(async () => {
  await app.close();
  await h.aggregator.close();
});

function post(payload: unknown, options: { url?: string; contentType?: string; raw?: string } = {}) {
  return app.inject({
    method: "POST",
    url: options.url ?? "/v1/tasks/7/responses",
    headers: { "content-type": options.contentType ?? "application/json" },
    payload: options.raw ?? JSON.stringify(payload),
  });
}

describe("HTTP API", () => {
  it("accepts a valid signed response with 202", async () => {
    const reply = await post(body(ops[0]!, right));
    expect(reply.statusCode).toBe(202);
    expect(reply.json()).toMatchObject({ accepted: true, taskIndex: 7, operatorId: ops[0]!.operatorId });
  });

  it("answers every kind of bad request with its 4xx code and changes nothing", async () => {
    const before = JSON.stringify(h.aggregator.snapshot());
    const good = body(ops[1]!, right);
    const cases: [
      string,
      Promise<{ statusCode: number; json(): { code: string; message: string } }>,
      number,
    ][] = [
      ["INVALID_REQUEST", post(null, { raw: "{not json" }), 400],
      ["INVALID_REQUEST", post(null, { raw: "" }), 400],
      ["INVALID_REQUEST", post({ ...good, extra: 1 }), 400],
      ["INVALID_REQUEST", post({ ...good, operatorId: "0x12" }), 400],
      ["INVALID_REQUEST", post({ ...good, response: { ...good.response, sum: -1 } }), 400],
      [
        "INVALID_REQUEST",
        post({ ...good, response: { ...good.response, sum: `0x1${"0".repeat(64)}` } }),
        400,
      ],
      ["INVALID_REQUEST", post({ ...good, signature: { X: 1.5, Y: "2" } }), 400],
      ["INVALID_REQUEST", post(null, { raw: '{"__proto__":{"x":1}}' }), 400],
      ["INVALID_REQUEST", post(good, { url: "/v1/tasks/abc/responses" }), 400],
      ["INVALID_REQUEST", post(good, { url: "/v1/tasks/99999999999/responses" }), 400],
      ["INVALID_REQUEST", post(good, { url: "/v1/tasks/%/responses" }), 400],
      ["URI_TOO_LONG", post(good, { url: `/v1/tasks/${"1".repeat(65)}/responses` }), 414],
      ["UNSUPPORTED_MEDIA_TYPE", post(good, { contentType: "text/plain" }), 415],
      ["BODY_TOO_LARGE", post({ ...good, pad: "x".repeat(5000) }), 413],
      ["ROUTE_NOT_FOUND", post(good, { url: "/v2/anything" }), 404],
      ["INVALID_SIGNATURE_POINT", post({ ...good, signature: { X: FIELD_MODULUS.toString(), Y: "2" } }), 400],
      ["INVALID_SIGNATURE_POINT", post({ ...good, signature: { X: "1", Y: "3" } }), 400],
      ["INVALID_SIGNATURE_POINT", post({ ...good, signature: { X: "0", Y: "0" } }), 400],
      [
        "TASK_NOT_FOUND",
        post(
          { ...good, response: { ...good.response, referenceTaskIndex: 8 } },
          { url: "/v1/tasks/8/responses" },
        ),
        404,
      ],
      ["TASK_MISMATCH", post({ ...good, response: { ...good.response, referenceTaskIndex: 8 } }), 400],
      ["OPERATOR_UNKNOWN", post({ ...good, operatorId: `0x${"11".repeat(32)}` }), 403],
      ["OPERATOR_NOT_IN_QUORUMS", post(body(outsider, right)), 403],
      ["DUPLICATE_RESPONSE", post(body(ops[0]!, right)), 409],
      ["DUPLICATE_RESPONSE", post(body(ops[0]!, { referenceTaskIndex: 7, sum: 1n })), 409],
      ["SIGNATURE_INVALID", post(body(ops[1]!, right, G1.BASE)), 422],
      [
        "SIGNATURE_INVALID",
        post(body(ops[1]!, { referenceTaskIndex: 7, sum: 1n }, sign(ops[1]!, right))),
        422,
      ],
    ];
    for (const [expected, pending, status] of cases) {
      const reply = await pending;
      expect({ expected, status: reply.statusCode, code: reply.json().code }).toEqual({
        expected,
        status,
        code: expected,
      });
      expect(reply.json().message.length).toBeGreaterThan(5);
    }
    expect(JSON.stringify(h.aggregator.snapshot())).toBe(before);
  });

  it("describes tasks and reports health", async () => {
    const task = await app.inject({ method: "GET", url: "/v1/tasks/7" });
    expect(task.json()).toMatchObject({ taskIndex: 7, status: "collecting", quorumNumbers: [0] });
    expect((await app.inject({ method: "GET", url: "/v1/tasks/8" })).json().code).toBe("TASK_NOT_FOUND");
    const health = await app.inject({ method: "GET", url: "/health" });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ healthy: true, tasks: 1 });
  });
});
