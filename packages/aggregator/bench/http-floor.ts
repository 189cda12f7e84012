/**
 * The HTTP transport's own CPU per request, for reading `bench:aggregation`'s figure outside
 * verification against it: `node packages/aggregator/dist/bench/http-floor.js` after a build.
 *
 * Two servers in this process, each answering POST /v1/tasks/1/responses with a 202 and a
 * small JSON body, and doing nothing else: Node's bare `http` server (read the body,
 * JSON.parse, reply), and the runtime's `createHttpApp` (fastify with the limits, hooks and
 * refusal shapes every service gets; the aggregator's API is built on it) with a route that
 * reads the token header and replies. A separate process posts 200 bodies of the aggregator's
 * size at once, one connection each, as `bench:aggregation`'s sender does (BENCH_KEEP_ALIVE=1:
 * on connections opened before, below). Measured:
 * process.cpuUsage() of this process from the release to the last reply, per round (one
 * warm-up, then ROUNDS), the rounds alternating between the two servers. No aggregation, no
 * verification, no chain: what is left is the floor under any request path on this transport.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { createHttpApp } from "@avskit/runtime";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const REQUESTS = 200;
/**
 * BENCH_KEEP_ALIVE=1: the sender first posts once on each of its 200 connections (not measured),
 * so the measured requests arrive on connections the server already holds, as they would from
 * operators whose HTTP clients keep connections open between tasks.
 */
const KEEP_ALIVE = process.env.BENCH_KEEP_ALIVE === "1";

/** The sender: posts REQUESTS bodies at once when told "go", then prints "done". */
const SENDER = `
const [url, warm] = process.argv.slice(1);
const body = JSON.stringify({ operatorId: "0x" + "ab".repeat(32), response: { referenceTaskIndex: 1, sum: "1001" },
  signature: { X: "1".repeat(77), Y: "2".repeat(77) } });
const post = () => Promise.all(Array.from({ length: ${REQUESTS} }, () => fetch(url, { method: "POST",
  headers: { "content-type": "application/json", authorization: "Bearer " + "cd".repeat(32) }, body })
  .then((r) => r.text())));
const lines = require("node:readline").createInterface({ input: process.stdin });
(warm === "1" ? post() : Promise.resolve()).then(() => {
  lines.once("line", async () => {
    await post();
    process.stdout.write("done\\n");
    lines.close();
  });
  process.stdout.write("ready\\n");
});
`;

async function bare(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      JSON.parse(body);
      response.writeHead(202, { "content-type": "application/json" });
      response.end('{"accepted":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/tasks/1/responses`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function framework(): Promise<{ url: string; close: () => Promise<void> }> {
  const app = createHttpApp({ bodyLimit: 4096, rateLimit: { perSecond: 1000, burst: 1000 } });
  app.post(
    "/v1/tasks/:taskIndex/responses",
    { onRequest: async (request) => void request.headers.authorization },
    async (_request, reply) =>
      reply.code(202).send({ accepted: true, taskIndex: 1, taskStatus: "collecting", duplicate: false }),
  );
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/tasks/1/responses`, close: () => app.close() };
}

async function round(url: string): Promise<number> {
  const child = spawn(process.execPath, ["-e", SENDER, url, KEEP_ALIVE ? "1" : "0"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const next = () => new Promise<string>((resolve) => lines.once("line", resolve));
  await next();
  const started = process.cpuUsage();
  child.stdin.write("go\n");
  await next();
  const used = process.cpuUsage(started);
  child.stdin.end();
  await new Promise((resolve) => child.once("exit", resolve));
  return (used.user + used.system) / 1000;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  const servers = { bare: await bare(), framework: await framework() };
  const cpu: Record<keyof typeof servers, number[]> = { bare: [], framework: [] };
  try {
    for (let i = 0; i <= ROUNDS; i++) {
      for (const name of ["bare", "framework"] as const) {
        const ms = await round(servers[name].url);
        if (i > 0) cpu[name].push(ms);
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.close()));
  }
  const perRequest = (name: keyof typeof servers) => Number((median(cpu[name]) / REQUESTS).toFixed(3));
  process.stdout.write(
    `${JSON.stringify({
      requests: REQUESTS,
      rounds: ROUNDS,
      keep_alive: KEEP_ALIVE,
      bare_http_cpu_ms_per_request: perRequest("bare"),
      runtime_app_cpu_ms_per_request: perRequest("framework"),
      bare_http_round_ms: cpu.bare.map((v) => Number(v.toFixed(1))),
      runtime_app_round_ms: cpu.framework.map((v) => Number(v.toFixed(1))),
    })}\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`http-floor failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
