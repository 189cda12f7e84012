import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { encryptEcdsaKeystore, type RunningServer } from "@avskit/runtime";
import { describe, expect, it } from "vitest";
import { EXIT, main } from "../src/app.js";
import { ENV_PREFIX, syncOptionSpecs } from "../src/options.js";
import { addr, FakeChain } from "./fake-chain.js";
import { captureLogs } from "./log-capture.js";

const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const BASE = ["--eth-http-url", "http://127.0.0.1:1", "--metrics-addr", "none"];

interface Run {
  code: number;
  out: string;
  err: string;
  logs: ReturnType<typeof captureLogs>["lines"];
}

async function run(
  argv: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    chain?: FakeChain;
    connect?: () => Promise<FakeChain>;
    signal?: AbortSignal;
  } = {},
  onServer?: (server: RunningServer) => void,
): Promise<Run> {
  let out = "";
  let err = "";
  const { lines, stream } = captureLogs();
  const connect = options.connect ?? (async () => options.chain ?? new FakeChain());
  const code = await main({
    argv,
    env: options.env ?? {},
    logDestination: stream,
    writeOut: (text) => {
      out += text;
    },
    writeErr: (text) => {
      err += text;
    },
    connect,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(onServer ? { onMetricsServer: onServer } : {}),
  });
  return { code, out, err, logs: lines };
}

function chainWithStaleQuorum(): FakeChain {
  const chain = new FakeChain();
  chain.setWeight(addr(1), 10n);
  chain.setWeight(addr(2), 10n);
  chain.addQuorum([addr(2), addr(1)]);
  chain.setWeight(addr(1), 20n);
  return chain;
}

describe("avs-sync --help", () => {
  it("lists every flag with its env var", async () => {
    const { code, out } = await run(["--help"]);
    expect(code).toBe(EXIT.ok);
    for (const spec of Object.values(syncOptionSpecs)) {
      const env = `${ENV_PREFIX}${spec.flag.slice(2).replace(/[-.]/g, "_").toUpperCase()}`;
      expect(out, spec.flag).toContain(spec.flag);
      expect(out, env).toContain(`env ${env}`);
    }
    expect(out).toContain("Exit codes");
  });
});

describe("configuration errors exit 2 before anything runs, naming the flag and env var", () => {
  it.each([
    [["--sync-interval", "forever"], {}, "--sync-interval (env AVS_SYNC_SYNC_INTERVAL)"],
    [["--first-sync-time", "25:00:00"], {}, "--first-sync-time"],
    [["--quorums", "0,x"], {}, "--quorums"],
    [["--operators", "0x1234"], {}, "--operators"],
    [["--max-gas-per-tx", "10"], {}, "--max-gas-per-tx"],
    [[], { AVS_SYNC_RETRY_SYNC_N_TIMES: "0" }, "AVS_SYNC_RETRY_SYNC_N_TIMES"],
    [["--metrics-addr", "9090"], {}, "--metrics-addr"],
    [
      ["--operators", "0x0000000000000000000000000000000000000001", "--quorums", "0"],
      {},
      "--operators with --quorums",
    ],
    [["--fetch-quorums-dynamically", "false"], {}, "needs --quorums"],
  ] as const)("%j %j", async (argv, env, expected) => {
    const chain = new FakeChain();
    const { code, err } = await run([...BASE, "--ecdsa-private-key", KEY, ...argv], { env, chain });
    expect(code).toBe(EXIT.usage);
    expect(err).toContain(expected);
    expect(chain.reads).toEqual([]);
  });

  it("asks for a signer unless it is a dry run, and never prints the key", async () => {
    const missing = await run(BASE);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.err).toContain("--ecdsa-private-key");
    const both = await run([...BASE, "--ecdsa-private-key", KEY, "--ecdsa-keystore-path", "/k.json"]);
    expect(both.code).toBe(EXIT.usage);
    expect(both.err).not.toContain(KEY.slice(2));
    const dry = await run([...BASE, "--dry-run", "--sync-interval", "0"], { chain: chainWithStaleQuorum() });
    expect(dry.code).toBe(EXIT.ok);
  });

  it("takes values from the environment and never logs the key", async () => {
    const chain = chainWithStaleQuorum();
    const { code, logs } = await run(BASE, {
      env: { AVS_SYNC_ECDSA_PRIVATE_KEY: KEY, AVS_SYNC_SYNC_INTERVAL: "0" },
      chain,
    });
    expect(code).toBe(EXIT.ok);
    expect(chain.sent).toHaveLength(1);
    const start = logs.find((l) => l.msg === "avs-sync starting") as unknown as {
      config: Record<string, unknown>;
    };
    expect(start.config.ecdsaPrivateKey).toBe("<redacted>");
    expect(JSON.stringify(logs)).not.toContain(KEY.slice(2));
  });
});

describe("signer from a keystore", () => {
  it("loads it with the password from the env var or a file, and names a wrong password", async () => {
    const dir = await mkdtemp(join(tmpdir(), "avs-sync-keystore-"));
    try {
      const keystore = join(dir, "key.json");
      const passwordFile = join(dir, "password");
      await writeFile(keystore, JSON.stringify(await encryptEcdsaKeystore(KEY, "s3cret", { n: 1024 })));
      await writeFile(passwordFile, "s3cret\n");
      const args = [...BASE, "--sync-interval", "0", "--ecdsa-keystore-path", keystore];
      const fromEnv = await run(args, {
        env: { AVS_SYNC_ECDSA_KEYSTORE_PASSWORD: "s3cret" },
        chain: chainWithStaleQuorum(),
      });
      expect(fromEnv.code).toBe(EXIT.ok);
      const signer = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
      expect(fromEnv.logs[0]).toMatchObject({ msg: "avs-sync starting", signer });
      expect(JSON.stringify(fromEnv.logs)).not.toContain("s3cret");
      const fromFile = await run([...args, "--ecdsa-keystore-password-file", passwordFile], {
        chain: chainWithStaleQuorum(),
      });
      expect(fromFile.code).toBe(EXIT.ok);
      const wrong = await run(args, { env: { AVS_SYNC_ECDSA_KEYSTORE_PASSWORD: "nope" } });
      expect(wrong.code).toBe(EXIT.usage);
      expect(wrong.err).toContain(`wrong password for the keystore ${keystore}`);
      const none = await run(args);
      expect(none.code).toBe(EXIT.usage);
      expect(none.err).toContain("AVS_SYNC_ECDSA_KEYSTORE_PASSWORD");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("once mode exit codes", () => {
  it("exits 0 when every quorum was updated or current", async () => {
    const chain = chainWithStaleQuorum();
    const { code, logs } = await run([...BASE, "--ecdsa-private-key", KEY, "--sync-interval", "0"], {
      chain,
    });
    expect(code).toBe(EXIT.ok);
    expect(chain.sent).toHaveLength(1);
    expect(logs.at(-1)).toMatchObject({ msg: "avs-sync stopped", lastRun: { updated: ["quorum 0"] } });
  });

  it("exits 1 when a quorum failed", async () => {
    const chain = chainWithStaleQuorum();
    const { code, logs } = await run(
      [...BASE, "--ecdsa-private-key", KEY, "--sync-interval", "0", "--max-gas-per-tx", "50000"],
      { chain },
    );
    expect(code).toBe(EXIT.failed);
    expect(chain.sent).toEqual([]);
    const last = logs.at(-1) as unknown as { lastRun: { failed: { target: string; error: string }[] } };
    expect(last.lastRun.failed[0]?.target).toBe("quorum 0");
    expect(last.lastRun.failed[0]?.error).toContain("--max-gas-per-tx");
  });

  it("exits 1 with a clear error when the chain is unreachable, after retrying with backoff", async () => {
    let calls = 0;
    const { code, logs } = await run(
      [...BASE, "--ecdsa-private-key", KEY, "--sync-interval", "0", "--retry-initial-backoff", "10ms"],
      {
        connect: async () => {
          calls++;
          throw new Error("cannot reach the JSON-RPC endpoint http://127.0.0.1:1: fetch failed");
        },
      },
    );
    expect(code).toBe(EXIT.failed);
    expect(calls).toBe(3);
    expect(logs.filter((l) => l.msg.includes("retrying after backoff")).map((l) => l.delayMs)).toEqual([
      10, 20,
    ]);
    expect(logs.at(-1)).toMatchObject({ lastRun: { runError: expect.stringContaining("cannot reach") } });
  });

  it("exits 143 when stopped before its first sync time, saying nothing was done", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const chain = chainWithStaleQuorum();
    const { code, logs } = await run(
      [...BASE, "--ecdsa-private-key", KEY, "--sync-interval", "0", "--first-sync-time", nowPlusHoursUtc(2)],
      { chain, signal: controller.signal },
    );
    expect(code).toBe(EXIT.interruptedSigterm);
    expect(chain.sent).toEqual([]);
    expect(logs.at(-1)).toMatchObject({ lastRun: "no run started" });
    expect(String(logs.at(-1)?.msg)).toContain("stopped before the run finished");
  });
});

describe("daemon mode", () => {
  it("keeps running through an RPC outage, reports it on /health and /metrics, and stops cleanly", async () => {
    const controller = new AbortController();
    let server: RunningServer | undefined;
    let calls = 0;
    const chain = chainWithStaleQuorum();
    const done = run(
      [
        "--eth-http-url",
        "http://127.0.0.1:1",
        "--metrics-addr",
        "127.0.0.1:0",
        "--ecdsa-private-key",
        KEY,
        "--sync-interval",
        "200ms",
        "--retry-sync-n-times",
        "1",
      ],
      {
        signal: controller.signal,
        connect: async () => {
          calls++;
          if (calls <= 2) throw new Error("cannot reach the JSON-RPC endpoint: ECONNREFUSED");
          return chain;
        },
      },
      (s) => {
        server = s;
      },
    );
    await waitFor(() => calls >= 1 && server !== undefined);
    await waitFor(async () => (await fetch(`${server!.url}/health`)).status === 503);
    await waitFor(() => chain.sent.length === 1);
    await waitFor(async () => (await fetch(`${server!.url}/health`)).status === 200);
    const text = await (await fetch(`${server!.url}/metrics`)).text();
    expect(text).toContain('avssync_update_stake_attempt{status="succeed",quorum="0"} 1');
    expect(text).toContain("avssync_tx_reverted_total 0");
    expect(text).toContain('avssync_operators_updated{quorum="0"} 2');
    expect(text).toMatch(/avssync_quorum_staleness_seconds\{quorum="0"\} \d/);
    controller.abort();
    const { code, logs } = await done;
    expect(code).toBe(EXIT.ok);
    expect(logs.at(-1)).toMatchObject({ msg: "avs-sync stopped", reason: "stop requested" });
    expect(logs.at(-1)?.failedRuns).toBe(2);
  });
});

describe("the built bin", () => {
  const cli = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "src", "cli.js");

  it("in daemon mode survives a dead endpoint, and SIGTERM stops it with exit 0 and a final line", async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (npm run build)`);
    const child = spawn(
      process.execPath,
      [cli, "--eth-http-url", "http://127.0.0.1:1", "--metrics-addr", "none", "--sync-interval", "100ms"],
      {
        env: { ...process.env, AVS_SYNC_ECDSA_PRIVATE_KEY: KEY, AVS_SYNC_RETRY_INITIAL_BACKOFF: "10ms" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    await waitFor(() => output.split("sync run finished").length > 2, 20_000);
    child.kill("SIGTERM");
    const code = await closed;
    expect(code, output).toBe(EXIT.ok);
    const lines = output
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    // The signal may land between runs or during one (then the line lists what was not done).
    expect(lines.at(-1)).toMatchObject({
      msg: expect.stringMatching(/^avs-sync stopped/),
      reason: "SIGTERM",
    });
    expect(Number(lines.at(-1)?.failedRuns)).toBeGreaterThanOrEqual(2);
  });
});

function nowPlusHoursUtc(hours: number): string {
  return new Date(Date.now() + hours * 3_600_000).toISOString().slice(11, 19);
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
