import { connect, type Socket } from "node:net";
import {
  REJECTIONS,
  type RejectionCode,
  signedResponseBody,
  taskResponseDigest,
} from "@avskit/aggregator-api";
import { signDigest } from "@avskit/bls";
import {
  createTask,
  E18,
  type RawHttpReply,
  rawHttp,
  registerOperators,
  startTestAvs,
  type TestAvs,
  type TestOperator,
  waitFor,
} from "@avskit/integration";
import { createLogger, type RunningService } from "@avskit/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AggregatorConfigInput, type AggregatorHandle, aggregatorService } from "../src/service.js";
import { aggregatorKey, quorumsFor, stakedIn, tokenFor } from "./support/avs.js";

/**
 * The aggregator's HTTP layer under hostile clients, in-process on a real deployment on anvil:
 * every refusal (the framework's and Node's own included) in `{code, message, retryable}` with
 * its documented status, the per-address rate limit, the connection limit, the headers timeout
 * and the drain. Two aggregators on one chain: `tight` with short timeouts and a low rate limit,
 * `roomy` with the defaults. One task, two operators at 100 %: each aggregator is sent one
 * operator's signature, so neither ever submits.
 *
 * Each client uses its own source address (127.0.0.x: Linux routes all of 127/8 to loopback), so
 * that the rate limit of one case never touches another.
 */
let avs: TestAvs;
let ops: TestOperator[];
let tight: RunningService<AggregatorHandle>;
let roomy: RunningService<AggregatorHandle>;
let taskIndex: number;
/** Operator 0's session at `tight` and operator 1's at `roomy`: what reaches the body needs one. */
let tightToken: string;
let roomyToken: string;
const logger = createLogger({
  name: "refusals-test",
  level: process.env.TEST_LOG === "1" ? "debug" : "silent",
});

let nextHost = 2;
const newClient = () => `127.0.0.${nextHost++}`;

function start(overrides: AggregatorConfigInput): Promise<RunningService<AggregatorHandle>> {
  const config = aggregatorService.resolveConfig({
    rpcUrl: avs.rpcUrl,
    deploymentsDir: avs.deploymentsDir,
    ecdsaPrivateKey: aggregatorKey(avs),
    listen: "127.0.0.1:0",
    metricsAddr: "127.0.0.1:0",
    pollInterval: "100ms",
    ...overrides,
  });
  return aggregatorService.start(config, { logger });
}

const portOf = (running: RunningService<AggregatorHandle>) => Number(new URL(running.handle.url).port);

/** A request as bytes; `Host` and `Connection: close` unless the headers say otherwise. */
function request(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string; token?: string } = {},
) {
  const headers: Record<string, string> = { host: "127.0.0.1", connection: "close", ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined && headers["content-length"] === undefined)
    headers["content-length"] = String(Buffer.byteLength(init.body));
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `${method} ${path} HTTP/1.1\r\n${head.join("\r\n")}\r\n\r\n${init.body ?? ""}`;
}

/** `init` sent under the session `token`. */
const withToken = (token: string, init: { headers?: Record<string, string>; body?: string }) => ({
  ...init,
  token,
});

const json = (body: unknown) => ({
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

function signed(op: TestOperator) {
  const response = { referenceTaskIndex: taskIndex, sum: 5n };
  return signedResponseBody(
    op.operatorId,
    response,
    signDigest(op.bls.secretKey, taskResponseDigest(response)),
  );
}

/** The reply is the refusal `code` in the documented shape: REJECTIONS' status and retry flag. */
function expectRefusal(reply: RawHttpReply | { error: string }, code: RejectionCode): RawHttpReply {
  expect(reply).not.toHaveProperty("error");
  const { status, body } = reply as RawHttpReply;
  expect({ status, body }).toEqual({
    status: REJECTIONS[code].status,
    body: { code, message: expect.stringMatching(/.{6,}/), retryable: REJECTIONS[code].retryable },
  });
  return reply as RawHttpReply;
}

async function rejectedCounts(running: RunningService<AggregatorHandle>): Promise<Map<string, number>> {
  const metric = await running.handle.metrics.requestsRejected.get();
  return new Map(metric.values.map((v) => [String(v.labels.code), v.value]));
}

beforeAll(async () => {
  avs = await startTestAvs({ quorums: quorumsFor(1, 8) });
  ops = await registerOperators(avs, [stakedIn(avs, [0], 10n * E18), stakedIn(avs, [0], 10n * E18)]);
  [tight, roomy] = await Promise.all([
    start({
      headersTimeout: "500ms",
      requestTimeout: "1s",
      rateLimit: "20",
      rateLimitBurst: "40",
    }),
    start({}),
  ]);
  taskIndex = (await createTask(avs, { a: 2n, b: 3n, thresholdPercentage: 100, quorums: [0] })).taskIndex;
  tightToken = await tokenFor(avs, tight.handle.url, ops[0]!);
  roomyToken = await tokenFor(avs, roomy.handle.url, ops[1]!);
  for (const running of [tight, roomy]) {
    await waitFor(
      "the aggregator to know the task",
      async () => (await fetch(`${running.handle.url}/v1/tasks/${taskIndex}`)).status === 200,
      20_000,
    );
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([tight?.stop(), roomy?.stop()]);
  await avs?.stop();
});

describe("aggregator HTTP refusals and limits", () => {
  it("answers every refusal, the framework's and Node's own included, in {code, message, retryable} and counts it", async () => {
    const port = portOf(tight);
    const before = await rejectedCounts(tight);
    const snapshot = JSON.stringify(tight.handle.aggregator.snapshot());
    const responses = `/v1/tasks/${taskIndex}/responses`;
    const cases: [string, string, RejectionCode][] = [
      [
        "a path that cannot be decoded",
        request("POST", "/v1/tasks/%/responses", withToken(tightToken, json(signed(ops[0]!)))),
        "INVALID_REQUEST",
      ],
      [
        "a task index of 65 characters",
        request(
          "POST",
          `/v1/tasks/${"1".repeat(65)}/responses`,
          withToken(tightToken, json(signed(ops[0]!))),
        ),
        "URI_TOO_LONG",
      ],
      [
        "a task index that is not a number",
        request("POST", "/v1/tasks/abc/responses", withToken(tightToken, json(signed(ops[0]!)))),
        "INVALID_REQUEST",
      ],
      ["a malformed request line", "NOT HTTP AT ALL\r\n\r\n", "INVALID_REQUEST"],
      [
        "a header line without a colon",
        "GET /health HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n",
        "INVALID_REQUEST",
      ],
      [
        "no Host header",
        `GET /v1/tasks/${taskIndex} HTTP/1.1\r\nConnection: close\r\n\r\n`,
        "INVALID_REQUEST",
      ],
      [
        "20 KB of headers",
        request("GET", "/health", { headers: { "x-big": "y".repeat(20_000) } }),
        "HEADERS_TOO_LARGE",
      ],
      [
        "a body that never arrives in full",
        request("POST", responses, {
          token: tightToken,
          headers: { "content-type": "application/json", "content-length": "400" },
          body: '{"operatorId":',
        }),
        "REQUEST_TIMEOUT",
      ],
      ["no such route", request("GET", "/v2/anything"), "ROUTE_NOT_FOUND"],
      ["a method the route does not take", request("DELETE", `/v1/tasks/${taskIndex}`), "ROUTE_NOT_FOUND"],
      [
        "a body over --body-limit",
        request(
          "POST",
          responses,
          withToken(tightToken, json({ ...signed(ops[0]!), pad: "x".repeat(9_000) })),
        ),
        "BODY_TOO_LARGE",
      ],
      [
        "a body that is not JSON",
        request("POST", responses, {
          token: tightToken,
          headers: { "content-type": "text/plain" },
          body: "hello",
        }),
        "UNSUPPORTED_MEDIA_TYPE",
      ],
      [
        "unparsable JSON",
        request("POST", responses, {
          token: tightToken,
          headers: { "content-type": "application/json" },
          body: "{nope",
        }),
        "INVALID_REQUEST",
      ],
      [
        "an Expect it cannot meet",
        request("POST", responses, {
          ...json(signed(ops[0]!)),
          token: tightToken,
          headers: { "content-type": "application/json", expect: "teapot" },
        }),
        "INVALID_REQUEST",
      ],
      ["CONNECT", "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n\r\n", "INVALID_REQUEST"],
      [
        "a task it does not know",
        request(
          "POST",
          `/v1/tasks/${taskIndex + 1000}/responses`,
          withToken(
            tightToken,
            json({ ...signed(ops[0]!), response: { referenceTaskIndex: taskIndex + 1000, sum: "5" } }),
          ),
        ),
        "TASK_NOT_FOUND",
      ],
    ];
    const replies = await Promise.all(
      cases.map(([, bytes]) => rawHttp(port, bytes, { localAddress: newClient(), timeoutMs: 5_000 })),
    );
    for (const [i, [what, , code]] of cases.entries()) {
      const reply = replies[i]!;
      expect({ what, status: "status" in reply ? reply.status : reply.error }).toEqual({
        what,
        status: REJECTIONS[code].status,
      });
      expectRefusal(reply, code);
    }
    // Refusals the aggregator answers on the socket itself close the connection.
    for (const i of [3, 5, 6, 7]) expect((replies[i] as RawHttpReply).headers.connection).toBe("close");
    const after = await rejectedCounts(tight);
    for (const code of new Set(cases.map(([, , c]) => c))) {
      const expected = cases.filter(([, , c]) => c === code).length;
      expect({ code, counted: (after.get(code) ?? 0) - (before.get(code) ?? 0) }).toEqual({
        code,
        counted: expected,
      });
    }
    expect(JSON.stringify(tight.handle.aggregator.snapshot())).toBe(snapshot);
    // The ops server (/metrics, /health) refuses in the same shape.
    const ops404 = await rawHttp(Number(new URL(tight.opsUrl!).port), request("GET", "/nope"));
    expect(ops404).toMatchObject({ status: 404, body: { code: "ROUTE_NOT_FOUND", retryable: false } });
  });

  it("answers a client over its rate 429 RATE_LIMITED with Retry-After, while another address is served", async () => {
    const port = portOf(tight);
    const greedy = newClient();
    const read = request("GET", `/v1/tasks/${taskIndex}`);
    const statuses: number[] = [];
    let limited: RawHttpReply | undefined;
    for (let i = 0; i < 100 && !limited; i++) {
      const reply = await rawHttp(port, read, { localAddress: greedy });
      const status = "status" in reply ? reply.status : 0;
      statuses.push(status);
      if (status === 429) limited = reply as RawHttpReply;
    }
    // The bucket holds 40 (--rate-limit-burst) and refills at 20 a second.
    expect(statuses.slice(0, 40)).toEqual(Array(40).fill(200));
    expect(limited).toBeDefined();
    expectRefusal(limited!, "RATE_LIMITED");
    expect(limited!.headers["retry-after"]).toBe("1");
    // An operator on another address gets its signature counted meanwhile.
    const honest = await rawHttp(
      port,
      request("POST", `/v1/tasks/${taskIndex}/responses`, withToken(tightToken, json(signed(ops[0]!)))),
      {
        localAddress: newClient(),
      },
    );
    expect(honest).toMatchObject({ status: 202, body: { accepted: true } });
    expect((await rejectedCounts(tight)).get("RATE_LIMITED")).toBeGreaterThanOrEqual(1);
  });

  it("cuts off a client that trickles its headers after --headers-timeout, 408 in the shape, serving others meanwhile", async () => {
    const port = portOf(tight);
    const lines = [`GET /v1/tasks/${taskIndex} HTTP/1.1\r\nHost: x\r\n`];
    for (let i = 0; i < 40; i++) lines.push(`X-Slow-${i}: ${"y".repeat(10)}\r\n`);
    const started = Date.now();
    const slow = rawHttp(port, lines, { localAddress: newClient(), gapMs: 100 });
    await new Promise((r) => setTimeout(r, 200));
    expect(await rawHttp(port, request("GET", "/health"), { localAddress: newClient() })).toMatchObject({
      status: 200,
    });
    const reply = expectRefusal(await slow, "REQUEST_TIMEOUT");
    const elapsed = Date.now() - started;
    expect(reply.headers.connection).toBe("close");
    // 500 ms headers timeout, checked every 125 ms; the trickle alone would last 4 s.
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(2_500);
  });

  it("lets 64 requests at once from one address through with the default limits", async () => {
    const statuses = await Promise.all(
      Array.from(
        { length: 64 },
        async () => (await fetch(`${roomy.handle.url}/v1/tasks/${taskIndex}`)).status,
      ),
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it("2,000 idle connections: at most --max-connections (1024) are held, the rest are told so, and honest requests still get through", async () => {
    const port = portOf(roomy);
    const attacker = newClient();
    const sockets: { socket: Socket; received: string }[] = [];
    try {
      // In batches, so that the kernel's accept queue does not drop SYNs (a retry takes 1 s).
      for (let batch = 0; batch < 10; batch++) {
        await Promise.all(
          Array.from(
            { length: 200 },
            () =>
              new Promise<void>((resolve) => {
                const entry = {
                  socket: connect({ host: "127.0.0.1", port, localAddress: attacker }),
                  received: "",
                };
                entry.socket.setEncoding("utf8");
                entry.socket.on("data", (chunk: string) => {
                  entry.received += chunk;
                });
                entry.socket.on("error", () => {});
                entry.socket.once("connect", () => resolve());
                entry.socket.once("close", () => resolve());
                sockets.push(entry);
              }),
          ),
        );
      }
      const refused = () => sockets.filter((s) => s.received.includes("\r\n\r\n"));
      await waitFor("976 connections to be told there are too many", () => refused().length >= 976, 10_000);
      for (const { received } of refused()) {
        const [head = "", body = ""] = received.split("\r\n\r\n");
        expect(head).toMatch(/^HTTP\/1\.1 503 /);
        expect(JSON.parse(body)).toEqual({
          code: "TOO_MANY_CONNECTIONS",
          message: expect.any(String),
          retryable: true,
        });
      }
      const held = () => sockets.filter((s) => s.received === "" && !s.socket.destroyed).length;
      expect(held()).toBeLessThanOrEqual(1024);
      // Fresh connections push out the longest idle ones: /health, and a signed response counted.
      expect(await rawHttp(port, request("GET", "/health"), { localAddress: newClient() })).toMatchObject({
        status: 200,
      });
      const honest = await rawHttp(
        port,
        request("POST", `/v1/tasks/${taskIndex}/responses`, withToken(roomyToken, json(signed(ops[1]!)))),
        { localAddress: newClient() },
      );
      expect(honest).toMatchObject({ status: 202, body: { accepted: true } });
      expect((await fetch(`${roomy.opsUrl}/health`)).status).toBe(200);
      expect(held()).toBeLessThanOrEqual(1024);
      expect((await rejectedCounts(roomy)).get("TOO_MANY_CONNECTIONS")).toBeGreaterThanOrEqual(976);
    } finally {
      for (const { socket } of sockets) socket.destroy();
    }
  }, 60_000);

  it("while it stops, answers 503 UNAVAILABLE in the shape with Connection: close", async () => {
    const port = portOf(tight);
    const stopping = tight.stop();
    const reply = expectRefusal(
      await rawHttp(port, request("GET", `/v1/tasks/${taskIndex}`), { localAddress: newClient() }),
      "UNAVAILABLE",
    );
    expect(reply.headers.connection).toBe("close");
    expect(await stopping).toBe(0);
  });
});
