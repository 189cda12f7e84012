import { Agent, request as httpRequest } from "node:http";
import { createSessionRequest } from "@avskit/aggregator-api";
import { FIELD_MODULUS, G1, g1ToSolidity } from "@avskit/bls";
import { listen, type RunningServer } from "@avskit/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHttpApi } from "../src/http.js";
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
} from "./fixtures.js";

/**
 * ≥ 10,000 generated malformed or hostile requests over a real socket: every one must get a
 * 4xx with the expected code (a resend of the response already counted: 200, duplicate), the
 * server must stay up, and the aggregator's state must be exactly what it was before. Most come
 * from a faulty operator under its own session (its attempt limit raised so that they all reach
 * verification); some without a session, with an unknown token, or under another's.
 */

const REQUESTS = 10_000;
const CONCURRENCY = 16;
const BODY_LIMIT = 4096;
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = mulberry32(SEED);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
const hex = (bytes: number) =>
  `0x${Array.from({ length: bytes }, () => int(256).toString(16).padStart(2, "0")).join("")}`;
const bigRandom = (bits: number) => BigInt(hex(Math.ceil(bits / 8)));

function randomJson(depth = 0): unknown {
  switch (int(depth > 3 ? 5 : 8)) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, int(1e9)]);
    case 3:
      return pick(["", "0x", "-1", "1e5", "NaN", "ü𝄞", "0".repeat(90), hex(int(40)), " 12 "]);
    case 4:
      return hex(32);
    case 5:
      return Array.from({ length: int(4) }, () => randomJson(depth + 1));
    default: {
      const keys = ["operatorId", "response", "signature", "X", "Y", "sum", "referenceTaskIndex", "x", "__x"];
      return Object.fromEntries(Array.from({ length: int(5) }, () => [pick(keys), randomJson(depth + 1)]));
    }
  }
}

const hostileNumbers = [
  -1,
  1.5,
  Number.MAX_VALUE,
  "1e400",
  "-5",
  "01",
  "0x",
  "0xg1",
  "",
  " 1",
  `0x${"f".repeat(65)}`,
  "9".repeat(79),
  (2n ** 256n).toString(),
  true,
  null,
  [],
  {},
  "Infinity",
];

interface Case {
  readonly kind: string;
  readonly method?: "POST" | "GET" | "PUT" | "DELETE";
  readonly path: string;
  readonly contentType?: string | null;
  readonly payload: string;
  readonly codes: readonly string[];
  /** The Authorization header; by default the session of the operator the body names. */
  readonly authorization?: string | null;
}

/** Session tokens by operator id, from logging in before the test. */
const tokens = new Map<string, string>();
const bearer = (operatorId: string) => `Bearer ${tokens.get(operatorId) ?? tokens.get(ops[1]!.operatorId)}`;

const ops = Array.from({ length: 4 }, (_, i) => makeOperator(i, { 0: 10n }));
const outsider = makeOperator(9, { 1: 10n });
const right = { referenceTaskIndex: 7, sum: 42n };
const signatures = new Map(ops.map((op) => [op.operatorId, sign(op, right)]));

function validFor(index: number) {
  const op = ops[index]!;
  return body(op, right, signatures.get(op.operatorId));
}

function generate(): Case {
  const base = validFor(1 + int(3));
  const path = "/v1/tasks/7/responses";
  const json = (value: unknown, kind: string, codes: string[]): Case => ({
    kind,
    path,
    payload: JSON.stringify(value),
    codes,
  });
  // Forged signatures each cost a pairing to refuse: they get a smaller share (~3 %) than the
  // cases refused before any curve arithmetic; requests without a valid session ~12 %.
  const roll = int(400);
  const choice =
    roll < 6
      ? 11
      : roll < 12
        ? 12
        : roll < 60
          ? 20 + (roll % 3)
          : roll % 20 === 11 || roll % 20 === 12
            ? 19
            : roll % 20;
  const forgedPoint = () => {
    const { X, Y } = g1ToSolidity(G1.BASE.multiply(1n + bigRandom(60)));
    return { X: X.toString(), Y: Y.toString() };
  };
  switch (choice) {
    case 20:
      // Forged under a real operator id, no session: refused before the body is read.
      return {
        ...json({ ...base, signature: forgedPoint() }, "no-session", ["UNAUTHENTICATED"]),
        authorization: pick([null, "", "Bearer", `Basic ${hex(32)}`, `${bearer(base.operatorId)}0`]),
      };
    case 21:
      return {
        ...json(
          { ...base, signature: pick([forgedPoint(), { X: "1", Y: "3" }, { X: "0", Y: "0" }]) },
          "unknown-token",
          ["UNAUTHENTICATED"],
        ),
        authorization: `Bearer ${hex(32).slice(2)}`,
      };
    case 22: {
      const other = ops.find((op) => op.operatorId !== base.operatorId)!;
      return {
        ...json({ ...base, signature: forgedPoint() }, "another-operators-session", ["OPERATOR_MISMATCH"]),
        authorization: bearer(other.operatorId),
      };
    }
    case 0:
      return json(randomJson(), "random-json", ["INVALID_REQUEST"]);
    case 1: {
      const field = pick(["sum", "referenceTaskIndex"] as const);
      return json(
        { ...base, response: { ...base.response, [field]: pick(hostileNumbers) } },
        `hostile-${field}`,
        ["INVALID_REQUEST"],
      );
    }
    case 2: {
      const field = pick(["X", "Y"] as const);
      return json(
        { ...base, signature: { ...base.signature, [field]: pick(hostileNumbers) } },
        "hostile-coordinate",
        ["INVALID_REQUEST"],
      );
    }
    case 3:
      return json(
        { ...base, signature: { X: bigRandom(254).toString(), Y: bigRandom(254).toString() } },
        "off-curve",
        ["INVALID_SIGNATURE_POINT"],
      );
    case 4: {
      const big = FIELD_MODULUS + bigRandom(200);
      return json(
        {
          ...base,
          signature: pick([
            { X: big.toString(), Y: "2" },
            { X: "1", Y: `0x${big.toString(16)}` },
          ]),
        },
        "out-of-range",
        ["INVALID_SIGNATURE_POINT"],
      );
    }
    case 5:
      return json({ ...base, signature: { X: "0", Y: pick(["0", "0x0", 0]) } }, "infinity", [
        "INVALID_SIGNATURE_POINT",
      ]);
    case 6:
      return {
        kind: "oversize",
        path,
        payload: JSON.stringify({ ...base, pad: "a".repeat(BODY_LIMIT + int(20_000)) }),
        codes: ["BODY_TOO_LARGE"],
      };
    case 7: {
      const task = 8 + int(1_000_000);
      return {
        kind: "unknown-task",
        path: `/v1/tasks/${task}/responses`,
        payload: JSON.stringify({ ...base, response: { ...base.response, referenceTaskIndex: task } }),
        codes: ["TASK_NOT_FOUND"],
      };
    }
    case 8:
      // Under the session of the operator it does not name.
      return {
        ...json({ ...base, operatorId: hex(32) }, "unknown-operator", ["OPERATOR_MISMATCH"]),
        authorization: bearer(base.operatorId),
      };
    case 9:
      return json(body(outsider, right), "outsider", ["OPERATOR_NOT_IN_QUORUMS"]);
    case 10: {
      const other = { referenceTaskIndex: 7, sum: BigInt(int(1000)) };
      if (random() < 0.3) return json(validFor(0), "resend", ["resent"]);
      return json(
        pick([
          body(ops[0]!, other, signatures.get(ops[0]!.operatorId)),
          body(ops[0]!, right, signatures.get(ops[1]!.operatorId)),
        ]),
        "duplicate",
        ["DUPLICATE_RESPONSE"],
      );
    }
    case 11: {
      // Forged: a valid point that is not this operator's signature over this response.
      const forger = pick([
        () => G1.BASE.multiply(1n + bigRandom(60)),
        () => signatures.get(ops[(1 + int(3)) % 4]!.operatorId)!.negate(),
        () => signatures.get(ops[0]!.operatorId)!,
      ])();
      const victim = ops[1 + int(3)]!;
      if (forger.equals(signatures.get(victim.operatorId)!)) return json(validFor(0), "resend", ["resent"]);
      const { X, Y } = g1ToSolidity(forger);
      return json(
        { ...body(victim, right, forger), signature: { X: X.toString(), Y: Y.toString() } },
        "forged",
        ["SIGNATURE_INVALID"],
      );
    }
    case 12: {
      const other = { referenceTaskIndex: 7, sum: 43n };
      const victim = ops[1 + int(3)]!;
      return json(body(victim, other, signatures.get(victim.operatorId)), "signature-for-other-answer", [
        "SIGNATURE_INVALID",
      ]);
    }
    case 13:
      return json({ ...base, response: { ...base.response, referenceTaskIndex: 6 } }, "task-mismatch", [
        "TASK_MISMATCH",
      ]);
    case 14:
      return {
        kind: "bad-json",
        path,
        payload: pick([
          "{",
          '{"operatorId":',
          "[1,2",
          "nul",
          '{"a":1}}',
          "\u0000",
          JSON.stringify(base).slice(0, int(200)),
          "[".repeat(2000),
          JSON.stringify(base).replace('"referenceTaskIndex":7', '"referenceTaskIndex":1e400'),
          JSON.stringify(base).replace('"referenceTaskIndex":7', `"referenceTaskIndex":${"9".repeat(3000)}`),
          `${"[".repeat(1500)}${"]".repeat(1500)}`,
        ]),
        codes: ["INVALID_REQUEST"],
      };
    case 15:
      return {
        kind: "poisoning",
        path,
        payload: pick([
          `{"__proto__":{"operatorId":"x"},"response":{}}`,
          `{"constructor":{"prototype":{"polluted":true}}}`,
          `{"response":{"__proto__":{"sum":"1"}}}`,
        ]),
        codes: ["INVALID_REQUEST"],
      };
    case 16:
      return {
        kind: "content-type",
        path,
        contentType: pick([
          "text/plain",
          "application/x-www-form-urlencoded",
          "application/octet-stream",
          null,
        ]),
        payload: JSON.stringify(base),
        codes: ["UNSUPPORTED_MEDIA_TYPE", "INVALID_REQUEST"],
      };
    case 17:
      return {
        kind: "bad-path",
        path: pick([
          "/v1/tasks/-1/responses",
          "/v1/tasks/0x7/responses",
          "/v1/tasks/4294967296/responses",
          "/v1/tasks/07/responses",
          "/v1/tasks/%00/responses",
          `/v1/tasks/${"9".repeat(60)}/responses`,
        ]),
        payload: JSON.stringify(base),
        codes: ["INVALID_REQUEST", "ROUTE_NOT_FOUND"],
      };
    case 18:
      return {
        kind: "route",
        method: pick(["GET", "PUT", "DELETE", "POST"] as const),
        path: pick([
          "/",
          "/v1/tasks",
          "/v1/tasks/7/responses/x",
          "/admin",
          "/v1/../etc/passwd",
          "/v1/tasks/7/x",
        ]),
        payload: JSON.stringify(base),
        codes: ["ROUTE_NOT_FOUND", "INVALID_REQUEST"],
      };
    default:
      return json(
        { ...base, operatorId: pick([base.operatorId.toUpperCase(), `${base.operatorId}00`, "", 7, null]) },
        "bad-operator-id",
        ["INVALID_REQUEST"],
      );
  }
}

const state = makeState(100n, [...ops, outsider], [0, 1]);
const h = harness(state, { idleMs: 5, maxAttemptsPerTask: REQUESTS });
const app = buildHttpApi({
  aggregator: h.aggregator,
  sessions: sessionStore(h, state),
  metrics: h.metrics,
  logger: silentLogger,
  bodyLimit: BODY_LIMIT,
  // One client sends 10,000 requests as fast as it can: the rate limit (refusals.test.ts) would
  // answer most of them 429 before they reach what this test is about.
  limits: { rateLimit: false },
});
let server: RunningServer;
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function send(c: Case): Promise<{ status: number; code: string | undefined }> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const method = c.method ?? "POST";
    const payload = method === "GET" ? "" : c.payload;
    // Always framed by Content-Length: a body after a GET/DELETE without it would be read as a second request.
    const headers: Record<string, string> = { "content-length": String(Buffer.byteLength(payload)) };
    if (c.contentType !== null) headers["content-type"] = c.contentType ?? "application/json";
    const claimed = (() => {
      try {
        return String((JSON.parse(c.payload) as { operatorId?: unknown }).operatorId);
      } catch {
        return "";
      }
    })();
    const authorization = c.authorization === undefined ? bearer(claimed) : c.authorization;
    if (authorization !== null) headers.authorization = authorization;
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path: c.path, headers, agent },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          let code: string | undefined;
          try {
            const reply = JSON.parse(text) as { code?: string; duplicate?: boolean };
            code = res.statusCode === 200 && reply.duplicate === true ? "resent" : reply.code;
          } catch {
            code = undefined;
          }
          resolve({ status: res.statusCode ?? 0, code });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

beforeAll(async () => {
  h.aggregator.addTask(makeTask({ thresholdPercentage: 100 }));
  expect((await h.respond(7, validFor(0))).taskStatus).toBe("collecting");
  server = await listen(app, "127.0.0.1", 0);
  for (const op of [...ops, outsider]) {
    const reply = await fetch(`${server.url}/v1/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(await createSessionRequest(op.account, TEST_DOMAIN, op.operatorId)),
    });
    tokens.set(op.operatorId, ((await reply.json()) as { token: string }).token);
  }
});

afterAll(async () => {
  agent.destroy();
  await server.close();
  await h.aggregator.close();
});

describe("bad input fuzzing", () => {
  it(`answers ${REQUESTS} hostile requests with the expected 4xx and changes no state (seed ${SEED})`, async () => {
    const before = JSON.stringify(h.aggregator.snapshot());
    const cases = Array.from({ length: REQUESTS }, generate);
    const kinds = new Map<string, number>();
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
        const reply = await send(c).catch((error: Error) => ({ status: -1, code: error.message }));
        const ok =
          c.codes.includes(reply.code ?? "") &&
          (reply.code === "resent" ? reply.status === 200 : reply.status >= 400 && reply.status < 500);
        if (!ok && failures.length < 20) {
          failures.push(
            `${c.kind} ${c.method ?? "POST"} ${c.path} → ${reply.status} ${reply.code} (${c.payload.slice(0, 120)})`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(failures).toEqual([]);
    expect([...kinds.values()].reduce((a, b) => a + b, 0)).toBe(REQUESTS);
    expect(kinds.size).toBeGreaterThanOrEqual(23);
    expect(JSON.stringify(h.aggregator.snapshot())).toBe(before);
    expect(h.aggregator.load).toMatchObject({ tasks: 1, timers: 0, submitting: 0 });
    // Still serving: the honest operators complete the task.
    for (const i of [1, 2, 3])
      expect(
        (
          await send({
            kind: "valid",
            path: "/v1/tasks/7/responses",
            payload: JSON.stringify(validFor(i)),
            codes: [],
          })
        ).status,
      ).toBe(202);
    expect(h.submitter.submissions).toHaveLength(1);
  }, 120_000);
});
