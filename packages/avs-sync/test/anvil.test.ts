// avs-sync against the real contracts on anvil (127.0.0.1), over JSON-RPC. One deployment for
// the whole file: each test builds on the stakes the previous ones left.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { iStakeRegistryAbi, registryCoordinatorAbi } from "@avskit/bindings";
import {
  captureLogs,
  delegateFromNewStaker,
  E18,
  type LogLine,
  prepareOperators,
  registerOperatorCallArgs,
  registerOperators,
  registrationArgs,
  runCli,
  startTestAvs,
  strategyOf,
  TcpProxy,
  type TestAvs,
  type TestOperator,
  waitFor,
} from "@avskit/integration";
import { type Address, createWalletClient, type Hash, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYNC_EXIT as EXIT, type SyncServiceDeps, syncService } from "../src/service.js";
import type { SyncChain } from "../src/sync-chain.js";
import { intercept } from "./support/intercept.js";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "src", "cli.js");

let avs: TestAvs;
let operators: TestOperator[];
let strategy: Address;
let signerKey: Hex;
let signer: Address;

beforeAll(async () => {
  avs = await startTestAvs();
  strategy = strategyOf(avs.deployment, 0);
  operators = await registerOperators(
    avs,
    Array.from({ length: 4 }, () => ({ quorums: [0], deposits: [{ strategy, amount: 5n * E18 }] })),
  );
  // anvil account 3 signs avs-sync's transactions (0–2 are the kit's deployer and role holders).
  signerKey = avs.anvil.accounts[3]!.privateKey;
  signer = privateKeyToAccount(signerKey).address;
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

/** avs-sync's CLI in this process; `lines` fill while it runs. */
function startMain(
  argv: string[],
  options: { deps?: SyncServiceDeps; signal?: AbortSignal } = {},
): { done: Promise<{ code: number; logs: LogLine[] }>; lines: LogLine[] } {
  const { lines, stream } = captureLogs();
  const done = syncService
    .main(argv, {
      env: { AVS_SYNC_ECDSA_PRIVATE_KEY: signerKey },
      logDestination: stream,
      stderr: () => undefined,
      handleSignals: false,
      deps: { pollingIntervalMs: 50, ...options.deps },
      ...(options.signal ? { stop: options.signal } : {}),
    })
    .then((code) => ({ code, logs: lines }));
  return { done, lines };
}

function runMain(argv: string[], deps: SyncServiceDeps = {}) {
  return startMain(argv, { deps }).done;
}

/** The `lastRun` summary of the final "avs-sync stopped" line. */
function lastRun(logs: readonly LogLine[]): Record<string, unknown> {
  const final = logs.findLast((l) => String(l.msg).startsWith("avs-sync stopped"));
  if (!final) throw new Error(`no final log line in:\n${logs.map((l) => JSON.stringify(l)).join("\n")}`);
  return final.lastRun as Record<string, unknown>;
}

async function nonceOf(address: Address): Promise<number> {
  return avs.client.getTransactionCount({ address, blockTag: "pending" });
}

/** What the StakeRegistry records for the operator in quorum 0, and what an update would record. */
async function stakeOf(operator: TestOperator): Promise<{ stored: bigint; weight: bigint }> {
  const address = avs.deployment.contracts.stakeRegistry.proxy;
  const [stored, weight] = await Promise.all([
    avs.client.readContract({
      address,
      abi: iStakeRegistryAbi,
      functionName: "getCurrentStake",
      args: [operator.operatorId, 0],
    }),
    avs.client.readContract({
      address,
      abi: iStakeRegistryAbi,
      functionName: "weightOfOperatorForQuorum",
      args: [0, operator.address],
    }),
  ]);
  return { stored, weight };
}

function quorumUpdateBlock(quorum: number): Promise<bigint> {
  return avs.client.readContract({
    address: avs.deployment.contracts.registryCoordinator.proxy,
    abi: registryCoordinatorAbi,
    functionName: "quorumUpdateBlockNumber",
    args: [quorum],
  });
}

function delegate(operator: TestOperator, amount: bigint) {
  return delegateFromNewStaker(avs, operator.address, [{ strategy, amount }]);
}

/** A port on 127.0.0.1 that refuses connections (an RPC outage) until `up()`, then relays to anvil. */
async function downedProxy(): Promise<TcpProxy> {
  const proxy = new TcpProxy(Number(new URL(avs.rpcUrl).port));
  await proxy.up();
  await proxy.down();
  return proxy;
}

describe("avs-sync on anvil", () => {
  it("a delegation changes an operator's weight; a once-mode sync records it and exits 0", async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
    const target = operators[0]!;
    await delegate(target, 3n * E18);
    expect(await stakeOf(target)).toEqual({ stored: 5n * E18, weight: 8n * E18 });

    // The real bin, as cron would run it; addresses come from the deployments file.
    const sync = runCli(CLI, baseArgs(), { AVS_SYNC_ECDSA_PRIVATE_KEY: signerKey });
    // "close", not "exit": the exit can come before the last output has been read.
    await new Promise<void>((resolve) => sync.child.on("close", () => resolve()));
    const output = `${sync.lines.map((l) => JSON.stringify(l)).join("\n")}\n${sync.stderr()}`;
    expect(await sync.exited, output).toBe(EXIT.ok);
    expect(await stakeOf(target)).toEqual({ stored: 8n * E18, weight: 8n * E18 });
    expect(await quorumUpdateBlock(0)).toBeGreaterThan(0n);
    expect(lastRun(sync.lines).updated).toEqual(expect.arrayContaining(["quorum 0"]));
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
    await delegate(target, 2n * E18);
    const [nonce, block] = [await nonceOf(signer), await avs.client.getBlockNumber({ cacheTime: 0 })];
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
    expect(await avs.client.getBlockNumber({ cacheTime: 0 })).toBe(block);
    expect((await stakeOf(target)).stored).toBe(5n * E18);
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
    await delegate(other, 1n * E18);
    const stamped = await quorumUpdateBlock(0);
    const { code, logs } = await runMain([...baseArgs(), "--operators", target.address]);
    expect(code).toBe(EXIT.ok);
    expect(lastRun(logs).updated).toEqual([`operators ${target.address}`]);
    expect(await stakeOf(target)).toEqual({ stored: 7n * E18, weight: 7n * E18 });
    expect(await stakeOf(other)).toEqual({ stored: 5n * E18, weight: 6n * E18 });
    expect(await quorumUpdateBlock(0)).toBe(stamped);
  });

  describe("the race: an operator registers between the worker's read and its write", () => {
    // Automine off: transactions wait in the pool until the miner below mines them, in order.
    // anvil's order can only be chosen at start (--order fifo); the racing registration is
    // sent first and with a higher tip, so it is first in the block under either ordering.
    let mining: { stop: () => Promise<void> } | undefined;
    let racers: TestOperator[];

    beforeAll(async () => {
      // The racers' restaking side first: the kit's bulk set-up switches automine itself.
      racers = await prepareOperators(
        avs,
        [0, 1].map(() => ({ quorums: [0], deposits: [{ strategy, amount: 2n * E18 }] })),
      );
      await avs.testClient.setAutomine(false);
    });
    afterAll(async () => {
      await mining?.stop();
      await avs.testClient.mine({ blocks: 1 });
      await avs.testClient.setAutomine(true);
    });

    /** Mines a block whenever `wanted()` transactions are pending. */
    function startMiner(wanted: () => number) {
      let running = true;
      const loop = (async () => {
        while (running) {
          const { pending } = await avs.testClient.getTxpoolStatus();
          if (pending >= wanted()) await avs.testClient.mine({ blocks: 1 });
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

    /** The racer's registerOperator, sent (not mined) with a tip above the worker's. */
    async function sendRegistration(racer: TestOperator): Promise<Hash> {
      const args = await registrationArgs(avs, racer, [0]);
      const wallet = createWalletClient({
        account: racer.account,
        chain: avs.chain,
        transport: http(avs.rpcUrl),
      });
      return wallet.writeContract({
        address: avs.deployment.contracts.registryCoordinator.proxy,
        abi: registryCoordinatorAbi,
        functionName: "registerOperator",
        args: registerOperatorCallArgs(args),
        gas: 3_000_000n,
        maxFeePerGas: 50_000_000_000n,
        maxPriorityFeePerGas: 5_000_000_000n,
      });
    }

    /** Sends `racer`'s registration right before the worker's first update transaction. */
    function raceOnce(racer: TestOperator, onSent: (hash: Hash) => void) {
      let armed = true;
      return (chain: SyncChain): SyncChain =>
        intercept(chain, {
          sendQuorumUpdate: async (quorum, ops, gas) => {
            if (armed) {
              armed = false;
              onSent(await sendRegistration(racer));
            }
            return chain.sendQuorumUpdate(quorum, ops, gas);
          },
        });
    }

    it("with retries, the sync recovers: the first try reverts, the second includes the newcomer", async () => {
      let registration: Hash | undefined;
      // Until the registration is out, mine nothing; then mine once both it and our update wait.
      mining = startMiner(() => (registration ? 2 : Number.POSITIVE_INFINITY));
      const raced = raceOnce(racers[0]!, (hash) => {
        registration = hash;
      });
      const pending = runMain([...baseArgs(), "--quorums", "0", "--force", "--retry-sync-n-times", "3"], {
        wrapChain: raced,
      });
      const hash = await waitFor("the racing registration", () => registration, 20_000);
      const receipt = await avs.client.waitForTransactionReceipt({ hash, pollingInterval: 25 });
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
      let registration: Hash | undefined;
      mining = startMiner(() => (registration ? 2 : Number.POSITIVE_INFINITY));
      const { code, logs } = await runMain(
        [...baseArgs(), "--quorums", "0", "--force", "--retry-sync-n-times", "1"],
        {
          wrapChain: raceOnce(racers[1]!, (hash) => {
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

    it("a stop while the update waits for its receipt ends the wait, exits 143 and names the transaction", async () => {
      // Nothing mines: the receipt wait would last the writer timeout (90 s) if the stop did not end it.
      const controller = new AbortController();
      const run = startMain([...baseArgs(), "--quorums", "0", "--force"], { signal: controller.signal });
      const sent = await waitFor(
        "the update sent",
        () => run.lines.find((l) => l.msg === "update sent"),
        20_000,
      );
      const asked = Date.now();
      controller.abort();
      const { code, logs } = await run.done;
      expect(Date.now() - asked).toBeLessThan(10_000);
      expect(code).toBe(EXIT.interruptedSigterm);
      expect(logs.at(-1)?.msg).toMatch(/^avs-sync stopped before the run finished/);
      expect(lastRun(logs)).toMatchObject({
        interrupted: ["quorum 0"],
        unconfirmed: [{ target: "quorum 0", txHash: sent.txHash }],
      });
      expect(
        logs.find((l) => l.msg.startsWith("stopped while waiting for the update's receipt"))?.txHash,
      ).toBe(sent.txHash);
      // Sent, not lost: it is still in the pool, and mines.
      expect((await avs.testClient.getTxpoolStatus()).pending).toBe(1);
      await avs.testClient.mine({ blocks: 1 });
      const receipt = await avs.client.getTransactionReceipt({ hash: sent.txHash as Hash });
      expect(receipt.status).toBe("success");
    });
  });

  it("RPC down: once mode retries with backoff, then exits 1 with a clear error", async () => {
    const proxy = await downedProxy();
    const { code, logs } = await runMain([
      "--eth-http-url",
      proxy.url,
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
    expect(String(lastRun(logs).runError)).toContain(`cannot reach the JSON-RPC endpoint ${proxy.url}`);
  });

  it("RPC down: daemon mode keeps running, then syncs once the endpoint answers", async () => {
    const proxy = await downedProxy();
    const controller = new AbortController();
    const run = startMain(
      [
        "--eth-http-url",
        proxy.url,
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
      await waitFor(
        "two runs failing on the outage",
        () => run.lines.filter((l) => l.msg === "sync run finished" && l.runError !== undefined).length >= 2,
        15_000,
      );
      const stamped = await quorumUpdateBlock(0);
      await proxy.up();
      // The chain shows the update before the run that sent it logs its end; stopping in
      // between would abort that run, so wait for both.
      await waitFor(
        "an update through the endpoint, and its run's summary",
        async () =>
          (await quorumUpdateBlock(0)) > stamped &&
          run.lines.some(
            (l) =>
              l.msg === "sync run finished" &&
              ((l.updated as string[] | undefined) ?? []).includes("quorum 0"),
          ),
        15_000,
      );
    } finally {
      controller.abort();
    }
    const { code, logs } = await run.done;
    await proxy.down();
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
      // The flag has whole seconds: the next second at least 1 s ahead, so start-up cannot pass it.
      const at = new Date(Math.ceil((Date.now() + 1_000) / 1000) * 1000);
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
