import { request as httpRequest, type OutgoingHttpHeaders } from "node:http";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createHttpApp,
  DEFAULT_HTTP_LIMITS,
  defaultRefusalShape,
  type HttpAppOptions,
  listen,
  type Refusal,
  type RunningServer,
  sleep,
} from "../src/index.js";
import { TokenBuckets } from "../src/token-bucket.js";

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

/**
 * Every client below has an address of its own on the loopback network (127.0.0.x, which Linux
 * routes to 127.0.0.1), so that one case's requests never use up another's rate limit.
 */
let nextAddress = 10;
const freshAddress = () => `127.0.0.${nextAddress++}`;

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** One request on a connection of its own; `body` undefined sends none, `endBody: false` never finishes it. */
function ask(
  port: number,
  init: {
    method?: string;
    path?: string;
    headers?: OutgoingHttpHeaders;
    body?: string;
    endBody?: boolean;
    setHost?: boolean;
    localAddress?: string;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: init.method ?? "GET",
        path: init.path ?? "/",
        headers: init.headers,
        agent: false,
        setHost: init.setHost ?? true,
        localAddress: init.localAddress ?? freshAddress(),
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: parse(text) }),
        );
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    if (init.body !== undefined) request.write(init.body);
    if (init.endBody !== false) request.end();
  });
}

/** Raw bytes over TCP (what no HTTP client sends), each chunk `gapMs` after the last; the reply as text. */
function raw(port: number, chunks: readonly string[], gapMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: "127.0.0.1", port, localAddress: freshAddress() });
    let reply = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      reply += chunk;
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(reply));
    socket.on("connect", async () => {
      for (const chunk of chunks) {
        if (socket.destroyed || reply !== "") break;
        socket.write(chunk);
        if (gapMs > 0) await sleep(gapMs);
      }
    });
  });
}

/** A raw reply's status and JSON body. */
function parseRaw(reply: string): { status: number; connection: string | undefined; body: unknown } {
  const [head = "", ...rest] = reply.split("\r\n\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1] ?? 0);
  const connection = /\r\nconnection: *([^\r]+)/i.exec(head)?.[1];
  return { status, connection, body: parse(rest.join("\r\n\r\n")) };
}

function expectRefusal(answer: { status: number; body: unknown }, status: number, code: string) {
  expect({ status: answer.status, code: (answer.body as { code?: unknown }).code }).toEqual({ status, code });
  const body = answer.body as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(["code", "message", "retryable"]);
  expect(typeof body.message).toBe("string");
  expect((body.message as string).length).toBeGreaterThan(5);
  expect(typeof body.retryable).toBe("boolean");
}

describe("createHttpApp: one error shape for every refusal", () => {
  const refused: Refusal[] = [];
  let server: RunningServer;
  const limits: HttpAppOptions = {
    bodyLimit: 100,
    maxParamLength: 10,
    headersTimeoutMs: 400,
    requestTimeoutMs: 800,
    onRefused: (refusal) => refused.push(refusal),
  };

  beforeAll(async () => {
    const app = createHttpApp(limits);
    app.get("/items/:id", async (request) => ({ id: (request.params as { id: string }).id }));
    app.post("/echo", async (request) => request.body);
    app.get("/boom", async () => {
      throw new Error("a bug");
    });
    app.get("/taken", async () => {
      throw Object.assign(new Error("that name is taken"), { status: 409, code: "TAKEN", retryable: false });
    });
    server = await listen(app, "127.0.0.1", 0);
  });
  afterAll(() => server.close());

  it("answers the framework's, Node's and the routes' refusals in {code, message, retryable}", async () => {
    const { port } = server;
    const json = { "content-type": "application/json" };
    const cases: [string, Promise<{ status: number; body: unknown }>, number, string][] = [
      ["no route", ask(port, { path: "/nowhere" }), 404, "ROUTE_NOT_FOUND"],
      ["wrong method", ask(port, { method: "DELETE", path: "/items/1" }), 404, "ROUTE_NOT_FOUND"],
      ["bad URL encoding", ask(port, { path: "/items/%" }), 400, "BAD_URL"],
      ["parameter too long", ask(port, { path: `/items/${"1".repeat(11)}` }), 414, "URI_TOO_LONG"],
      [
        "body too large",
        ask(port, { method: "POST", path: "/echo", headers: json, body: `{"a":"${"x".repeat(200)}"}` }),
        413,
        "BODY_TOO_LARGE",
      ],
      [
        "wrong content type",
        ask(port, { method: "POST", path: "/echo", headers: { "content-type": "text/csv" }, body: "a,b" }),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      ],
      [
        "bad JSON",
        ask(port, { method: "POST", path: "/echo", headers: json, body: "{nope" }),
        400,
        "INVALID_REQUEST",
      ],
      [
        "prototype poisoning",
        ask(port, { method: "POST", path: "/echo", headers: json, body: '{"__proto__":{"x":1}}' }),
        400,
        "INVALID_REQUEST",
      ],
      ["missing Host", ask(port, { setHost: false }), 400, "MISSING_HOST"],
      [
        "unmet Expect",
        ask(port, { method: "POST", path: "/echo", headers: { ...json, expect: "teapot" }, body: "{}" }),
        417,
        "EXPECTATION_FAILED",
      ],
      [
        "headers too large",
        ask(port, { headers: { "x-big": "y".repeat(20_000) } }),
        431,
        "HEADERS_TOO_LARGE",
      ],
      [
        "body never finished",
        ask(port, {
          method: "POST",
          path: "/echo",
          headers: { ...json, "content-length": "50" },
          body: '{"a":',
          endBody: false,
        }),
        408,
        "REQUEST_TIMEOUT",
      ],
      ["a thrown refusal", ask(port, { path: "/taken" }), 409, "TAKEN"],
      ["a bug", ask(port, { path: "/boom" }), 500, "INTERNAL"],
      [
        "malformed request line",
        raw(port, ["NOT HTTP AT ALL\r\n\r\n"]).then(parseRaw),
        400,
        "MALFORMED_REQUEST",
      ],
      [
        "bad header syntax",
        raw(port, ["GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"]).then(parseRaw),
        400,
        "MALFORMED_REQUEST",
      ],
      [
        "CONNECT",
        raw(port, ["CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n\r\n"]).then(parseRaw),
        400,
        "MALFORMED_REQUEST",
      ],
    ];
    for (const [what, pending, status, code] of cases) {
      const answer = await pending;
      expect({ what, status: answer.status, code: (answer.body as { code?: unknown }).code }).toEqual({
        what,
        status,
        code,
      });
      expectRefusal(answer, status, code);
    }
    // The routes still answer, and every refusal was seen by onRefused.
    expect((await ask(port, { path: "/items/7" })).body).toEqual({ id: "7" });
    expect(refused.map((r) => r.body.code).sort()).toEqual(cases.map(([, , , code]) => code).sort());
  });

  it("cuts off a client that trickles its headers, with 408 in the shape, after the headers timeout", async () => {
    const started = Date.now();
    const header = "GET /items/1 HTTP/1.1\r\nHost: x\r\n";
    const trickle = [header, ...Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: y\r\n`)];
    const reply = parseRaw(await raw(server.port, trickle, 50));
    const elapsed = Date.now() - started;
    expectRefusal(reply, 408, "REQUEST_TIMEOUT");
    expect(reply.connection).toBe("close");
    // Cut off after the 400 ms headers timeout (checked every 100 ms), long before the 2 s trickle ends.
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(1_500);
  });
});

describe("createHttpApp: drain", () => {
  it("answers 503 in the shape on an idle connection and on one that arrives as the close begins, resetting neither", async () => {
    const refused: Refusal[] = [];
    const app = createHttpApp({ onRefused: (r) => refused.push(r) });
    app.get("/", async () => ({ ok: true }));
    const server = await listen(app, "127.0.0.1", 0, { quietMs: 50 });
    const idle = raw(server.port, []);
    await sleep(50);
    const closing = server.close();
    const late = raw(server.port, ["GET / HTTP/1.1\r\nHost: x\r\n\r\n"]);
    for (const reply of [parseRaw(await idle), parseRaw(await late)]) {
      expectRefusal(reply, 503, "SHUTTING_DOWN");
      expect(reply.connection).toBe("close");
    }
    await closing;
    expect(refused.map((r) => r.body.code)).toEqual(["SHUTTING_DOWN", "SHUTTING_DOWN"]);
  });
});

describe("createHttpApp: limits", () => {
  it("rate-limits each client address with a token bucket, in the shape, with Retry-After", async () => {
    // One token a second: the 12 requests must not earn a token back while they run (at 20/s, a
    // loaded machine's 50 ms between two of them did, and the 11th was let through).
    const app = createHttpApp({ rateLimit: { perSecond: 1, burst: 10 } });
    app.get("/", async () => ({ ok: true }));
    const server = await listen(app, "127.0.0.1", 0);
    try {
      const greedy = freshAddress();
      const answers: Answer[] = [];
      for (let i = 0; i < 12; i++) answers.push(await ask(server.port, { localAddress: greedy }));
      expect(answers.slice(0, 10).map((a) => a.status)).toEqual(Array(10).fill(200));
      const limited = answers.slice(10);
      for (const answer of limited) {
        expectRefusal(answer, 429, "RATE_LIMITED");
        expect(answer.headers["retry-after"]).toBe("1");
      }
      // Another address is not affected, and the greedy one gets a token back within a second.
      expect((await ask(server.port)).status).toBe(200);
      await sleep(1_050);
      expect((await ask(server.port, { localAddress: greedy })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("token buckets: burst, then the rate, per key; bounded keys", () => {
    let now = 0;
    const buckets = new TokenBuckets({ perSecond: 10, burst: 3 }, { maxKeys: 2, now: () => now });
    expect([1, 2, 3, 4].map(() => buckets.take("a"))).toEqual([0, 0, 0, 100]);
    expect(buckets.take("b")).toBe(0);
    now += 50;
    expect(buckets.take("a")).toBe(50);
    now += 50;
    expect(buckets.take("a")).toBe(0);
    now += 10_000;
    expect([1, 2, 3, 4].map(() => buckets.take("a"))).toEqual([0, 0, 0, 100]);
    buckets.take("c");
    expect(buckets.size).toBe(2);
  });

  it("the default lets 400 requests at once from one address through (32 operators on 127.0.0.1 in npm start)", async () => {
    const app = createHttpApp();
    app.get("/", async () => ({ ok: true }));
    const server = await listen(app, "127.0.0.1", 0);
    try {
      expect(DEFAULT_HTTP_LIMITS.rateLimit).toEqual({ perSecond: 200, burst: 400 });
      const address = freshAddress();
      const statuses = await Promise.all(
        Array.from({ length: 400 }, () => ask(server.port, { localAddress: address }).then((a) => a.status)),
      );
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("holds at most maxConnections: the longest idle makes room, and with none idle a new one is refused in the shape", async () => {
    const refused: Refusal[] = [];
    const app = createHttpApp({ maxConnections: 2, onRefused: (r) => refused.push(r) });
    app.get("/slow", async () => {
      await sleep(400);
      return { done: true };
    });
    app.get("/", async () => ({ ok: true }));
    const server = await listen(app, "127.0.0.1", 0);
    try {
      // Two connections that send nothing: a third one pushes out the older of them.
      const idle = [raw(server.port, []), raw(server.port, [])];
      await sleep(50);
      expect((await ask(server.port)).status).toBe(200);
      const pushedOut = parseRaw(await idle[0]!);
      expectRefusal(pushedOut, 503, "TOO_MANY_CONNECTIONS");
      expect(pushedOut.connection).toBe("close");
      // Two requests in progress hold both connections: a third connection is refused.
      const slow = [ask(server.port, { path: "/slow" }), ask(server.port, { path: "/slow" })];
      await sleep(100);
      const third = await ask(server.port);
      expectRefusal(third, 503, "TOO_MANY_CONNECTIONS");
      expect(third.headers.connection).toBe("close");
      expect((await Promise.all(slow)).map((a) => a.status)).toEqual([200, 200]);
      // The second idle connection made room for the second slow request.
      expectRefusal(parseRaw(await idle[1]!), 503, "TOO_MANY_CONNECTIONS");
      expect(refused.map((r) => r.body.code)).toEqual(Array(3).fill("TOO_MANY_CONNECTIONS"));
    } finally {
      await server.close();
    }
  });

  it("refuses contradictory limits", () => {
    expect(() => createHttpApp({ headersTimeoutMs: 2_000, requestTimeoutMs: 1_000 })).toThrow(RangeError);
    expect(() => createHttpApp({ maxConnections: 0 })).toThrow(RangeError);
    expect(() => createHttpApp({ rateLimit: { perSecond: 0, burst: 1 } })).toThrow(RangeError);
  });

  it("an app words refusals its own way", async () => {
    const app = createHttpApp({
      refusal: (kind, message) =>
        kind === "ROUTE_NOT_FOUND"
          ? { status: 404, body: { code: "NO_SUCH_THING", message, retryable: false } }
          : defaultRefusalShape(kind, message),
    });
    const server = await listen(app, "127.0.0.1", 0);
    try {
      expectRefusal(await ask(server.port, { path: "/x" }), 404, "NO_SUCH_THING");
      expectRefusal(parseRaw(await raw(server.port, ["BAD\r\n\r\n"])), 400, "MALFORMED_REQUEST");
    } finally {
      await server.close();
    }
  });
});
