/*
 * The SDK against stand-ins for the node (test/fake-node.ts): small HTTP servers on 127.0.0.1
 * serving pages built with the real library over a real 4-member static network with real BLS
 * certificates. They exist to craft hostile data a real node never serves (forged and
 * under-threshold certificates, tampered bodies, a lying prevChainHash) and to hold long-polls
 * under test control; the SDK against real nodes is the e2e suite's business.
 */
import { chainHashOf, genesisHash, signVote } from "@avskit/sequencer-protocol";
import { type Hex, hexToBytes, keccak256 } from "viem";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  bodyJson,
  bodyText,
  NoHealthyNodeError,
  SendRefusedError,
  SendTimeoutError,
  SequencerClient,
  type SequencerClientEvent,
  type SequencerClientOptions,
  type VerifiedBatch,
} from "../src/index.js";
import {
  certify,
  deadUrl,
  FakeLog,
  FakeNode,
  type FakeNodeOptions,
  networkChange,
  type TestNetwork,
  testNetwork,
} from "./fake-node.js";

const APP = "avs-liveness-checker";
let t: TestNetwork;
let running: FakeNode[] = [];

beforeAll(() => {
  t = testNetwork();
});

afterEach(async () => {
  await Promise.all(running.map((node) => node.close()));
  running = [];
});

async function start(log: FakeLog, options: FakeNodeOptions = {}): Promise<FakeNode> {
  const node = await FakeNode.start(log, options);
  running.push(node);
  return node;
}

function client(nodes: readonly string[], options: Partial<SequencerClientOptions> = {}) {
  const events: SequencerClientEvent[] = [];
  const log = new SequencerClient(APP, {
    network: t.network,
    nodes,
    longPollMs: 2_000,
    failoverTimeoutMs: 3_000,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { log, events };
}

/** The first `count` batches the iterator yields, then stops it. */
async function take(iterator: AsyncGenerator<VerifiedBatch>, count: number): Promise<VerifiedBatch[]> {
  const got: VerifiedBatch[] = [];
  if (count === 0) return got;
  for await (const batch of iterator) {
    got.push(batch);
    if (got.length === count) break;
  }
  return got;
}

function rejections(events: readonly SequencerClientEvent[]): string[] {
  return events.flatMap((e) => (e.type === "node-rejected" ? [e.error.cause.reason] : []));
}

describe("reading the finalized log", () => {
  it("yields every batch in index order with the chaining hash through it", async () => {
    const log = new FakeLog(t, APP);
    log.publish(["a", "b", "c"]);
    log.publish(["d", "e"]);
    const node = await start(log);
    const { log: reader, events } = client([node.url]);

    const got = await take(reader.batches(), 5);

    expect(got.map((b) => b.index)).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(got.map((b) => bodyText(b.body))).toEqual(["a", "b", "c", "d", "e"]);
    for (const batch of got) {
      const entries = log.entries
        .slice(0, Number(batch.index))
        .map((e) => ({ id: hexToBytes(e.id), body: e.body }));
      expect(batch.chainHash).toBe(chainHashOf(APP, entries));
      expect(batch.id).toBe(log.entries[Number(batch.index) - 1]!.id);
    }
    expect(reader.counters.verifiedPages).toBe(2);
    expect(reader.counters.verifiedBatches).toBe(5);
    expect(events).toEqual([]);
  });

  it("refuses a forged certificate (bad signature) and fails over to the next node", async () => {
    const log = new FakeLog(t, APP);
    log.publish(["one", "two"]);
    // The certificate signs another point: well-formed, members and stake fine, signature wrong.
    const forged = (page: ReturnType<FakeLog["page"]>) => ({
      ...page,
      finality: page.finality && {
        ...page.finality,
        signature: signVote(
          t.keys.get(t.byStake[0]!)!.secretKey,
          "finalize",
          { ...page.finality, index: 99n },
          t.network.snapshotId,
        ),
      },
    });
    const liar = await start(log, { tamper: forged });
    const honest = await start(log);
    const warnings: Record<string, unknown>[] = [];
    const { log: reader, events } = client([liar.url, honest.url], {
      logger: { warn: (fields, message) => warnings.push({ ...fields, message }) },
    });

    const got = await take(reader.batches(), 2);

    expect(got.map((b) => bodyText(b.body))).toEqual(["one", "two"]);
    expect(warnings).toMatchObject([
      { node: liar.url, reason: "BAD_SIGNATURE", message: expect.stringContaining("refusing node") },
    ]);
    expect(rejections(events)).toEqual(["BAD_SIGNATURE"]);
    expect(liar.count("GET /v1/apps")).toBe(1);
    expect(reader.counters.nodeRejections).toBe(1);
    const liarStatus = reader.nodes().find((n) => n.url === liar.url)!;
    expect(liarStatus.state).toBe("refused");
    expect(liarStatus.until).toBeGreaterThan(Date.now() + 30_000);
  });

  it("refuses a certificate whose signers hold 60 % of the stake (3 of 4 members, θ 67)", async () => {
    const log = new FakeLog(t, APP);
    log.publish(["x"]);
    const small = t.byStake.slice(1);
    const under = (page: ReturnType<FakeLog["page"]>) => ({
      ...page,
      finality: page.finality && certify(t, APP, page.finality.index, page.finality.chainHash, small),
    });
    const liar = await start(log, { tamper: under });
    const honest = await start(log);
    const { log: reader, events } = client([liar.url, honest.url]);

    const [batch] = await take(reader.batches(), 1);

    expect(bodyText(batch!.body)).toBe("x");
    expect(rejections(events)).toEqual(["BELOW_THRESHOLD"]);
  });

  it("refuses a tampered body: the chain no longer reaches the certified hash", async () => {
    const log = new FakeLog(t, APP);
    log.publish(["pay alice 1", "pay bob 2"]);
    const tampered = (page: ReturnType<FakeLog["page"]>) => ({
      ...page,
      batches: page.batches.map((b, i) =>
        i === 0 ? { ...b, body: new TextEncoder().encode("pay alice 1000") } : b,
      ),
    });
    const liar = await start(log, { tamper: tampered });
    const { log: reader, events } = client([liar.url], { failoverTimeoutMs: 300 });

    await expect(take(reader.batches(), 1)).rejects.toBeInstanceOf(NoHealthyNodeError);
    expect(rejections(events)).toEqual(["CHAIN_MISMATCH"]);
  });

  it("refuses a lying prevChainHash", async () => {
    const log = new FakeLog(t, APP);
    log.publish(["a", "b"]);
    log.publish(["c"]);
    const lying = (page: ReturnType<FakeLog["page"]>) => ({ ...page, prevChainHash: keccak256("0x01") });
    const liar = await start(log, { tamper: lying });
    const honest = await start(log);
    const { log: reader, events } = client([liar.url, honest.url]);

    // From 0 (genesis) and from a saved hash: both are known, so the lie is caught at once.
    expect((await take(reader.batches(), 1))[0]!.index).toBe(1n);
    const second = client([liar.url, honest.url]);
    const resumed = await take(second.log.batches({ after: 2, chainHash: log.hashAt(2n) }), 1);
    expect(resumed[0]!.index).toBe(3n);
    expect(rejections(events)).toEqual(["PREV_HASH_MISMATCH"]);
    expect(rejections(second.events)).toEqual(["PREV_HASH_MISMATCH"]);
  });

  it("long-polls while nothing is final, without a request storm, and yields once it is", async () => {
    const log = new FakeLog(t, APP);
    log.publish(["first"]);
    const node = await start(log);
    const { log: reader } = client([node.url]);
    const iterator = reader.batches();
    expect((await iterator.next()).value?.index).toBe(1n);

    const next = iterator.next();
    const before = node.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(node.requests.length - before).toBeLessThanOrEqual(2);

    const published = Date.now();
    log.publish(["second"]);
    const result = await next;
    expect(result.value && bodyText(result.value.body)).toBe("second");
    expect(Date.now() - published).toBeLessThan(500);
    await iterator.return();
  });

  it("moves on from a node that lags behind (empty long-polls) without refusing it", async () => {
    const log = new FakeLog(t, APP);
    log.publish(["a"]);
    const behind = await start(log, { behind: true });
    const node = await start(log);
    const { log: reader, events } = client([behind.url, node.url], { longPollMs: 300 });
    const started = Date.now();
    const got = await take(reader.batches({ after: 0 }), 1);
    expect(got[0]!.index).toBe(1n);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(behind.count("GET /v1/apps")).toBe(1);
    expect(events).toEqual([]);
  });

  it("resumes from a saved (index, chainHash), and from an index alone", async () => {
    const log = new FakeLog(t, APP);
    log.publish(["a", "b", "c"]);
    log.publish(["d"]);
    const node = await start(log);
    const first = client([node.url]);
    const seen = await take(first.log.batches(), 3);
    const saved = { index: seen[2]!.index, chainHash: seen[2]!.chainHash };

    const restarted = client([node.url]);
    const rest = await take(restarted.log.batches({ after: saved.index, chainHash: saved.chainHash }), 1);
    expect(rest.map((b) => bodyText(b.body))).toEqual(["d"]);
    expect(rest[0]!.chainHash).toBe(log.hashAt(4n));

    const trusting = client([node.url]);
    const fromIndex = await take(trusting.log.batches({ after: 3 }), 1);
    expect(fromIndex[0]!.chainHash).toBe(log.hashAt(4n));
  });

  it("refuses a saved hash at index 0 other than the app's genesis hash", async () => {
    const { log: reader } = client(["http://127.0.0.1:1"]);
    await expect(take(reader.batches({ after: 0, chainHash: keccak256("0x02") }), 1)).rejects.toBeInstanceOf(
      RangeError,
    );
    expect(genesisHash(APP)).not.toBe(keccak256("0x02"));
  });

  it("stops when its signal aborts, even in the middle of a long-poll", async () => {
    const log = new FakeLog(t, APP);
    const node = await start(log);
    const { log: reader } = client([node.url]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    await expect(take(reader.batches({ signal: controller.signal }), 1)).rejects.toThrow(/abort/i);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("tells the last finalized point, certificate checked, failing over from a forger", async () => {
    const log = new FakeLog(t, APP);
    const node = await start(log);
    const { log: reader } = client([node.url]);
    expect(await reader.lastFinalized()).toEqual({
      index: 0n,
      chainHash: genesisHash(APP),
      certificate: null,
    });

    log.publish(["a", "b"]);
    log.publish(["c"]);
    // Claims 3 is final with the (valid) certificate of 2: the point and its proof disagree.
    const stale = await start(log, {
      tamperTip: (tip) => ({ ...tip, finality: log.certificates.get(2n) ?? null }),
    });
    const under = await start(log, {
      tamperTip: (tip) => ({
        ...tip,
        finality: certify(t, APP, tip.index, tip.chainHash, t.byStake.slice(1)),
      }),
    });
    const second = client([stale.url, under.url, node.url]);
    const tip = await second.log.lastFinalized();
    expect(tip.index).toBe(3n);
    expect(tip.chainHash).toBe(log.hashAt(3n));
    expect(tip.certificate?.kind).toBe("finalize");
    expect(rejections(second.events)).toEqual(["CHAIN_MISMATCH", "BELOW_THRESHOLD"]);
  });

  it("skips a node that is not ready and refuses one that serves another snapshot", async () => {
    const log = new FakeLog(t, APP);
    log.publish(["a"]);
    const starting = await start(log, { ready: false });
    const foreign = await start(log, { snapshotId: keccak256("0x03") });
    const node = await start(log);
    const { log: reader, events } = client([starting.url, foreign.url, node.url]);
    const [batch] = await take(reader.batches(), 1);
    expect(batch!.index).toBe(1n);
    expect(starting.count("GET /v1/apps")).toBe(0);
    expect(foreign.count("GET /v1/apps")).toBe(0);
    expect(
      events.filter((e) => e.type === "node-failed").map((e) => e.type === "node-failed" && e.problem),
    ).toEqual(["not ready"]);
    expect(rejections(events)).toEqual(["SNAPSHOT_MISMATCH"]);
  });
});

describe("sending", () => {
  it("returns ids once accepted, and indexes checked against the certificate once finalized", async () => {
    const log = new FakeLog(t, APP);
    log.publish(["earlier"]);
    const node = await start(log);
    const { log: sender } = client([node.url]);

    const accepted = await sender.send(["hello"]);
    expect(accepted.ids).toHaveLength(1);
    expect(accepted.indexes).toBeUndefined();

    const bytes = new Uint8Array([0, 255, 7]);
    const result = await sender.send([bytes, "text", { kind: "check", ok: true }], { waitFor: "finalized" });
    expect(result.indexes).toEqual([3n, 4n, 5n]);
    expect(result.ids.map((id) => log.entries.findIndex((e) => e.id === id) + 1)).toEqual([3, 4, 5]);
    // Final together: one ids long-poll and one certified page, the other two ids read off that page.
    expect(node.count(`GET /v1/apps/${APP}/ids/`)).toBe(1);
    expect(node.count(`GET /v1/apps/${APP}/batches`)).toBe(1);

    const got = await take(sender.batches({ after: 2 }), 3);
    expect(got[0]!.body).toEqual(bytes);
    expect(bodyText(got[1]!.body)).toBe("text");
    expect(bodyJson(got[2]!.body)).toEqual({ kind: "check", ok: true });
  });

  it("fails over from a dead node (closed port) to a live one", async () => {
    const log = new FakeLog(t, APP);
    const dead = await deadUrl();
    const node = await start(log);
    const { log: sender, events } = client([dead, node.url]);

    const { indexes } = await sender.send(["after failover"], { waitFor: "finalized" });
    expect(indexes).toEqual([1n]);
    const failed = events.filter((e) => e.type === "node-failed");
    expect(failed.map((e) => e.type === "node-failed" && e.node)).toEqual([dead]);
    // Its state may already be back to "unknown" (its cool-down is 50–100 ms); its record stays.
    expect(sender.nodes().find((n) => n.url === dead)).toMatchObject({
      failures: 1,
      lastProblem: expect.stringContaining("ECONNREFUSED"),
    });
  });

  it("throws NoHealthyNodeError when no node answers within the failover budget", async () => {
    const { log: sender } = client([await deadUrl(), await deadUrl()], { failoverTimeoutMs: 300 });
    const error = await sender.send(["lost"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoHealthyNodeError);
    expect((error as NoHealthyNodeError).failures).toHaveLength(2);
  });

  it("surfaces a refusal sending again cannot fix as SendRefusedError with the node's code", async () => {
    const log = new FakeLog(t, APP);
    const node = await start(log, { refuseSend: { status: 413, code: "BATCH_TOO_LARGE", retryable: false } });
    const { log: sender } = client([node.url]);
    const error = await sender.send(["big"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendRefusedError);
    expect((error as SendRefusedError).code).toBe("BATCH_TOO_LARGE");
    expect(log.entries).toHaveLength(0);
  });

  it("takes a retryable refusal (503 NOT_SYNCED) to the next node", async () => {
    const log = new FakeLog(t, APP);
    const syncing = await start(log, { refuseSend: { status: 503, code: "NOT_SYNCED", retryable: true } });
    const node = await start(log);
    const { log: sender, events } = client([syncing.url, node.url]);
    const { ids } = await sender.send(["retry elsewhere"]);
    expect(log.entries.map((e) => e.id)).toEqual(ids);
    expect(events).toMatchObject([
      { type: "node-failed", node: syncing.url, problem: expect.stringContaining("NOT_SYNCED") },
    ]);
  });

  it("throws SendTimeoutError with the accepted ids when finality does not come in time", async () => {
    const log = new FakeLog(t, APP);
    const node = await start(log, { finalizeOnAccept: false });
    const { log: sender } = client([node.url]);
    const error = await sender
      .send(["slow"], { waitFor: "finalized", timeoutMs: 400 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendTimeoutError);
    const timeout = error as SendTimeoutError;
    expect(timeout.accepted).toBe(true);
    expect(timeout.ids).toEqual([log.entries[0]!.id]);
  });

  it("refuses a node that names a wrong index for an id, and asks another", async () => {
    const log = new FakeLog(t, APP);
    log.publish(["someone else's"]);
    const liar = await start(log, { tamperStatus: (status) => ({ ...status, index: 1n }) });
    const honest = await start(log);
    const { log: sender, events } = client([liar.url, honest.url]);
    const { indexes } = await sender.send(["mine"], { waitFor: "finalized" });
    expect(indexes).toEqual([2n]);
    expect(rejections(events)).toEqual(["ID_MISMATCH"]);
  });

  it("sends again with the same ids without sequencing a batch twice", async () => {
    const log = new FakeLog(t, APP);
    const node = await start(log);
    const { log: sender } = client([node.url]);
    const first = await sender.send(["once"]);
    const again = await sender.send(["once"], { ids: first.ids as Hex[], waitFor: "finalized" });
    expect(again.indexes).toEqual([1n]);
    expect(log.entries).toHaveLength(1);
  });
});

describe("operator-set changes", () => {
  it("follows a change a quorum of the trusted set voted for, and verifies the new set's certificates", async () => {
    const log = new FakeLog(t, APP);
    log.publish(["before-1", "before-2"]);
    const next = testNetwork();
    log.t = next;
    log.publish(["after-1"]);
    const node = await start(log, { networkChanges: [networkChange(t, next)] });
    const { log: reader, events } = client([node.url]);
    const got = await take(reader.batches(), 3);
    expect(got.map((b) => bodyText(b.body))).toEqual(["before-1", "before-2", "after-1"]);
    expect(got[2]!.chainHash).toBe(log.hashAt(3n));
    expect(rejections(events)).toEqual([]);
  });

  it("refuses a change voted by less than a quorum of the trusted set, or whose file is not the one voted", async () => {
    const next = testNetwork();
    const minority = networkChange(t, next, { voters: t.byStake.slice(1) }); // the three 20 % members: 60 %
    const otherFile = networkChange(t, next, { nextText: testNetwork().text });
    for (const record of [minority, otherFile]) {
      const log = new FakeLog(t, APP);
      log.t = next;
      log.publish(["forged"]);
      const node = await start(log, { networkChanges: [record] });
      const { log: reader, events } = client([node.url], { failoverTimeoutMs: 500 });
      await expect(take(reader.batches(), 1)).rejects.toThrow();
      expect(rejections(events)).toContain("SNAPSHOT_MISMATCH");
      expect(node.count(`GET /v1/apps/${APP}/batches`)).toBe(0);
    }
  });
});
