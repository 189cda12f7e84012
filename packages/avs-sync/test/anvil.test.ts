// avs-sync against the real contracts on anvil (127.0.0.1), over JSON-RPC.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Address, Hash } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, type MainIo, main } from "../src/app.js";
import type { SyncChain } from "../src/sync-chain.js";
import { captureLogs, type LogLine } from "./log-capture.js";
import { quorumUpdateBlock, rpc, stakeOf, startTestAvs, type TestAvs } from "./support/avs.js";
import { intercept } from "./support/intercept.js";
import {
  delegateStake,
  E18,
  newOperator,
  prepareOperators,
  registerOperators,
  sendRegistration,
  type TestOperator,
} from "./support/operators.js";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "src", "cli.js");

let avs: TestAvs;
let operators: TestOperator[];
let signerKey: Hash;
let signer: Address;
const stakers: Hash[] = [];

beforeAll(async () => {
  avs = await startTestAvs();
  operators = await registerOperators(avs, 4, { quorums: [0], stake: 5n * E18 });
  // Account 3 signs avs-sync's transactions; later accounts are stakers.
  signerKey = avs.spareKeys[2]!;
  signer = privateKeyToAccount(signerKey).address;
  stakers.push(...avs.spareKeys.slice(3));
});

afterAll(async () => {
  await avs?.stop();
});

function baseArgs(): string[] {
  return [
    "--eth-http-url",
    avs.rpcUrl,
    "--deployments-dir",
    avs.deploymentsDir,
    "--metrics-addr",
    "none",
    "--sync-interval",
    "0",
    "--retry-initial-backoff",
    "100ms",
  ];
}

async function runMain(
  argv: string[],
  extra: Partial<MainIo> = {},
): Promise<{ code: number; logs: LogLine[] }> {
  const { lines, stream } = captureLogs();
  const code = await main({
    argv,
    env: { AVS_SYNC_ECDSA_PRIVATE_KEY: signerKey },
    logDestination: stream,
    writeErr: () => undefined,
    pollingIntervalMs: 50,
    ...extra,
  });
  return { code, logs: lines };
}

/** The `lastRun` summary of the final "avs-sync stopped" line. */
function lastRun(logs: LogLine[]): Record<string, unknown> {
  const final = logs.findLast((l) => String(l.msg).startsWith("avs-sync stopped"));
  if (!final) throw new Error(`no final log line in:\n${logs.map((l) => JSON.stringify(l)).join("\n")}`);
  return final.lastRun as Record<string, unknown>;
}

async function nonceOf(address: Address): Promise<number> {
  return avs.client.getTransactionCount({ address, blockTag: "pending" });
}

describe("avs-sync on anvil", () => {
  it("a delegation changes an operator's weight; a once-mode sync records it and exits 0", async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
    const target = operators[0]!;
    await delegateStake(avs, privateKeyToAccount(stakers[0]!), target.address, 0, 3n * E18);
    const before = await stakeOf(avs, target.operatorId, target.address, 0);
    expect(before).toEqual({ stored: 5n * E18, weight: 8n * E18 });

    // The real bin, as cron would run it; addresses come from the deployments file.
    const child = spawn(process.execPath, [CLI, ...baseArgs()], {
      env: { ...process.env, AVS_SYNC_ECDSA_PRIVATE_KEY: signerKey },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    // "close", not "exit": the exit can come before the last output has been read.
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, output).toBe(EXIT.ok);
    expect(await stakeOf(avs, target.operatorId, target.address, 0)).toEqual({
      stored: 8n * E18,
      weight: 8n * E18,
    });
    expect(await quorumUpdateBlock(avs, 0)).toBeGreaterThan(0n);
    const logs = output
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as LogLine);
    expect(lastRun(logs).updated).toEqual(expect.arrayContaining(["quorum 0"]));
  });

  it("skips quorums whose recorded stakes are all current (nothing sent), unless --force", async () => {
    const nonce = await nonceOf(signer);
    const skipped = await runMain([...baseArgs(), "--refresh-after", "0"]);
    expect(skipped.code).toBe(EXIT.ok);
    expect(lastRun(skipped.logs).skipped).toEqual(["quorum 0", "quorum 1"]);
    expect(await nonceOf(signer)).toBe(nonce);

    const forced = await runMain([...baseArgs(), "--refresh-after", "0", "--force", "--quorums", "0"]);
    expect(forced.code).toBe(EXIT.ok);
    expect(lastRun(forced.logs).updated).toEqual(["quorum 0"]);
    expect(await nonceOf(signer)).toBe(nonce + 1);
  });

  it("dry run reports the stale operator and the estimated gas and sends nothing", async () => {
    const target = operators[1]!;
    await delegateStake(avs, privateKeyToAccount(stakers[1]!), target.address, 0, 2n * E18);
    const [nonce, block] = [await nonceOf(signer), await avs.client.getBlockNumber()];
    const { code, logs } = await runMain([...baseArgs(), "--dry-run", "--quorums", "0"]);
    expect(code).toBe(EXIT.ok);
    const report = logs.find((l) => String(l.msg).startsWith("dry run")) as LogLine & {
      stale: { operator: string; stored: string; next: string }[];
      estimatedGas: string;
    };
    expect(report.stale).toEqual([
      { operator: target.address, quorum: 0, stored: String(5n * E18), next: String(7n * E18) },
    ]);
    expect(Number(report.estimatedGas)).toBeGreaterThan(21_000);
    expect(lastRun(logs).dryRun).toEqual(["quorum 0"]);
    expect(await nonceOf(signer)).toBe(nonce);
    expect(await avs.client.getBlockNumber()).toBe(block);
    expect((await stakeOf(avs, target.operatorId, target.address, 0)).stored).toBe(5n * E18);
  });

  it("the max-gas guard refuses the update, names the quorum, and exits 1", async () => {
    const nonce = await nonceOf(signer);
    const { code, logs } = await runMain([...baseArgs(), "--quorums", "0", "--max-gas-per-tx", "60000"]);
    expect(code).toBe(EXIT.failed);
    const failed = lastRun(logs).failed as { target: string; error: string; tries: number }[];
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ target: "quorum 0", tries: 1 });
    expect(failed[0]!.error).toMatch(
      /quorum 0 is too big for one transaction: estimated \d+ gas for 4 operator/,
    );
    expect(await nonceOf(signer)).toBe(nonce);
  });

  it("subset mode updates just the given operators and does not stamp a full update", async () => {
    const target = operators[1]!; // stale since the dry-run test
    const other = operators[2]!;
    await delegateStake(avs, privateKeyToAccount(stakers[2]!), other.address, 0, 1n * E18);
    const stamped = await quorumUpdateBlock(avs, 0);
    const { code, logs } = await runMain([...baseArgs(), "--operators", target.address]);
    expect(code).toBe(EXIT.ok);
    expect(lastRun(logs).updated).toEqual([`operators ${target.address}`]);
    expect(await stakeOf(avs, target.operatorId, target.address, 0)).toEqual({
      stored: 7n * E18,
      weight: 7n * E18,
    });
    expect(await stakeOf(avs, other.operatorId, other.address, 0)).toEqual({
      stored: 5n * E18,
      weight: 6n * E18,
    });
    expect(await quorumUpdateBlock(avs, 0)).toBe(stamped);
  });

  describe("the race: an operator registers between the worker's read and its write", () => {
    // Automine off: transactions wait in the pool until the miner below mines them, in order.
    // anvil's order can only be chosen at start (--order fifo); the racing registration is
    // sent first and with a higher tip, so it is first in the block under either ordering.
    let mining: { stop: () => Promise<void> } | undefined;
    let racer: TestOperator;

    beforeAll(async () => {
      await rpc(avs, "evm_setAutomine", [false]);
    });
    afterAll(async () => {
      await mining?.stop();
      await rpc(avs, "evm_setAutomine", [true]);
    });

    /** Mines a block whenever `wanted()` transactions are pending. */
    function startMiner(wanted: () => number) {
      let running = true;
      const loop = (async () => {
        while (running) {
          const status = (await rpc(avs, "txpool_status")) as { pending: string };
          if (Number(status.pending) >= wanted()) await rpc(avs, "evm_mine");
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      })();
      return {
        stop: async () => {
          running = false;
          await loop;
        },
      };
    }

    /** Sends `racer`'s registration right before the worker's first update transaction. */
    function raceOnce(onSent: (hash: Hash) => void) {
      let armed = true;
      return (chain: SyncChain): SyncChain =>
        intercept(chain, {
          sendQuorumUpdate: async (quorum, ops, gas) => {
            if (armed) {
              armed = false;
              const { hash } = await sendRegistration(avs, racer, [0], { tip: 5_000_000_000n });
              onSent(hash);
            }
            return chain.sendQuorumUpdate(quorum, ops, gas);
          },
        });
    }

    async function freshRacer(): Promise<TestOperator> {
      const operator = newOperator();
      mining = startMiner(() => 1);
      await prepareOperators(avs, [operator], [0], 2n * E18);
      await mining.stop();
      return operator;
    }

    it("with retries, the sync recovers: the first try reverts, the second includes the newcomer", async () => {
      racer = await freshRacer();
      let registration: Hash | undefined;
      // Until the registration is out, mine nothing; then mine once both it and our update wait.
      mining = startMiner(() => (registration ? 2 : Number.POSITIVE_INFINITY));
      const raced = raceOnce((hash) => {
        registration = hash;
      });
      const pending = runMain([...baseArgs(), "--quorums", "0", "--force", "--retry-sync-n-times", "3"], {
        wrapChain: raced,
      });
      await waitUntil(() => registration !== undefined);
      const receipt = await avs.client.waitForTransactionReceipt({
        hash: registration!,
        pollingInterval: 25,
      });
      await mining.stop();
      mining = startMiner(() => 1);
      const { code, logs } = await pending;
      await mining.stop();
      mining = undefined;

      expect(receipt.status).toBe("success");
      const block = await avs.client.getBlock({
        blockNumber: receipt.blockNumber,
        includeTransactions: true,
      });
      expect(block.transactions).toHaveLength(2);
      const [first, second] = block.transactions as { hash: Hash; from: Address }[];
      expect(first!.hash).toBe(registration);
      const ours = await avs.client.getTransactionReceipt({ hash: second!.hash });
      expect(ours.from.toLowerCase()).toBe(signer.toLowerCase());
      expect(ours.status).toBe("reverted");

      expect(code).toBe(EXIT.ok);
      expect(lastRun(logs).updated).toEqual(["quorum 0"]);
      const sent = logs.filter((l) => l.msg === "update sent").map((l) => l.txHash);
      expect(sent).toHaveLength(2);
      expect(
        logs.some(
          (l) =>
            l.msg === "update try failed; retrying after backoff" &&
            String((l.err as { message: string }).message).includes("reverted"),
        ),
      ).toBe(true);
      expect(logs.find((l) => l.msg === "stakes updated")?.operators).toBe(5);
    });

    it("with one try, it reports the failure and exits non-zero", async () => {
      racer = await freshRacer();
      let registration: Hash | undefined;
      mining = startMiner(() => (registration ? 2 : Number.POSITIVE_INFINITY));
      const { code, logs } = await runMain(
        [...baseArgs(), "--quorums", "0", "--force", "--retry-sync-n-times", "1"],
        {
          wrapChain: raceOnce((hash) => {
            registration = hash;
          }),
        },
      );
      await mining.stop();
      mining = undefined;
      expect(code).toBe(EXIT.failed);
      const failed = lastRun(logs).failed as { target: string; error: string }[];
      expect(failed[0]?.target).toBe("quorum 0");
      expect(failed[0]?.error).toContain("reverted");
    });
  });

  it("RPC down: once mode retries with backoff, then exits 1 with a clear error", async () => {
    const port = await closedPort();
    const { code, logs } = await runMain([
      "--eth-http-url",
      `http://127.0.0.1:${port}`,
      "--metrics-addr",
      "none",
      "--sync-interval",
      "0",
      "--retry-initial-backoff",
      "50ms",
    ]);
    expect(code).toBe(EXIT.failed);
    expect(
      logs
        .filter((l) => l.msg === "connecting to the chain failed; retrying after backoff")
        .map((l) => l.delayMs),
    ).toEqual([50, 100]);
    expect(String(lastRun(logs).runError)).toContain(
      `cannot reach the JSON-RPC endpoint http://127.0.0.1:${port}`,
    );
  });

  it("RPC down: daemon mode keeps running, then syncs once the endpoint answers", async () => {
    // A TCP relay on a fixed port that refuses connections until `open` is set, then forwards to anvil.
    const relay = await startRelay(new URL(avs.rpcUrl));
    const controller = new AbortController();
    const pending = runMain(
      [
        "--eth-http-url",
        relay.url,
        "--deployments-dir",
        avs.deploymentsDir,
        "--metrics-addr",
        "none",
        "--sync-interval",
        "300ms",
        "--retry-sync-n-times",
        "1",
        "--quorums",
        "0",
        "--force",
      ],
      { signal: controller.signal },
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      relay.open = true;
      const stamped = await quorumUpdateBlock(avs, 0);
      await waitUntil(async () => (await quorumUpdateBlock(avs, 0)) > stamped, 15_000);
    } finally {
      controller.abort();
    }
    const { code, logs } = await pending;
    await relay.close();
    expect(code).toBe(EXIT.ok);
    const runs = logs.filter((l) => l.msg === "sync run finished");
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(String(runs[0]?.runError)).toContain("cannot reach the JSON-RPC endpoint");
    expect(runs.some((r) => (r.updated as string[]).includes("quorum 0"))).toBe(true);
    expect(logs.at(-1)).toMatchObject({ msg: "avs-sync stopped", reason: "stop requested" });
  });

  it("--first-sync-time is UTC whatever the process's time zone", async () => {
    // UTC+14: a local-time reading of the flag would wait about 14 hours (or 10 the other way).
    const zone = process.env.TZ;
    process.env.TZ = "Pacific/Kiritimati";
    try {
      const probe = new Date();
      expect(probe.getHours()).not.toBe(probe.getUTCHours());
      const at = new Date(Math.ceil((Date.now() + 2_000) / 1000) * 1000);
      const { code, logs } = await runMain([
        ...baseArgs(),
        "--first-sync-time",
        at.toISOString().slice(11, 19),
        "--quorums",
        "0",
      ]);
      expect(code).toBe(EXIT.ok);
      const waiting = logs.find((l) => l.msg === "waiting for the first sync time");
      expect(waiting?.firstSyncAt).toBe(at.toISOString());
      const run = logs.find((l) => l.msg === "sync run finished");
      expect(Number(run?.time)).toBeGreaterThanOrEqual(at.getTime());
      expect(Number(run?.time)).toBeLessThan(at.getTime() + 10_000);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP proxy on 127.0.0.1 that drops connections while closed (an RPC outage) and relays once open. */
async function startRelay(target: URL): Promise<{ url: string; open: boolean; close: () => Promise<void> }> {
  const { connect } = await import("node:net");
  const state = { open: false };
  const sockets = new Set<import("node:net").Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    if (!state.open) {
      socket.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    socket.pipe(upstream).pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get open() {
      return state.open;
    },
    set open(value: boolean) {
      state.open = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
