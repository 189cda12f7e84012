import { captureLogs } from "@avskit/integration";
import { createMetricsRegistry, type Registry } from "@avskit/runtime";
import { beforeEach, describe, expect, it } from "vitest";
import { MaxGasExceededError, TxRevertedError, UnknownQuorumError } from "../src/errors.js";
import { SyncMetrics } from "../src/metrics.js";
import { succeeded, summarize } from "../src/report.js";
import { runSync, type SyncOptions, type SyncTargets } from "../src/sync.js";
import { addr, FakeChain } from "./fake-chain.js";

const OPTIONS: SyncOptions = {
  tries: 3,
  backoff: { initialMs: 1_000, maxMs: 8_000, factor: 2 },
  dryRun: false,
  force: false,
  refreshAfterMs: 0,
  writerTimeoutMs: 90_000,
  gasMarginPercent: 20,
};
const ALL: SyncTargets = { kind: "quorums", fetchDynamically: true };

let chain: FakeChain;
let registry: Registry;
let metrics: SyncMetrics;
let sleeps: number[];

function deps(signal = new AbortController().signal) {
  return {
    chain,
    logger: captureLogs().logger,
    metrics,
    signal,
    now: () => new Date(chain.timestamp * 1000 + 30_000),
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
  };
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = found?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value;
}

beforeEach(() => {
  chain = new FakeChain();
  registry = createMetricsRegistry({ defaultMetrics: false });
  metrics = new SyncMetrics(registry, () => chain.timestamp * 1000 + 30_000);
  sleeps = [];
  // Unsorted on purpose: the contract wants ascending order.
  for (const n of [5, 3, 9, 1]) chain.setWeight(addr(n), 100n);
  chain.addQuorum([addr(5), addr(3), addr(9)]);
  chain.addQuorum([addr(1), addr(3)]);
});

describe("runSync, whole-set mode", () => {
  it("sends one transaction per quorum with the complete set sorted ascending", async () => {
    chain.setWeight(addr(3), 150n); // stale in both quorums
    const report = await runSync(ALL, OPTIONS, deps());
    expect(succeeded(report)).toBe(true);
    expect(chain.sent.map((s) => [s.quorum, s.operators])).toEqual([
      [0, [addr(3), addr(5), addr(9)]],
      [1, [addr(1), addr(3)]],
    ]);
    expect(report.results.map((r) => r.kind)).toEqual(["updated", "updated"]);
    // Gas limit = estimate + 20 %.
    expect(chain.sent[0]!.gasLimit).toBe(((30_000n + 3n * 50_000n) * 120n) / 100n);
    expect(await metric("avssync_update_stake_attempt", { status: "succeed", quorum: "0" })).toBe(1);
    expect(await metric("avssync_operators_updated", { quorum: "0" })).toBe(3);
    expect(await metric("avssync_operators_updated", { quorum: "1" })).toBe(2);
  });

  it("re-reads the operator set before every try, so a registration racing the write is recovered", async () => {
    chain.setWeight(addr(5), 1n);
    chain.setWeight(addr(2), 100n);
    let raced = false;
    chain.beforeSend = (update) => {
      if (update.quorum === 0 && !raced) {
        raced = true;
        chain.register(0, addr(2)); // lands between our read and our write
      }
    };
    const report = await runSync({ kind: "quorums", quorums: [0], fetchDynamically: true }, OPTIONS, deps());
    expect(succeeded(report)).toBe(true);
    expect(chain.reads).toEqual([0, 0]);
    expect(chain.sent.map((s) => s.operators.length)).toEqual([3, 4]);
    expect(report.results[0]).toMatchObject({ kind: "updated", tries: 2 });
    expect(sleeps).toEqual([1_000]);
    expect(await metric("avssync_tx_reverted_total")).toBe(1);
    expect(await metric("avssync_update_stake_attempt", { status: "error", quorum: "0" })).toBe(1);
    expect(await metric("avssync_update_stake_attempt", { status: "succeed", quorum: "0" })).toBe(1);
  });

  it("with one try, reports the reverted update as a failure", async () => {
    chain.setWeight(addr(5), 1n);
    chain.beforeSend = () => chain.register(0, addr(2));
    const report = await runSync(
      { kind: "quorums", quorums: [0], fetchDynamically: true },
      { ...OPTIONS, tries: 1 },
      deps(),
    );
    expect(succeeded(report)).toBe(false);
    const [result] = report.results;
    expect(result?.kind).toBe("failed");
    expect(result?.kind === "failed" && result.error).toBeInstanceOf(TxRevertedError);
    expect(sleeps).toEqual([]);
  });

  it("backs off exponentially, capped, between failed tries", async () => {
    chain.setWeight(addr(5), 1n);
    chain.beforeSend = (update) => chain.register(0, addr(100 + chain.sent.length + (update.quorum ?? 0)));
    const report = await runSync(
      { kind: "quorums", quorums: [0], fetchDynamically: true },
      { ...OPTIONS, tries: 5, backoff: { initialMs: 1_000, maxMs: 5_000, factor: 2 } },
      deps(),
    );
    expect(report.results[0]).toMatchObject({ kind: "failed", tries: 5 });
    expect(sleeps).toEqual([1_000, 2_000, 4_000, 5_000]);
    expect(await metric("avssync_tx_reverted_total")).toBe(5);
  });

  it("retries a failed read (an RPC blip) and still updates", async () => {
    chain.setWeight(addr(5), 1n);
    chain.failReads = 2; // the quorum count read fails twice
    const report = await runSync({ kind: "quorums", quorums: [0], fetchDynamically: true }, OPTIONS, deps());
    expect(succeeded(report)).toBe(true);
    expect(sleeps).toEqual([1_000, 2_000]);
  });

  it("fails the run with a clear error when the chain stays unreachable", async () => {
    chain.failReads = 10;
    const report = await runSync(ALL, OPTIONS, deps());
    expect(succeeded(report)).toBe(false);
    expect(report.error?.message).toContain("ECONNREFUSED");
    expect(sleeps).toEqual([1_000, 2_000]);
  });

  it("skips a quorum whose recorded stakes are all current, unless --force", async () => {
    chain.setWeight(addr(1), 7n); // only quorum 1 is stale
    const report = await runSync(ALL, OPTIONS, deps());
    expect(report.results.map((r) => r.kind)).toEqual(["skipped", "updated"]);
    expect(chain.sent.map((s) => s.quorum)).toEqual([1]);
    expect(succeeded(report)).toBe(true);

    const forced = await runSync(ALL, { ...OPTIONS, force: true }, deps());
    expect(forced.results.map((r) => r.kind)).toEqual(["updated", "updated"]);
  });

  it("refreshes a current quorum whose last full update is older than --refresh-after", async () => {
    chain.quorums[0]!.lastFullUpdate = { blockNumber: 1n, timestamp: chain.timestamp - 7 * 86_400 };
    chain.quorums[1]!.lastFullUpdate = { blockNumber: 99n, timestamp: chain.timestamp - 3_600 };
    const report = await runSync(ALL, { ...OPTIONS, refreshAfterMs: 6 * 86_400_000 }, deps());
    expect(report.results.map((r) => r.kind)).toEqual(["updated", "skipped"]);
  });

  it("dry run reports the operators whose stake differs and the estimated gas, and sends nothing", async () => {
    chain.setWeight(addr(9), 250n);
    chain.quorums[0]!.minimumStake = 50n;
    chain.setWeight(addr(3), 10n); // below the minimum: the update would record 0 (and remove it)
    const report = await runSync(ALL, { ...OPTIONS, dryRun: true }, deps());
    expect(chain.sent).toEqual([]);
    const [q0, q1] = report.results;
    expect(q0).toMatchObject({ kind: "dry-run", operators: 3, estimatedGas: 30_000n + 3n * 50_000n });
    expect(q0?.kind === "dry-run" && q0.stale).toEqual([
      { operator: addr(3), quorum: 0, stored: 100n, next: 0n },
      { operator: addr(9), quorum: 0, stored: 100n, next: 250n },
    ]);
    expect(q1?.kind === "dry-run" && q1.stale).toEqual([
      { operator: addr(3), quorum: 1, stored: 100n, next: 10n },
    ]);
    expect(succeeded(report)).toBe(true);
  });

  it("refuses an update estimated above --max-gas-per-tx, naming the quorum, without retrying", async () => {
    chain.setWeight(addr(3), 1n);
    const report = await runSync(ALL, { ...OPTIONS, maxGasPerTx: 150_000n }, deps());
    const [q0, q1] = report.results;
    expect(q0?.kind).toBe("failed");
    const error = q0?.kind === "failed" ? q0.error : undefined;
    expect(error).toBeInstanceOf(MaxGasExceededError);
    expect(error?.message).toContain("quorum 0");
    expect(error?.message).toContain("180000");
    expect(q1?.kind).toBe("updated"); // 2 operators fit
    expect(chain.sent.map((s) => s.quorum)).toEqual([1]);
    expect(sleeps).toEqual([]);
    expect(succeeded(report)).toBe(false);
  });

  it("names a quorum that does not exist", async () => {
    const report = await runSync(
      { kind: "quorums", quorums: [0, 7], fetchDynamically: true },
      OPTIONS,
      deps(),
    );
    expect(report.error).toBeInstanceOf(UnknownQuorumError);
    expect(report.error?.message).toContain("quorum 7 does not exist");
    expect(chain.sent).toEqual([]);
  });

  it("uses the given quorums without reading the count when not fetching dynamically", async () => {
    chain.setWeight(addr(1), 3n);
    chain.failReads = 0;
    const report = await runSync({ kind: "quorums", quorums: [1], fetchDynamically: false }, OPTIONS, deps());
    expect(report.results.map((r) => r.target)).toEqual(["quorum 1"]);
  });

  it("feeds the staleness gauge from the chain and from its own updates", async () => {
    chain.quorums[1]!.lastFullUpdate = { blockNumber: 1n, timestamp: chain.timestamp - 3_600 };
    chain.setWeight(addr(5), 1n);
    await runSync(ALL, OPTIONS, deps());
    // The fake clock reads 30 s after the last mined block.
    expect(await metric("avssync_quorum_staleness_seconds", { quorum: "0" })).toBe(30);
    expect(await metric("avssync_quorum_staleness_seconds", { quorum: "1" })).toBe(3_600 + 12 + 30);
  });
});

describe("runSync, subset mode", () => {
  const SUBSET: SyncTargets = { kind: "operators", operators: [addr(3), addr(42)] };

  it("updates just the given registered operators, labelling metrics with their quorums", async () => {
    chain.setWeight(addr(3), 500n);
    const report = await runSync(SUBSET, OPTIONS, deps());
    expect(succeeded(report)).toBe(true);
    expect(chain.sent).toMatchObject([{ kind: "operators", operators: [addr(3)] }]);
    expect(report.results[0]).toMatchObject({ kind: "updated", quorums: [0, 1] });
    expect(await metric("avssync_update_stake_attempt", { status: "succeed", quorum: "0" })).toBe(1);
    expect(await metric("avssync_update_stake_attempt", { status: "succeed", quorum: "1" })).toBe(1);
  });

  it("retries with backoff like whole-set mode", async () => {
    chain.setWeight(addr(3), 500n);
    chain.failReads = 1;
    const report = await runSync(SUBSET, OPTIONS, deps());
    expect(report.results[0]).toMatchObject({ kind: "updated", tries: 2 });
    expect(sleeps).toEqual([1_000]);
  });

  it("skips when the operators' stakes are current, and fails when none is registered", async () => {
    expect((await runSync(SUBSET, OPTIONS, deps())).results[0]?.kind).toBe("skipped");
    const none = await runSync({ kind: "operators", operators: [addr(42)] }, OPTIONS, deps());
    expect(none.results[0]).toMatchObject({ kind: "failed" });
    expect(none.results[0]?.kind === "failed" && none.results[0].error.message).toContain(
      "none of the operators",
    );
  });
});

describe("runSync, shutdown", () => {
  it("stops between updates and lists what was not started", async () => {
    chain.setWeight(addr(3), 1n);
    const controller = new AbortController();
    chain.onOutcome = () => controller.abort();
    const report = await runSync(ALL, OPTIONS, deps(controller.signal));
    // Quorum 0's receipt was seen before the stop, so it is recorded; quorum 1 was never started.
    expect(report.results).toMatchObject([{ kind: "updated", target: "quorum 0" }]);
    expect(report.notStarted).toEqual(["quorum 1"]);
    expect(report.interrupted).toBe(true);
    expect(succeeded(report)).toBe(false);
  });

  it("a stop during the receipt wait ends it, and reports the sent update with its hash", async () => {
    chain.setWeight(addr(3), 1n);
    const controller = new AbortController();
    chain.beforeSend = () => controller.abort();
    const report = await runSync(ALL, OPTIONS, deps(controller.signal));
    const txHash = chain.sent[0]!.txHash;
    expect(report.results).toEqual([
      { kind: "interrupted", target: "quorum 0", quorums: [0], tries: 0, txHash },
    ]);
    expect(report.notStarted).toEqual(["quorum 1"]);
    expect(summarize(report)).toMatchObject({
      interrupted: ["quorum 0"],
      unconfirmed: [{ target: "quorum 0", txHash }],
      notStarted: ["quorum 1"],
    });
    expect(succeeded(report)).toBe(false);
  });

  it("stops during the backoff of a failing update", async () => {
    chain.setWeight(addr(5), 1n);
    const controller = new AbortController();
    chain.beforeSend = () => chain.register(0, addr(200 + chain.sent.length));
    const report = await runSync(ALL, OPTIONS, {
      ...deps(controller.signal),
      sleep: async () => controller.abort(),
    });
    expect(report.results).toMatchObject([{ kind: "interrupted", target: "quorum 0", tries: 1 }]);
    expect(report.notStarted).toEqual(["quorum 1"]);
  });
});
