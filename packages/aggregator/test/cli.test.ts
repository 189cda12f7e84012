import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ENV_PREFIX, resolveAggregatorConfig } from "../src/options.js";
import { BIN } from "./support/bin.js";

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, ...env },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("avskit-aggregator CLI", () => {
  it("documents every flag with its env var", () => {
    const { code, stdout } = run(["--help"]);
    expect(code).toBe(0);
    for (const flag of [
      "--rpc-url",
      "--listen",
      "--collection-window",
      "--batch-idle",
      "--body-limit",
      "--config",
    ]) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toContain(`${ENV_PREFIX}COLLECTION_WINDOW`);
  });

  it("exits 2 naming the flag when a value is invalid, from a flag or from the environment", () => {
    const fromFlag = run(["--listen", "nonsense"]);
    expect(fromFlag.code).toBe(2);
    expect(fromFlag.stderr).toMatch(/invalid --listen \(env AVSKIT_AGGREGATOR_LISTEN\)/);
    const fromEnv = run([], { AVSKIT_AGGREGATOR_COLLECTION_WINDOW: "soon" });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toMatch(/invalid --collection-window/);
  });

  it("exits 1 with a clear error when the chain cannot be reached", () => {
    const { code, stdout } = run(["--rpc-url", "http://127.0.0.1:1", "--log-level", "fatal"], {
      AVSKIT_AGGREGATOR_ECDSA_PRIVATE_KEY: `0x${"ab".repeat(32)}`,
    });
    expect(code).toBe(1);
    expect(stdout).toContain("cannot reach the JSON-RPC endpoint http://127.0.0.1:1");
    expect(stdout).not.toContain("ab".repeat(32));
  });

  it("resolves flags over env over config file over defaults", () => {
    const config = resolveAggregatorConfig(
      { listen: "127.0.0.1:0" },
      { AVSKIT_AGGREGATOR_LISTEN: "127.0.0.1:1", AVSKIT_AGGREGATOR_BODY_LIMIT: "1024" },
    );
    expect(config.listen).toEqual({ host: "127.0.0.1", port: 0 });
    expect(config.bodyLimit).toBe(1024);
    expect(config.collectionWindow).toBe(100);
    expect(config.batchIdle).toBe(15);
  });
});
