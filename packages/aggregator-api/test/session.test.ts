import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import {
  AggregatorSession,
  bearerToken,
  createSessionRequest,
  type LoginReason,
  parseSessionRequest,
  type SessionDomain,
  sessionMessage,
  sessionSignatureValid,
} from "../src/index.js";
import { code } from "./support.js";

const domain: SessionDomain = { chainId: 31337, taskManager: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
const operatorId = `0x${"c1".repeat(32)}` as const;
const operator = privateKeyToAccount(generatePrivateKey());
const stranger = privateKeyToAccount(generatePrivateKey());

describe("the login request", () => {
  it("is signed over a domain-separated text naming the purpose, chain, task manager, operator, time and nonce", async () => {
    const request = await createSessionRequest(operator, domain, operatorId, { nowMs: 1_700_000_000_999 });
    expect(request).toMatchObject({ operatorId, operator: operator.address, issuedAt: 1_700_000_000 });
    expect(request.nonce).toMatch(/^0x[0-9a-f]{64}$/);
    expect(sessionMessage(domain, request)).toBe(
      [
        "avskit aggregator session",
        "chain id: 31337",
        "task manager: 0x5FbDB2315678afecb367f032d93F642f64180aa3",
        `operator id: ${operatorId}`,
        `operator: ${operator.address}`,
        "issued at: 1700000000",
        `nonce: ${request.nonce}`,
      ].join("\n"),
    );
    const parsed = parseSessionRequest(JSON.parse(JSON.stringify(request)));
    expect(parsed).toEqual(request);
    expect(await sessionSignatureValid(parsed, domain)).toBe(true);
    // Each login gets its own nonce.
    expect((await createSessionRequest(operator, domain, operatorId)).nonce).not.toBe(request.nonce);
  });

  it("proves nothing for another chain, another deployment, another operator or another signer", async () => {
    const request = await createSessionRequest(operator, domain, operatorId);
    expect(await sessionSignatureValid(request, { ...domain, chainId: 1 })).toBe(false);
    expect(
      await sessionSignatureValid(request, {
        ...domain,
        taskManager: "0x0000000000000000000000000000000000000001",
      }),
    ).toBe(false);
    expect(await sessionSignatureValid({ ...request, operatorId: `0x${"c2".repeat(32)}` }, domain)).toBe(
      false,
    );
    expect(await sessionSignatureValid({ ...request, issuedAt: request.issuedAt + 1 }, domain)).toBe(false);
    // Signed by someone else but claiming the operator's address.
    const forged = await createSessionRequest(stranger, domain, operatorId);
    expect(await sessionSignatureValid({ ...forged, operator: operator.address }, domain)).toBe(false);
    // Not a signature at all (r = s = 0).
    expect(await sessionSignatureValid({ ...request, signature: `0x${"00".repeat(64)}1b` }, domain)).toBe(
      false,
    );
  });

  it.each([
    ["not an object", "nope"],
    ["an extra field", { extra: 1 }],
    ["a short operator id", { operatorId: "0x12" }],
    ["a bad address", { operator: "0x1234" }],
    ["a fractional issuedAt", { issuedAt: 1.5 }],
    ["a string issuedAt", { issuedAt: "1700000000" }],
    ["a short nonce", { nonce: "0x01" }],
    ["a 64-byte signature", { signature: `0x${"11".repeat(64)}` }],
  ])("refuses %s with INVALID_REQUEST", async (_what, change) => {
    const request = await createSessionRequest(operator, domain, operatorId);
    const body = typeof change === "string" ? change : { ...request, ...change };
    expect(code(() => parseSessionRequest(body))).toBe("INVALID_REQUEST");
  });

  it("reads a bearer token only in its one form", () => {
    const token = "ab".repeat(32);
    expect(bearerToken(`Bearer ${token}`)).toBe(token);
    expect(bearerToken(`bearer ${token.toUpperCase()}`)).toBe(token);
    for (const header of [undefined, "", token, `Basic ${token}`, `Bearer ${token}0`, "Bearer x"]) {
      expect(bearerToken(header)).toBeUndefined();
    }
  });
});

// A scripted stand-in for the aggregator's two routes (the aggregator is a service: this
// library cannot start it), checking logins for real: it can "restart" (forget its tokens) on demand.
interface Script {
  server: Server;
  url: string;
  tokens: Set<string>;
  logins: number;
  posts: { token: string | undefined }[];
}

let script: Script | undefined;
afterEach(async () => {
  const server = script?.server;
  script = undefined;
  if (server === undefined) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function read(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function startScript(): Promise<Script> {
  const state = { tokens: new Set<string>(), logins: 0, posts: [] as { token: string | undefined }[] };
  const server = createServer(async (request, response) => {
    const body = await read(request);
    const send = (status: number, json: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(json));
    };
    if (request.url === "/v1/sessions") {
      const login = parseSessionRequest(body);
      if (!(await sessionSignatureValid(login, domain))) return send(401, { code: "AUTH_INVALID" });
      state.logins++;
      const token = `${state.logins}`.padStart(64, "0");
      state.tokens.add(token);
      return send(201, { token, expiresAt: Math.floor(Date.now() / 1000) + 3600 });
    }
    const token = bearerToken(request.headers.authorization);
    state.posts.push({ token });
    if (token === undefined || !state.tokens.has(token)) {
      return send(401, { code: "UNAUTHENTICATED", message: "unknown token", retryable: false });
    }
    return send(202, { accepted: true });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, { server, url });
}

/** A session with the script as the aggregator, and the reasons of its logins. */
function sessionWith(target: Script, now?: () => number) {
  const logins: LoginReason[] = [];
  const session = new AggregatorSession({
    aggregatorUrl: target.url,
    operatorId,
    signer: operator,
    domain,
    ...(now ? { now } : {}),
    onLogin: ({ reason }) => logins.push(reason),
  });
  return { session, logins };
}

describe("AggregatorSession", () => {
  it("logs in lazily once for concurrent sends, and again after the aggregator forgot its token", async () => {
    script = await startScript();
    const { session, logins } = sessionWith(script);
    const options = { timeoutMs: 2_000 };
    const first = await Promise.all([1, 2, 3].map((task) => session.postSignedResponse(task, {}, options)));
    expect(first.map((o) => o.kind)).toEqual(["accepted", "accepted", "accepted"]);
    expect(script.logins).toBe(1);
    // The aggregator restarts: its tokens are gone. One refusal, one new login, one resend.
    script.tokens.clear();
    expect(await session.postSignedResponse(4, {}, options)).toMatchObject({ kind: "accepted" });
    expect(script.logins).toBe(2);
    expect(logins).toEqual(["first", "refused"]);
    expect(script.posts.map((p) => p.token)).toEqual([
      ...Array(3).fill("1".padStart(64, "0")),
      "1".padStart(64, "0"),
      "2".padStart(64, "0"),
    ]);
  });

  it("renews a token about to expire before using it", async () => {
    script = await startScript();
    let now = Date.now();
    const { session, logins } = sessionWith(script, () => now);
    await session.postSignedResponse(1, {}, { timeoutMs: 2_000 });
    now += 3_600_000 - 30_000; // 30 s left: inside the renewal margin
    await session.postSignedResponse(2, {}, { timeoutMs: 2_000 });
    expect(logins).toEqual(["first", "renew"]);
    expect(script.posts.map((p) => p.token)).toEqual(["1".padStart(64, "0"), "2".padStart(64, "0")]);
  });

  it("hands a refused login back as the outcome of the send", async () => {
    script = await startScript();
    const session = new AggregatorSession({
      aggregatorUrl: script.url,
      operatorId,
      // Claims the operator's address but signs with another key: the login is refused.
      signer: { address: operator.address, signMessage: (args) => stranger.signMessage(args) },
      domain,
    });
    expect(await session.postSignedResponse(1, {}, { timeoutMs: 2_000 })).toMatchObject({
      kind: "rejected",
      status: 401,
      code: "AUTH_INVALID",
      retryable: false,
    });
    expect(script.posts).toEqual([]);
  });
});
