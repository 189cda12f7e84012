import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "@avskit/integration";
import { describe, expect, it } from "vitest";
import { ENV_PREFIX } from "../src/options.js";
import { aggregatorService } from "../src/service.js";
import { BIN } from "./support/bin.js";

async function run(args: string[], env: Record<string, string> = {}) {
  const cli = runCli(BIN, args, env);
  const code = await cli.exited;
  return { code, stdout: cli.lines.map((l) => l.msg).join("\n"), lines: cli.lines, stderr: cli.stderr() };
}

describe("avskit-aggregator CLI", () => {
  it("documents every flag with its env var", async () => {
    const { code, stdout } = await run(["--help"]);
    expect(code).toBe(0);
    for (const flag of [
      "--rpc-url",
      "--listen",
      "--collection-window",
      "--batch-idle",
      "--body-limit",
      "--rate-limit",
      "--rate-limit-burst",
      "--max-connections",
      "--headers-timeout",
      "--request-timeout",
      "--keep-alive-timeout",
      "--verify-workers",
      "--max-pending-per-operator",
      "--metrics-addr",
      "--log-level",
      "--config",
    ]) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toContain(`${ENV_PREFIX}COLLECTION_WINDOW`);
    expect(stdout).toContain(`${ENV_PREFIX}METRICS_ADDR`);
    expect(stdout).toContain(`${ENV_PREFIX}RATE_LIMIT_BURST`);
    expect(stdout).toContain(`${ENV_PREFIX}MAX_CONNECTIONS`);
    expect(stdout).toContain(`${ENV_PREFIX}VERIFY_WORKERS`);
    expect(stdout).toContain("127.0.0.1:9092");
  });

  it("exits 2 naming the flag when a value is invalid, from a flag or from the environment", async () => {
    const [fromFlag, fromEnv, noWorkers] = await Promise.all([
      run(["--listen", "nonsense"]),
      run([], { AVSKIT_AGGREGATOR_COLLECTION_WINDOW: "soon" }),
      run([], { AVSKIT_AGGREGATOR_VERIFY_WORKERS: "0" }),
    ]);
    expect(fromFlag.code).toBe(2);
    expect(fromFlag.stderr).toMatch(/invalid --listen \(env AVSKIT_AGGREGATOR_LISTEN\)/);
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toMatch(/invalid --collection-window/);
    expect(noWorkers.code).toBe(2);
    expect(noWorkers.stderr).toMatch(
      /invalid --verify-workers \(env AVSKIT_AGGREGATOR_VERIFY_WORKERS\): "0": must be ≥ 1/,
    );
  });

  it("exits 2 naming the flag when an HTTP limit is out of range or contradicts another", async () => {
    const [connections, rate, timeouts] = await Promise.all([
      run(["--max-connections", "0"]),
      run([], { AVSKIT_AGGREGATOR_RATE_LIMIT: "fast" }),
      run(["--headers-timeout", "20s", "--request-timeout", "10s", "--metrics-addr", "none"]),
    ]);
    expect(connections.code).toBe(2);
    expect(connections.stderr).toMatch(/invalid --max-connections \(env AVSKIT_AGGREGATOR_MAX_CONNECTIONS\)/);
    expect(rate.code).toBe(2);
    expect(rate.stderr).toMatch(/invalid --rate-limit \(env AVSKIT_AGGREGATOR_RATE_LIMIT\)/);
    expect(timeouts.code).toBe(2);
    expect(timeouts.stderr).toMatch(
      /invalid --headers-timeout \(env AVSKIT_AGGREGATOR_HEADERS_TIMEOUT\): 20s is longer than --request-timeout \(10s\)/,
    );
  });

  it("exits 1 with a clear error when the chain cannot be reached", async () => {
    const key = `0x${"ab".repeat(32)}`;
    const { code, lines, stderr } = await run(
      ["--rpc-url", "http://127.0.0.1:1", "--metrics-addr", "none", "--log-level", "fatal"],
      { AVSKIT_AGGREGATOR_ECDSA_PRIVATE_KEY: key },
    );
    expect(code).toBe(1);
    const output = JSON.stringify(lines);
    expect(output).toContain("cannot reach the JSON-RPC endpoint http://127.0.0.1:1");
    expect(output).not.toContain("ab".repeat(32));
    expect(stderr).not.toContain("ab".repeat(32));
  });

  it("resolves flags over env over config file over defaults", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aggregator-config-"));
    try {
      const file = join(dir, "config.json");
      await writeFile(
        file,
        JSON.stringify({ "body-limit": 2048, "batch-idle": "20ms", listen: "127.0.0.1:2" }),
      );
      const config = aggregatorService.resolveConfig(
        { listen: "127.0.0.1:0", config: file },
        { AVSKIT_AGGREGATOR_LISTEN: "127.0.0.1:1", AVSKIT_AGGREGATOR_BODY_LIMIT: "1024" },
      );
      expect(config.listen).toEqual({ host: "127.0.0.1", port: 0 });
      expect(config.bodyLimit).toBe(1024);
      expect(config.batchIdle).toBe(20);
      expect(config.collectionWindow).toBe(100);
      expect(config.metricsAddr).toEqual({ host: "127.0.0.1", port: 9092 });
      expect(config).toMatchObject({
        rateLimit: 200,
        rateLimitBurst: 400,
        maxConnections: 1024,
        headersTimeout: 10_000,
        requestTimeout: 15_000,
        keepAliveTimeout: 5_000,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
