import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
  Counter,
  connectChain,
  createLogger,
  createMetricsRegistry,
  RpcUnreachableError,
  Shutdown,
  sleep,
  startOpsServer,
} from "../src/index.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ name: "test", destination: stream }) };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("logger", () => {
  it("writes JSON lines and redacts secrets", () => {
    const { lines, logger } = capture();
    logger.info({ privateKey: "0xsecret", nested: { password: "hunter2" }, quorum: 1 }, "hello");
    expect(lines[0]).toMatchObject({ msg: "hello", quorum: 1, name: "test", privateKey: "<redacted>" });
    expect(JSON.stringify(lines)).not.toContain("hunter2");
  });

  it("puts every line on stdout, in order, before process.exit (the services' bins end with it)", () => {
    const logger = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "src", "logger.js");
    if (!existsSync(logger)) throw new Error(`${logger} is missing: build first (npm run build)`);
    // A busy one-thread libuv pool (as on a loaded machine): an asynchronous write of the first
    // line would still be queued when the exit flushes the later ones.
    const script = `
      import { pbkdf2 } from "node:crypto";
      import { createLogger } from ${JSON.stringify(pathToFileURL(logger).href)};
      const logger = createLogger({ name: "exit-test" });
      pbkdf2("x", "y", 300000, 32, "sha256", () => {});
      logger.info("first");
      await Promise.resolve();
      logger.info("second");
      logger.info("last");
      process.exit(0);`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      env: { ...process.env, UV_THREADPOOL_SIZE: "1" },
      encoding: "utf8",
    });
    expect(child.status, child.stderr).toBe(0);
    const messages = child.stdout
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual(["first", "second", "last"]);
  });
});

describe("ops server", () => {
  it("serves metrics and health on loopback", async () => {
    const { logger } = capture();
    const registry = createMetricsRegistry({ defaultMetrics: false });
    new Counter({ name: "things_total", help: "things", registers: [registry] }).inc(3);
    let healthy = true;
    const server = await startOpsServer({
      host: "127.0.0.1",
      port: 0,
      registry,
      logger,
      health: () => ({ healthy }),
    });
    try {
      expect(await (await fetch(`${server.url}/metrics`)).text()).toContain("things_total 3");
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      healthy = false;
      expect((await fetch(`${server.url}/health`)).status).toBe(503);
      // Its refusals are in the shape every avskit endpoint uses.
      for (const [path, status, code] of [
        ["/nope", 404, "ROUTE_NOT_FOUND"],
        ["/%", 400, "BAD_URL"],
      ] as const) {
        const reply = await fetch(`${server.url}${path}`);
        expect({ path, status: reply.status, body: await reply.json() }).toEqual({
          path,
          status,
          body: { code, message: expect.any(String), retryable: false },
        });
      }
    } finally {
      await server.close();
    }
  });

  it("fails loudly when the port is taken", async () => {
    const { logger } = capture();
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const first = await startOpsServer({
      host: "127.0.0.1",
      port: 0,
      registry,
      logger,
      health: () => ({ healthy: true }),
    });
    try {
      await expect(
        startOpsServer({
          host: "127.0.0.1",
          port: first.port,
          registry,
          logger,
          health: () => ({ healthy: true }),
        }),
      ).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});

describe("shutdown", () => {
  it("aborts the signal and runs cleanups last-in first-out, bounded in time", async () => {
    const { logger, lines } = capture();
    const shutdown = new Shutdown(logger, 50);
    const order: string[] = [];
    shutdown.add("first", () => {
      order.push("first");
    });
    shutdown.add("stuck", () => new Promise(() => {}));
    shutdown.add("failing", () => {
      throw new Error("boom");
    });
    const sleeping = sleep(60_000, shutdown.signal);
    await shutdown.run("test");
    await sleeping;
    expect(shutdown.requested).toBe(true);
    expect(order).toEqual(["first"]);
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(["cleanup failed", "cleanup timed out", "shutdown complete"]),
    );
    await shutdown.run("again");
  });
});

describe("chain", () => {
  it("gives a clear error for an unreachable RPC", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    await expect(connectChain({ rpcUrl: url, timeoutMs: 1_000, retryDelayMs: 10 })).rejects.toThrow(
      RpcUnreachableError,
    );
    await expect(connectChain({ rpcUrl: url, timeoutMs: 1_000, retryDelayMs: 10 })).rejects.toThrow(
      `cannot reach the JSON-RPC endpoint ${url}`,
    );
  });
});
