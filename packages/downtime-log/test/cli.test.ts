import { runMain } from "@avskit/integration";
import { describe, expect, it } from "vitest";
import { downtimeService, ejectMain, queryMain } from "../src/index.js";

describe("avskit-downtime-log's command line", () => {
  it("--help names every option with its environment variable", async () => {
    const { code, stdout } = await runMain(downtimeService, ["--help"]);
    expect(code).toBe(0);
    for (const flag of [
      "--network-file",
      "--peers",
      "--probe-interval",
      "--suspect-after",
      "--epoch-length",
      "--epoch-origin",
      "--threshold",
    ])
      expect(stdout).toContain(flag);
    expect(stdout).toContain("AVSKIT_DOWNTIME_PROBE_INTERVAL");
    expect(stdout).toContain("AVSKIT_DOWNTIME_BLS_KEYSTORE_PASSWORD");
  });

  it("refuses bad options with exit code 2, naming the flag, before starting anything", async () => {
    const bad = [
      [["--data-dir", "/tmp/x"], "--network-file"],
      [["--network-file", "n.json", "--data-dir", "/tmp/x", "--peers", "0x12=http://a"], "--peers"],
      [["--network-file", "n.json", "--data-dir", "/tmp/x", "--epoch-origin", "yesterday"], "--epoch-origin"],
      [["--network-file", "n.json", "--data-dir", "/tmp/x", "--threshold", "40"], "--threshold"],
      [["--network-file", "/nonexistent/network.json", "--data-dir", "/tmp/x"], "--network-file"],
      // On the registries the SDK still needs the sequencer's network.
      [
        ["--rpc-url", "http://127.0.0.1:1", "--data-dir", "/tmp/x", "--max-reference-age", "0s"],
        "--max-reference-age",
      ],
    ] as const;
    for (const [argv, flag] of bad) {
      const { code, stderr } = await runMain(downtimeService, argv, {});
      expect(code, argv.join(" ")).toBe(2);
      expect(stderr).toContain(flag);
    }
  });
});

describe("avskit-downtime-query", () => {
  const io = (reply: { status: number; body: string }) => {
    const out: string[] = [];
    const err: string[] = [];
    const asked: string[] = [];
    return {
      out,
      err,
      asked,
      io: {
        stdout: (t: string) => out.push(t),
        stderr: (t: string) => err.push(t),
        env: {},
        fetch: (async (url: string) => {
          asked.push(url);
          return new Response(reply.body, { status: reply.status });
        }) as unknown as typeof fetch,
      },
    };
  };

  it("prints the replica's answer byte for byte, and asks the route the command names", async () => {
    const body = '{"asOfIndex":7,"downEvents":2}';
    const t = io({ status: 200, body });
    expect(
      await queryMain(
        ["--url", "http://127.0.0.1:1", "--at", "7", "operator", "0xabc", "--epoch", "3"],
        t.io,
      ),
    ).toBe(0);
    expect(t.out.join("")).toBe(`${body}\n`);
    expect(t.asked).toEqual(["http://127.0.0.1:1/v1/operators/0xabc/epochs/3?at=7"]);
  });

  it("a refusal is exit code 1 with the replica's words; bad usage is 2", async () => {
    const t = io({ status: 404, body: '{"code":"UNKNOWN_OPERATOR"}' });
    expect(await queryMain(["operator", "0xabc"], t.io)).toBe(1);
    expect(t.err.join("")).toContain("UNKNOWN_OPERATOR");
    expect(await queryMain(["--at", "x", "epoch"], io({ status: 200, body: "{}" }).io)).toBe(2);
    expect(await queryMain([], io({ status: 200, body: "{}" }).io)).toBe(2);
  });
});

describe("avskit-downtime-eject", () => {
  const run = async (argv: readonly string[], env: NodeJS.ProcessEnv = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await ejectMain(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env });
    return { code, stdout: out.join(""), stderr: err.join("") };
  };
  const ejector = "0x00000000000000000000000000000000000000e1";
  const operator = "0x00000000000000000000000000000000000000aa";

  it("--help names every option with its environment variable and the exit codes", async () => {
    const { code, stdout } = await run(["--help"]);
    expect(code).toBe(0);
    for (const flag of [
      "--ejector",
      "--operator",
      "--epoch",
      "--replicas",
      "--dry-run",
      "--ecdsa-private-key",
    ])
      expect(stdout).toContain(flag);
    expect(stdout).toContain("AVSKIT_DOWNTIME_EJECT_ECDSA_PRIVATE_KEY");
    expect(stdout).toContain("Exit codes");
  });

  it("refuses bad options with exit code 2 naming the flag, and an unreachable chain with 1, sending nothing", async () => {
    const base = ["--ejector", ejector, "--operator", operator, "--replicas", "http://127.0.0.1:1"];
    const missing = await run(["--operator", operator, "--replicas", "http://127.0.0.1:1"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--ejector");
    const badEpoch = await run([...base, "--epoch", "last-week"]);
    expect(badEpoch.code).toBe(2);
    expect(badEpoch.stderr).toContain("--epoch");
    const down = await run([...base, "--rpc-url", "http://127.0.0.1:1", "--dry-run"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/127\.0\.0\.1:1/);
    expect(down.stdout).toBe("");
  });
});
