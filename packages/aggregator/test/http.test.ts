import { createSessionRequest, type MessageSigner } from "@avskit/aggregator-api";
import { FIELD_MODULUS, G1, verifySignature } from "@avskit/bls";
import { waitFor } from "@avskit/integration";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { buildHttpApi } from "../src/http.js";
import type { SessionStoreOptions } from "../src/sessions.js";
import {
  body,
  harness,
  makeOperator,
  makeState,
  makeTask,
  sessionStore,
  sign,
  silentLogger,
  TEST_DOMAIN,
  type TestOperator,
} from "./fixtures.js";

const right = { referenceTaskIndex: 7, sum: 42n };
const ops = Array.from({ length: 4 }, (_, i) => makeOperator(i, { 0: 10n }));
const outsider = makeOperator(9, { 1: 10n });
/** Registered (it can log in), but not at the task's reference block. */
const latecomer = makeOperator(10, { 0: 10n });
const stranger = privateKeyToAccount(generatePrivateKey());
const state = makeState(100n, [...ops, outsider], [0, 1]);

const opened: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(opened.map((thing) => thing.close()));
});

/** A harness with one open task (7, threshold 100 %) behind the HTTP API; `verified` counts verifier calls. */
function api(options: { maxAttemptsPerTask?: number; sessions?: Partial<SessionStoreOptions> } = {}) {
  const counter = { verified: 0 };
  const h = harness(state, {
    ...(options.maxAttemptsPerTask !== undefined ? { maxAttemptsPerTask: options.maxAttemptsPerTask } : {}),
    verifier: (digest, items) => {
      counter.verified += items.length;
      return items.flatMap((item, i) => (verifySignature(item.publicKey, digest, item.signature) ? [] : [i]));
    },
  });
  h.aggregator.addTask(makeTask({ thresholdPercentage: 100 }));
  const withLatecomer = makeState(100n, [...ops, outsider, latecomer], [0, 1]);
  const sessions = sessionStore(h, withLatecomer, options.sessions);
  const app = buildHttpApi({
    aggregator: h.aggregator,
    sessions,
    metrics: h.metrics,
    logger: silentLogger,
    bodyLimit: 4096,
    // Every injected request comes from one address: the per-client rate limit (refusals.test.ts
    // tests it) would answer the floods below 429 before the checks under test here.
    limits: { rateLimit: false },
  });
  opened.push(app, h.aggregator);

  const loginReply = (payload: unknown) =>
    app.inject({
      method: "POST",
      url: "/v1/sessions",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify(payload),
    });
  const login = async (op: TestOperator | { operatorId: Hex; account: MessageSigner }) => {
    const reply = await loginReply(await createSessionRequest(op.account, TEST_DOMAIN, op.operatorId));
    expect(reply.statusCode, reply.body).toBe(201);
    return (reply.json() as { token: string }).token;
  };
  const post = (
    payload: unknown,
    options: {
      token?: string;
      authorization?: string;
      url?: string;
      contentType?: string;
      raw?: string;
    } = {},
  ) => {
    const headers: Record<string, string> = { "content-type": options.contentType ?? "application/json" };
    const authorization = options.authorization ?? (options.token ? `Bearer ${options.token}` : undefined);
    if (authorization !== undefined) headers.authorization = authorization;
    return app.inject({
      method: "POST",
      url: options.url ?? "/v1/tasks/7/responses",
      headers,
      payload: options.raw ?? JSON.stringify(payload),
    });
  };
  return { h, app, sessions, counter, login, loginReply, post };
}

type Reply = { statusCode: number; json(): { code: string; message: string; retryable: boolean } };

async function expectRefusals(cases: [string, Promise<Reply>, number][]): Promise<void> {
  for (const [expected, pending, status] of cases) {
    const reply = await pending;
    expect({ expected, status: reply.statusCode, code: reply.json().code }).toEqual({
      expected,
      status,
      code: expected,
    });
    expect(reply.json().message.length).toBeGreaterThan(5);
    expect(typeof reply.json().retryable).toBe("boolean");
  }
}

describe("HTTP API", () => {
  it("accepts a valid signed response with 202, and its resend with 200 duplicate", async () => {
    const { post, login } = api();
    const token = await login(ops[0]!);
    const reply = await post(body(ops[0]!, right), { token });
    expect(reply.statusCode).toBe(202);
    expect(reply.json()).toMatchObject({
      accepted: true,
      duplicate: false,
      taskIndex: 7,
      operatorId: ops[0]!.operatorId,
    });
    // The operator's retry of the same response (its first reply was lost, say): a success.
    const again = await post(body(ops[0]!, right), { token });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ accepted: true, duplicate: true, operatorId: ops[0]!.operatorId });
    // Another answer from it stays a refusal.
    const other = await post(body(ops[0]!, { referenceTaskIndex: 7, sum: 1n }), { token });
    expect(other.json()).toMatchObject({ code: "DUPLICATE_RESPONSE", retryable: false });
  });

  it("answers every kind of bad request with its 4xx code and changes nothing", async () => {
    const { h, post, login } = api({ maxAttemptsPerTask: 1_000 });
    const [t0, t1, t2] = [await login(ops[0]!), await login(ops[1]!), await login(ops[2]!)];
    expect((await post(body(ops[0]!, right), { token: t0 })).statusCode).toBe(202);
    const [tOutsider, tLate] = [await login(outsider), await login(latecomer)];
    const before = JSON.stringify(h.aggregator.snapshot());
    const good = body(ops[1]!, right);
    const token = t1;
    await expectRefusals([
      ["UNAUTHENTICATED", post(good), 401],
      ["UNAUTHENTICATED", post(good, { authorization: `Basic ${t1}` }), 401],
      ["UNAUTHENTICATED", post(good, { authorization: "Bearer 1234" }), 401],
      ["UNAUTHENTICATED", post(good, { token: "ab".repeat(32) }), 401],
      ["OPERATOR_MISMATCH", post(good, { token: t2 }), 403],
      ["INVALID_REQUEST", post(null, { raw: "{not json", token }), 400],
      ["INVALID_REQUEST", post(null, { raw: "", token }), 400],
      ["INVALID_REQUEST", post({ ...good, extra: 1 }, { token }), 400],
      ["INVALID_REQUEST", post({ ...good, operatorId: "0x12" }, { token }), 400],
      ["INVALID_REQUEST", post({ ...good, response: { ...good.response, sum: -1 } }, { token }), 400],
      [
        "INVALID_REQUEST",
        post({ ...good, response: { ...good.response, sum: `0x1${"0".repeat(64)}` } }, { token }),
        400,
      ],
      ["INVALID_REQUEST", post({ ...good, signature: { X: 1.5, Y: "2" } }, { token }), 400],
      ["INVALID_REQUEST", post(null, { raw: '{"__proto__":{"x":1}}', token }), 400],
      ["INVALID_REQUEST", post(good, { url: "/v1/tasks/abc/responses", token }), 400],
      ["INVALID_REQUEST", post(good, { url: "/v1/tasks/99999999999/responses", token }), 400],
      ["INVALID_REQUEST", post(good, { url: "/v1/tasks/%/responses", token }), 400],
      ["URI_TOO_LONG", post(good, { url: `/v1/tasks/${"1".repeat(65)}/responses`, token }), 414],
      ["UNSUPPORTED_MEDIA_TYPE", post(good, { contentType: "text/plain", token }), 415],
      ["BODY_TOO_LARGE", post({ ...good, pad: "x".repeat(5000) }, { token }), 413],
      ["ROUTE_NOT_FOUND", post(good, { url: "/v2/anything", token }), 404],
      [
        "INVALID_SIGNATURE_POINT",
        post({ ...good, signature: { X: FIELD_MODULUS.toString(), Y: "2" } }, { token }),
        400,
      ],
      ["INVALID_SIGNATURE_POINT", post({ ...good, signature: { X: "1", Y: "3" } }, { token }), 400],
      ["INVALID_SIGNATURE_POINT", post({ ...good, signature: { X: "0", Y: "0" } }, { token }), 400],
      [
        "TASK_NOT_FOUND",
        post(
          { ...good, response: { ...good.response, referenceTaskIndex: 8 } },
          { url: "/v1/tasks/8/responses", token },
        ),
        404,
      ],
      [
        "TASK_MISMATCH",
        post({ ...good, response: { ...good.response, referenceTaskIndex: 8 } }, { token }),
        400,
      ],
      ["OPERATOR_UNKNOWN", post(body(latecomer, right), { token: tLate }), 403],
      ["OPERATOR_NOT_IN_QUORUMS", post(body(outsider, right), { token: tOutsider }), 403],
      ["DUPLICATE_RESPONSE", post(body(ops[0]!, { referenceTaskIndex: 7, sum: 1n }), { token: t0 }), 409],
      [
        "DUPLICATE_RESPONSE",
        post(body(ops[0]!, right, sign(ops[0]!, { referenceTaskIndex: 7, sum: 1n })), { token: t0 }),
        409,
      ],
      ["SIGNATURE_INVALID", post(body(ops[1]!, right, G1.BASE), { token }), 422],
      [
        "SIGNATURE_INVALID",
        post(body(ops[1]!, { referenceTaskIndex: 7, sum: 1n }, sign(ops[1]!, right)), { token }),
        422,
      ],
    ]);
    expect(JSON.stringify(h.aggregator.snapshot())).toBe(before);
  });

  it("refuses bad logins, each with its own code, and grants nothing for them", async () => {
    const { loginReply, sessions } = api();
    const op = ops[1]!;
    const fresh = () => createSessionRequest(op.account, TEST_DOMAIN, op.operatorId);
    const accepted = await fresh();
    expect((await loginReply(accepted)).statusCode).toBe(201);
    const granted = sessions.size;
    const tenMinutes = 10 * 60 * 1000;
    const signedBy = (signer: MessageSigner, operatorId: Hex) =>
      createSessionRequest(signer, TEST_DOMAIN, operatorId);
    await expectRefusals([
      ["INVALID_REQUEST", loginReply({ ...accepted, nonce: "0x01" }), 400],
      ["INVALID_REQUEST", loginReply({ ...accepted, extra: true }), 400],
      [
        "LOGIN_EXPIRED",
        loginReply(
          await createSessionRequest(op.account, TEST_DOMAIN, op.operatorId, {
            nowMs: Date.now() - tenMinutes,
          }),
        ),
        401,
      ],
      [
        "LOGIN_EXPIRED",
        loginReply(
          await createSessionRequest(op.account, TEST_DOMAIN, op.operatorId, {
            nowMs: Date.now() + tenMinutes,
          }),
        ),
        401,
      ],
      // The same signed login again: a replay.
      ["NONCE_REUSED", loginReply(accepted), 409],
      // A signature by another key, claiming the operator's address.
      [
        "AUTH_INVALID",
        loginReply({ ...(await signedBy(stranger, op.operatorId)), operator: op.account.address }),
        401,
      ],
      // Signed for another deployment.
      [
        "AUTH_INVALID",
        loginReply(await createSessionRequest(op.account, { ...TEST_DOMAIN, chainId: 1 }, op.operatorId)),
        401,
      ],
      // A valid signature by a key that is not the one registered for the id.
      ["NOT_AN_OPERATOR", loginReply(await signedBy(stranger, op.operatorId)), 403],
      ["NOT_AN_OPERATOR", loginReply(await signedBy(stranger, `0x${"11".repeat(32)}`)), 403],
      // Operator 2's key cannot log in as operator 1.
      ["NOT_AN_OPERATOR", loginReply(await signedBy(ops[2]!.account, op.operatorId)), 403],
    ]);
    expect(sessions.size).toBe(granted);
  });

  it("rate-limits logins per client and in all, before reading them", async () => {
    const { loginReply } = api({ sessions: { loginRatePerClient: 2, loginRate: 1_000 } });
    const replies = [];
    for (const op of ops)
      replies.push(await loginReply(await createSessionRequest(op.account, TEST_DOMAIN, op.operatorId)));
    expect(replies.map((r) => r.statusCode)).toEqual([201, 201, 429, 429]);
    expect(replies[2]!.json()).toMatchObject({ code: "LOGIN_RATE_LIMITED", retryable: true });
    // Refused before its body is read: even a malformed login gets 429, not 400.
    expect((await loginReply({ nonsense: true })).json()).toMatchObject({ code: "LOGIN_RATE_LIMITED" });
    const global = api({ sessions: { loginRatePerClient: 1_000, loginRate: 1 } });
    const first = await global.loginReply(
      await createSessionRequest(ops[0]!.account, TEST_DOMAIN, ops[0]!.operatorId),
    );
    const second = await global.loginReply(
      await createSessionRequest(ops[1]!.account, TEST_DOMAIN, ops[1]!.operatorId),
    );
    expect([first.statusCode, second.statusCode]).toEqual([201, 429]);
  });

  it("refuses an expired token as retryable, and keeps a few tokens per operator, dropping the oldest", async () => {
    let now = Date.now();
    const { post, login } = api({ sessions: { now: () => now, lifetimeMs: 60_000, maxPerOperator: 2 } });
    const token = await login(ops[2]!);
    now += 61_000;
    const expired = await post(body(ops[2]!, right), { token });
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toMatchObject({ code: "UNAUTHENTICATED", retryable: true });
    // Gone once seen expired: unknown from then on, not retryable.
    expect((await post(body(ops[2]!, right), { token })).json()).toMatchObject({
      code: "UNAUTHENTICATED",
      retryable: false,
    });
    now = Date.now();
    const tokens = [await login(ops[2]!), await login(ops[2]!), await login(ops[2]!)];
    expect((await post(body(ops[2]!, right), { token: tokens[0]! })).json()).toMatchObject({
      code: "UNAUTHENTICATED",
    });
    expect((await post(body(ops[2]!, right), { token: tokens[2]! })).statusCode).toBe(202);
    expect((await post(body(ops[2]!, right), { token: tokens[1]! })).statusCode).toBe(200);
  });

  it("limits an operator with a valid token but forged signatures to its attempts, before any curve arithmetic", async () => {
    const { post, login, counter } = api();
    const token = await login(ops[3]!);
    const forged = (k: bigint) => body(ops[3]!, right, G1.BASE.multiply(k));
    const codes = [];
    for (let k = 1n; k <= 3n; k++) codes.push((await post(forged(k), { token })).json().code);
    expect(codes).toEqual(["SIGNATURE_INVALID", "SIGNATURE_INVALID", "SIGNATURE_INVALID"]);
    expect(counter.verified).toBe(3);
    // The fourth, forged or off the curve or even honest, is refused unverified and unparsed.
    for (const payload of [
      forged(4n),
      { ...forged(5n), signature: { X: "1", Y: "3" } },
      body(ops[3]!, right),
    ]) {
      const reply = await post(payload, { token });
      expect(reply.statusCode).toBe(403);
      expect(reply.json()).toMatchObject({ code: "TOO_MANY_ATTEMPTS", retryable: false });
    }
    expect(counter.verified).toBe(3);
    // Other operators are not affected.
    expect((await post(body(ops[1]!, right), { token: await login(ops[1]!) })).statusCode).toBe(202);
  });

  it("a flood of forged signatures under real operator ids without a session costs no curve arithmetic", async () => {
    const { h, post, counter, login } = api();
    await waitFor("the task's operator set", () => h.aggregator.describeTask(7).status === "collecting");
    const before = JSON.stringify(h.aggregator.snapshot());
    const victim = ops[1]!;
    const payloads = Array.from({ length: 1_000 }, (_, k) =>
      k % 2 === 0
        ? body(victim, right, G1.BASE.multiply(BigInt(k + 1)))
        : { ...body(victim, right), signature: { X: "1", Y: String(k + 3) } },
    );
    // One pairing check as this process does it, for scale.
    const pairingStarted = process.cpuUsage();
    verifySignature(victim.keys.publicKeyG2, `0x${"11".repeat(32)}`, sign(victim, right));
    const pairing = process.cpuUsage(pairingStarted);
    const started = process.cpuUsage();
    const replies = await Promise.all(
      payloads.map((payload, k) => post(payload, k % 4 === 1 ? { token: "cd".repeat(32) } : {})),
    );
    const used = process.cpuUsage(started);
    // Every one refused for its missing or unknown token, the off-curve ones too: the point was never decoded.
    expect(new Set(replies.map((r) => `${r.statusCode} ${r.json().code}`))).toEqual(
      new Set(["401 UNAUTHENTICATED"]),
    );
    expect(counter.verified).toBe(0);
    expect(JSON.stringify(h.aggregator.snapshot())).toBe(before);
    // And it cost less than a tenth of a pairing check each (in practice far less: a table lookup).
    const perRequestUs = (used.user + used.system) / payloads.length;
    expect(perRequestUs).toBeLessThan((pairing.user + pairing.system) / 10);
    // None of it counted as the victim's attempts: its own response goes through.
    expect((await post(body(victim, right), { token: await login(victim) })).statusCode).toBe(202);
  }, 30_000);

  it("describes tasks and reports health", async () => {
    const { app } = api();
    const task = await app.inject({ method: "GET", url: "/v1/tasks/7" });
    expect(task.json()).toMatchObject({ taskIndex: 7, status: "collecting", quorumNumbers: [0] });
    expect((await app.inject({ method: "GET", url: "/v1/tasks/8" })).json().code).toBe("TASK_NOT_FOUND");
    const health = await app.inject({ method: "GET", url: "/health" });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ healthy: true, tasks: 1 });
  });
});
