import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import {
  addOptions,
  ConfigError,
  formatDuration,
  opt,
  parseDuration,
  pollIntervalOption,
  redactConfig,
  resolveConfig,
  txTimeoutOption,
} from "../src/index.js";

const specs = {
  ethHttpUrl: { flag: "--eth-http-url", value: "url", description: "RPC", schema: opt.url(), required: true },
  syncInterval: {
    flag: "--sync-interval",
    value: "duration",
    description: "interval",
    schema: opt.duration(),
    default: "24h",
  },
  quorums: { flag: "--quorums", value: "list", description: "quorums", schema: opt.list(opt.int(0, 191)) },
  dryRun: { flag: "--dry-run", description: "send nothing", schema: opt.bool(), default: "false" },
  privateKey: { flag: "--private-key", value: "hex", description: "key", schema: opt.hex32(), secret: true },
} as const;

function parse(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const command = addOptions(new Command("t").exitOverride(), specs, "T_");
  command.parse(argv, { from: "user" });
  return resolveConfig(command, specs, "T_", env);
}

describe("config", () => {
  it("applies flag > env > file > default", () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    const file = join(dir, "c.json");
    writeFileSync(
      file,
      JSON.stringify({ "sync-interval": "1h", quorums: [0, 1], "eth-http-url": "http://file:1" }),
    );
    const fromFile = parse(["--config", file]);
    expect(fromFile).toMatchObject({
      ethHttpUrl: "http://file:1",
      syncInterval: 3_600_000,
      quorums: [0, 1],
      dryRun: false,
    });
    const fromEnv = parse(["--config", file], { T_SYNC_INTERVAL: "90s", T_DRY_RUN: "true" });
    expect(fromEnv).toMatchObject({ syncInterval: 90_000, dryRun: true });
    const fromFlag = parse(["--config", file, "--sync-interval", "0", "--dry-run", "false"], {
      T_SYNC_INTERVAL: "90s",
    });
    expect(fromFlag).toMatchObject({ syncInterval: 0, dryRun: false });
    expect(parse(["--eth-http-url", "http://127.0.0.1:8545", "--dry-run"]).dryRun).toBe(true);
  });

  it("names the flag and env var of a bad value", () => {
    expect(() => parse(["--eth-http-url", "http://x", "--sync-interval", "soon"])).toThrowError(
      /invalid --sync-interval \(env T_SYNC_INTERVAL\): "soon": "soon" is not a duration/,
    );
    expect(() => parse([])).toThrowError(new ConfigError("--eth-http-url", "T_ETH_HTTP_URL", "is required"));
    expect(() => parse(["--eth-http-url", "http://x", "--quorums", "0,300"])).toThrowError(
      /--quorums.*≤ 191/,
    );
  });

  it("never echoes a secret value, in errors or in the logged config", () => {
    const bad = "0xdeadbeef";
    let message = "";
    try {
      parse(["--eth-http-url", "http://x", "--private-key", bad]);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/--private-key/);
    expect(message).not.toContain(bad);
    const key = `0x${"11".repeat(32)}`;
    const config = parse(["--eth-http-url", "http://x"], { T_PRIVATE_KEY: key });
    expect(JSON.stringify(redactConfig(specs, config))).not.toContain(key);
  });

  it("refuses a config file that is not a JSON object", () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    const file = join(dir, "c.json");
    writeFileSync(file, "[1,2]");
    expect(() => parse(["--config", file])).toThrowError(/--config.*must hold a JSON object/);
    expect(() => parse(["--config", join(dir, "missing.json")])).toThrowError(/--config.*cannot read/);
  });

  it("lists every flag with its env var in --help", () => {
    const help = addOptions(new Command("t"), specs, "T_").helpInformation();
    for (const spec of Object.values(specs)) expect(help).toContain(spec.flag);
    expect(help).toContain("env T_ETH_HTTP_URL");
    expect(help).toContain("default 24h");
  });
});

describe("durations", () => {
  it("parses Go-style durations", () => {
    expect(parseDuration("24h")).toBe(86_400_000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("0")).toBe(0);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    for (const bad of ["", "h", "10", "10x", "1h 2m", "-1s"]) expect(parseDuration(bad)).toBeUndefined();
    expect(formatDuration(90_000)).toBe("90s");
  });
});

describe("shared duration options", () => {
  const specs = {
    pollInterval: pollIntervalOption("500ms", "how often to look", "500ms, 2s"),
    txTimeout: txTimeoutOption(),
  };
  const resolve = (env: NodeJS.ProcessEnv) => resolveConfig(new Command(), specs, "T_", env);

  it("take the service's default, and a duration from the env", () => {
    expect(resolve({})).toEqual({ pollInterval: 500, txTimeout: 60_000 });
    expect(resolve({ T_POLL_INTERVAL: "2s", T_TX_TIMEOUT: "1m30s" })).toEqual({
      pollInterval: 2_000,
      txTimeout: 90_000,
    });
  });

  it("refuse 0 naming the flag and the service's examples", () => {
    expect(() => resolve({ T_POLL_INTERVAL: "0" })).toThrow(
      /invalid --poll-interval \(env T_POLL_INTERVAL\): "0": must be longer than 0 \(examples: 500ms, 2s\)/,
    );
    expect(() => resolve({ T_TX_TIMEOUT: "0s" })).toThrow(/invalid --tx-timeout .*longer than 0/);
  });
});
