import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import {
  PEER_HEADERS,
  PeerSigner,
  parseStaticNetwork,
  peerRequestDigest,
  signRawDigest,
} from "@avskit/sequencer-protocol";
import { generatePrivateKey } from "viem/accounts";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { NodeState } from "../src/cluster.js";
import { postJson } from "../src/http.js";
import { APP, type Scenario, scenario } from "./support.js";

/**
 * 10,000 generated malformed or hostile client requests (seeded: FUZZ_SEED) over real sockets to
 * every node: none may crash a node or get a 5xx, and nothing may change — no batch, no app, no
 * term. Then node-to-node requests that are forged, from a non-member, replayed or stale are
 * refused with the library's codes.
 */

const REQUESTS = 10_000;
const CONCURRENCY = 16;
const SEED = Number(process.env.FUZZ_SEED ?? 0x5e9);

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

function randomJson(depth = 0): unknown {
  switch (int(depth > 3 ? 5 : 7)) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return pick([0, -1, 1.5, 1e308, 2 ** 53, Number.MAX_SAFE_INTEGER + 2]);
    // Every string carries a "~": never valid base64 (nor an id), so no generated batch is valid.
    case 3:
      return `${pick(["", "0x", "-1", "NaN", "ü𝄞", "0".repeat(90), hex(int(40)), "=", "@@@@"])}~`;
    case 4:
      return `${hex(pick([0, 1, 15, 17, 32]))}~`;
    case 5:
      return Array.from({ length: int(4) }, () => randomJson(depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: int(4) }, () => [
          pick(["batches", "id", "body", "__proto__", "x"]),
          randomJson(depth + 1),
        ]),
      );
  }
}

const BAD_APPS = ["E2E", "-e2e", "a".repeat(64), "e2e%00", "..", "e_2e", "%2e%2e", "ü", "e2e%2Fx"];

/** A batch that is wrong in exactly one way (so that no request is a valid one). */
function badBatch(): unknown {
  const good = { id: hex(16), body: Buffer.from("ok").toString("base64") };
  switch (int(7)) {
    case 0:
      return { ...good, id: hex(pick([0, 1, 15, 17, 32])) };
    case 1:
      return { ...good, id: pick(["", "0x", "zz".repeat(16), 12, null, hex(16).slice(2)]) };
    case 2:
      return { ...good, body: pick([12, null, true, [], {}, { nested: randomJson() }, "0x~"]) };
    case 3:
      return { id: good.id };
    case 4:
      return { ...good, body: randomBytes(65_537).toString("base64") }; // one above maxBatchBytes
    case 5:
      return pick([null, 7, "x", []]);
    default:
      return { ...good, body: pick(["!!!!", "ab$c", "a b", "====", "\u0000"]) };
  }
}

interface Probe {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly contentType?: string;
}

function nextProbe(): Probe {
  switch (int(8)) {
    case 0:
    case 1:
    case 2: {
      // A batch request with one bad batch among good ones: the whole request must be refused.
      const good = () => ({ id: hex(16), body: Buffer.from(hex(8)).toString("base64") });
      const batches = [
        ...Array.from({ length: int(3) }, good),
        badBatch(),
        ...Array.from({ length: int(3) }, good),
      ];
      return { method: "POST", path: `/v1/apps/${APP}/batches`, body: JSON.stringify({ batches }) };
    }
    case 3:
      return {
        method: "POST",
        path: `/v1/apps/${pick([APP, ...BAD_APPS])}/batches`,
        body: pick([
          JSON.stringify(randomJson()),
          "{",
          "",
          '{"batches":',
          JSON.stringify({ batches: randomJson() }),
          // One above --max-batches-per-request.
          JSON.stringify({ batches: Array.from({ length: 1_001 }, () => ({ body: "" })) }),
        ]),
        contentType: pick(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
      };
    case 4:
      return {
        method: "POST",
        path: `/v1/apps/${pick(BAD_APPS)}/batches`,
        body: JSON.stringify({ batches: [{ id: hex(16), body: "b2s=" }] }),
      };
    case 5:
      return {
        method: "GET",
        path: `/v1/apps/${pick([APP, ...BAD_APPS])}/batches?${pick([
          "after=-1",
          "after=abc",
          "after=1e3",
          "limit=-5",
          "limit=abc",
          "after=0&limit=0x10",
          "wait=abc",
          "wait=-1",
          `after=${"9".repeat(40)}`,
        ])}`,
      };
    case 6:
      return {
        method: "GET",
        path: `/v1/apps/${pick([APP, ...BAD_APPS])}/ids/${pick([hex(15), hex(17), "zz", "", hex(16).slice(2), "%00"])}?wait=${pick(["abc", "-1", "x"])}`,
      };
    default:
      // Peer routes without authentication, unknown routes, odd methods.
      return {
        method: pick(["POST", "PUT", "DELETE", "PATCH"]),
        path: pick([
          "/v1/peer/round",
          "/v1/peer/forward",
          "/v1/peer/new-view",
          "/v1/peer/view-change",
          "/v1/peer/status",
          "/v1/peer/dispute",
          "/v1/state",
          `/v1/apps/${APP}/finalized`,
          "/v1/../../etc/passwd",
          "/v2/apps",
        ]),
        body: JSON.stringify(randomJson()),
      };
  }
}

const agents = new Map<string, Agent>();
/** Spread over 127.0.0.2… so that the per-address rate limits do not refuse most of them first. */
function agentFor(i: number): { agent: Agent; localAddress: string } {
  const localAddress = `127.0.0.${2 + (i % 32)}`;
  let agent = agents.get(localAddress);
  if (!agent) {
    agent = new Agent({ keepAlive: true, localAddress } as ConstructorParameters<typeof Agent>[0]);
    agents.set(localAddress, agent);
  }
  return { agent, localAddress };
}

function send(port: number, probe: Probe, i: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: probe.method,
        path: probe.path,
        agent: agentFor(i).agent,
        headers: probe.body === undefined ? {} : { "content-type": probe.contentType ?? "application/json" },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end(probe.body);
  });
}

let s: Scenario;
let before: (NodeState | undefined)[];
beforeAll(async () => {
  s = await scenario();
  before = await s.cluster.states();
});
afterAll(async () => {
  for (const agent of agents.values()) agent.destroy();
  await s?.close();
});

// The apps' logs (which apps, how much sequenced and final), not the term nor the lock: a
// leader change under this load on 2 cores re-locks the same entries, which is liveness, not a
// state change a request caused.
function appsOf(states: readonly (NodeState | undefined)[]) {
  return states.map((st) =>
    Object.fromEntries(
      Object.entries(st?.apps ?? {}).map(([app, p]) => [
        app,
        { sequenced: p.sequenced, finalized: p.finalized },
      ]),
    ),
  );
}

it(`${REQUESTS} malformed or hostile client requests: no crash, no 5xx, no state change`, async () => {
  const { cluster } = s;
  const statuses = new Map<number | string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const i = next++;
        const probe = nextProbe();
        const outcome = await send(cluster.node(i % cluster.nodes.length).port, probe, i);
        statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1);
        const emptyOk = outcome === 200 && probe.body?.replace(/\s/g, "") === '{"batches":[]}';
        if (!emptyOk && (typeof outcome !== "number" || outcome >= 500 || outcome < 400)) {
          expect.fail(`${probe.method} ${probe.path} ${probe.body?.slice(0, 200) ?? ""} → ${outcome}`);
        }
      }
    }),
  );
  console.log(JSON.stringify(Object.fromEntries(statuses)));
  expect(cluster.nodes.every((n) => n.running)).toBe(true);
  expect(appsOf(await cluster.states())).toEqual(appsOf(before));
});

it("forged, non-member, replayed and stale peer requests are refused with the library's codes", async () => {
  const { cluster } = s;
  const network = parseStaticNetwork(readFileSync(cluster.networkFile, "utf8"));
  const [from, to] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
  const path = "/v1/peer/status";
  const body = JSON.stringify({ statements: [] });
  const peerPost = (headers: Record<string, string>) => postJson(`${to.url}${path}`, body, headers);
  const codeOf = (reply: Awaited<ReturnType<typeof peerPost>>) => {
    expect(reply?.status).toBeGreaterThanOrEqual(400);
    expect(reply?.status).toBeLessThan(500);
    return (reply?.body as { code?: string } | undefined)?.code;
  };

  expect(codeOf(await peerPost({}))).toBe("UNAUTHENTICATED");

  // Headers built by hand (PeerSigner refuses a key that is not the member's): signed with
  // `key`, naming `fromId`, at `seq`.
  const handMade = (key: `0x${string}`, fromId: string, seq = BigInt(Date.now()) * 1000n) => ({
    [PEER_HEADERS.from]: fromId,
    [PEER_HEADERS.seq]: seq.toString(),
    [PEER_HEADERS.signature]: signRawDigest(
      key,
      peerRequestDigest(network.snapshotId, to.operatorId, seq, "POST", path, body),
    ),
    [PEER_HEADERS.snapshot]: network.snapshotId,
  });
  // Signed by a key that is not the member's registered one.
  expect(codeOf(await peerPost(handMade(generatePrivateKey(), from.operatorId)))).toBe("BAD_PEER_SIGNATURE");
  // A well-formed request from an operator id that is not in the network.
  expect(codeOf(await peerPost(handMade(generatePrivateKey(), hex(32))))).toBe("NOT_A_MEMBER");
  // Signed under an operator set the node does not know.
  expect(
    codeOf(
      await peerPost({
        ...handMade(generatePrivateKey(), from.operatorId),
        [PEER_HEADERS.snapshot]: hex(32),
      }),
    ),
  ).toBe("UNKNOWN_SNAPSHOT");

  // A genuine request, sent twice: the second is a replay, whatever the first's fate.
  const genuine = new PeerSigner(from.ecdsaKey, network, from.operatorId).headers(
    to.operatorId,
    "POST",
    path,
    body,
  );
  const first = await peerPost(genuine);
  expect(["BAD_PEER_SIGNATURE", "NOT_A_MEMBER", "UNAUTHENTICATED", "STALE_PEER_REQUEST"]).not.toContain(
    (first?.body as { code?: string } | undefined)?.code,
  );
  expect(codeOf(await peerPost(genuine))).toBe("REPLAYED_PEER_REQUEST");

  // Signed a minute ago by the member itself (the window is 30 s).
  const stale = handMade(from.ecdsaKey, from.operatorId, BigInt(Date.now() - 60_000) * 1000n);
  expect(codeOf(await peerPost(stale))).toBe("STALE_PEER_REQUEST");

  expect(cluster.nodes.every((n) => n.running)).toBe(true);
  const after = await cluster.states();
  expect(appsOf(after)).toEqual(appsOf(before));
});
