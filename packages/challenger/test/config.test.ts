import { runMain } from "@avskit/integration";
import { ConfigError } from "@avskit/runtime";
import { encodeAbiParameters, keccak256 } from "viem";
import { describe, expect, it } from "vitest";
import {
  type ChallengerConfigInput,
  challengerService,
  operatorIdOf,
  signatoryRecordHash,
} from "../src/index.js";

const resolveChallengerConfig = (values?: ChallengerConfigInput, env?: NodeJS.ProcessEnv) =>
  challengerService.resolveConfig(values, env);

describe("challenger config", () => {
  it("has the documented defaults", () => {
    const config = resolveChallengerConfig();
    expect(config).toMatchObject({
      rpcUrl: "http://127.0.0.1:8545",
      pollInterval: 1_000,
      maxLogRange: 5_000,
      txTimeout: 60_000,
      // Its own port: the aggregator's default is 9092, and both run side by side.
      metricsAddr: { host: "127.0.0.1", port: 9093 },
      logLevel: "info",
    });
    expect(resolveChallengerConfig({ metricsAddr: "none" }).metricsAddr).toBeUndefined();
  });

  it.each([
    ["pollInterval", "0", "--poll-interval", "longer than 0"],
    ["maxLogRange", "0", "--max-log-range", "must be ≥ 1"],
    ["txTimeout", "later", "--tx-timeout", "not a duration"],
    ["metricsAddr", "9092", "--metrics-addr", "not host:port"],
    ["ecdsaPrivateKey", "0x12", "--ecdsa-private-key", "64 hex digits"],
  ])("refuses %s=%s naming %s", (key, value, flag, problem) => {
    let caught: unknown;
    try {
      resolveChallengerConfig({ [key]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).flag).toBe(flag);
    expect((caught as ConfigError).message).toContain(problem);
  });

  it("never echoes a bad private key", () => {
    const secret = `0x${"ab".repeat(31)}`;
    expect(() => resolveChallengerConfig({ ecdsaPrivateKey: secret })).toThrow(/--ecdsa-private-key/);
    try {
      resolveChallengerConfig({ ecdsaPrivateKey: secret });
    } catch (error) {
      expect((error as Error).message).not.toContain(secret.slice(2));
    }
  });

  it("the CLI exits 2 on bad config, naming the env var it came from", async () => {
    const run = await runMain(challengerService, [], { AVSKIT_CHALLENGER_POLL_INTERVAL: "0" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("invalid --poll-interval (env AVSKIT_CHALLENGER_POLL_INTERVAL)");
  });

  it("--help lists every option with its env var, the kit's options included, and exits 0", async () => {
    const run = await runMain(challengerService, ["--help"]);
    expect(run.code).toBe(0);
    // commander wraps lines at the terminal's width: compare with white space folded.
    const help = run.stdout.replace(/\s+/g, " ");
    for (const text of [
      "--poll-interval <duration>",
      "env AVSKIT_CHALLENGER_POLL_INTERVAL",
      "--max-log-range <blocks>",
      "env AVSKIT_CHALLENGER_ECDSA_KEYSTORE_PASSWORD",
      "--metrics-addr <host:port>",
      "default 127.0.0.1:9093",
      "env AVSKIT_CHALLENGER_LOG_FORMAT",
      "--config <file>",
    ]) {
      expect(help).toContain(text);
    }
  });
});

describe("signatoryRecordHash", () => {
  const keys = [
    { X: 1n, Y: 2n },
    { X: 3n, Y: 4n },
  ];

  it("operatorId is keccak256 of the two 32-byte coordinates", () => {
    expect(operatorIdOf(keys[0]!)).toBe(
      keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], [1n, 2n])),
    );
  });

  it("packs a 4-byte block number followed by the 32-byte ids", () => {
    const ids = keys.map(operatorIdOf);
    const packed = `0x${(77).toString(16).padStart(8, "0")}${ids.map((id) => id.slice(2)).join("")}` as const;
    expect(signatoryRecordHash(77, keys)).toBe(keccak256(packed));
    expect(signatoryRecordHash(77, [])).toBe(keccak256("0x0000004d"));
    // Order matters: the contract hashes the keys in the order given.
    expect(signatoryRecordHash(77, [...keys].reverse())).not.toBe(signatoryRecordHash(77, keys));
  });
});
