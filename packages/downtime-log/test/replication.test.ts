import { readFileSync } from "node:fs";
import { generateKeyPair, verifySignature } from "@avskit/bls";
import { SequencerClient } from "@avskit/sequencer-client";
import { Cluster, postJson, sleep } from "@avskit/sequencer-e2e";
import { g1FromJson, type Network, PeerSigner, parseStaticNetwork } from "@avskit/sequencer-protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CONFIRM_PATH,
  DOWNTIME_APP,
  type OperatorEpochAnswer,
  type ReportReply,
  reportDigest,
  type Statement,
} from "../src/index.js";
import { Replicas } from "./replicas.js";
import { signedEvent } from "./support.js";

/**
 * Four sequencer nodes and four downtime-log replicas, real processes on 127.0.0.1, one cluster
 * for the whole file (the tests run in order and build on each other's log).
 */
// Whole seconds: the on-chain ejector counts epochs in seconds (see the report test below).
const ORIGIN = Math.floor(Date.now() / 1000) * 1000 - 60_000;
const EPOCH = 0;

let cluster: Cluster;
let replicas: Replicas;
let network: Network;
let client: SequencerClient;

beforeAll(async () => {
  cluster = await Cluster.start({ size: 4, readyTimeoutMs: 150_000 });
  network = parseStaticNetwork(readFileSync(cluster.networkFile, "utf8"));
  client = new SequencerClient(DOWNTIME_APP, { network, nodes: cluster.nodes.map((n) => n.url) });
  replicas = await Replicas.start(cluster, ["--epoch-origin", String(ORIGIN), "--epoch-length", "1h"]);
}, 200_000);

afterAll(async () => {
  await replicas?.close();
  await cluster?.close();
});

const statement = (node: number, state: "up" | "down", observedAt = Date.now()): Statement => ({
  subject: cluster.node(node).operatorId,
  state,
  observedAt,
  epoch: Math.floor((observedAt - ORIGIN) / 3_600_000),
});

/** Sends raw batch bodies by hand (anyone may), final; their log indexes. */
async function submit(bodies: readonly string[]): Promise<number[]> {
  const { indexes } = await client.send(bodies, { waitFor: "finalized", timeoutMs: 60_000 });
  return indexes!.map(Number);
}

async function answer(i: number, node: number, at?: number): Promise<OperatorEpochAnswer | undefined> {
  const text = await replicas.text(
    i,
    `/v1/operators/${cluster.node(node).operatorId}/epochs/${EPOCH}${at !== undefined ? `?at=${at}` : ""}`,
  );
  return text === undefined ? undefined : (JSON.parse(text) as OperatorEpochAnswer);
}

async function refusalsAt(i: number, at: number): Promise<Record<number, string>> {
  const text = await replicas.text(i, `/v1/refusals?at=${at}`);
  const { refusals } = JSON.parse(text!) as { refusals: { index: number; reason: string }[] };
  return Object.fromEntries(refusals.map((r) => [r.index, r.reason]));
}

const ALL = [0, 1, 2, 3];

describe("the downtime log on four operators", () => {
  it("a lying minority gets no confirmation, and the event it submits by hand is refused by every replica", async () => {
    const liar = cluster.node(0);
    // It asks replica 1 to confirm that (healthy) node 2 is down: replica 1 probes node 2 itself and declines.
    const signer = new PeerSigner(liar.ecdsaKey, network, liar.operatorId);
    const body = JSON.stringify({ ...statement(2, "down"), snapshotId: network.snapshotId });
    const reply = await postJson(`${replicas.url(1)}${CONFIRM_PATH}`, body, {
      ...signer.headers(cluster.node(1).operatorId, "POST", CONFIRM_PATH, body),
    });
    expect(reply?.body).toMatchObject({ confirmed: false, reason: "DISAGREE" });
    // An unsigned request is not even considered.
    const anonymous = await postJson(`${replicas.url(1)}${CONFIRM_PATH}`, body);
    expect(anonymous?.status).toBe(401);

    // Two of four (half the stake, below 67 %) sign it anyway and submit it by hand.
    const minority = signedEvent(network, statement(2, "down"), [liar.bls, cluster.node(1).bls]);
    const [index] = await submit([JSON.stringify(minority)]);
    await replicas.waitIndex(index!);
    for (const i of ALL) {
      expect((await refusalsAt(i, index!))[index!]).toBe("BELOW_THRESHOLD");
      expect(await answer(i, 2, index)).toMatchObject({ downEvents: 0, downtimeMs: 0 });
    }
  });

  it("forged and malformed events are refused by every replica, each with its reason", async () => {
    const keys = cluster.nodes.map((n) => n.bls);
    const now = Date.now();
    const outsiders = [generateKeyPair(), generateKeyPair(), generateKeyPair()];
    const bodies = {
      BAD_SIGNATURE: signedEvent(network, statement(3, "down", now), outsiders, [cluster.node(3).operatorId]),
      WRONG_EPOCH: signedEvent(
        network,
        { ...statement(3, "down", now + 1), epoch: EPOCH + 1 },
        keys.slice(0, 3),
      ),
      FUTURE_TIMESTAMP: signedEvent(network, statement(3, "down", now + 3_600_000 - 1), keys.slice(0, 3)),
      NOT_JSON: "\u0000not json",
    };
    const indexes = await submit(
      Object.values(bodies).map((b) => (typeof b === "string" ? b : JSON.stringify(b))),
    );
    const last = Math.max(...indexes);
    await replicas.waitIndex(last);
    const expected = Object.fromEntries(Object.keys(bodies).map((reason, k) => [indexes[k]!, reason]));
    const seen = await Promise.all(ALL.map((i) => refusalsAt(i, last)));
    for (const refusals of seen) expect(refusals).toMatchObject(expected);
  });

  it("one operator killed and restarted: every replica applies exactly one down and one up event, in the same order, and their databases match", async () => {
    const subject = 3;
    const others = [0, 1, 2];
    const killedAt = Date.now();
    await Promise.all([cluster.kill(subject), replicas.kill(subject)]);
    await replicas.waitFor(
      async () =>
        (await Promise.all(others.map((i) => answer(i, subject)))).every((a) => a?.downNow === true),
      60_000,
      "the down event on every live replica",
    );
    const downMs = Date.now() - killedAt;
    // The operator's down, and stays so in the log while it is: nothing flaps.
    await sleep(500);
    const restartedAt = Date.now();
    cluster.restart(subject);
    replicas.restart(subject);
    await replicas.waitFor(
      async () =>
        (await Promise.all(ALL.map((i) => answer(i, subject)))).every(
          (a) => a !== undefined && a.downNow === false && a.events.length === 2,
        ),
      60_000,
      "the up event on every replica",
    );
    const upMs = Date.now() - restartedAt;
    const statuses = await Promise.all(ALL.map((i) => replicas.mustStatus(i)));
    const at = Math.min(...statuses.map((s) => s.asOfIndex));
    const answers = await Promise.all(ALL.map((i) => answer(i, subject, at)));
    for (const a of answers) {
      expect(a!.events.map((e) => e.state)).toEqual(["down", "up"]);
      expect(a!.downEvents).toBe(1);
      expect(a!.downtimeMs).toBeGreaterThan(1_000);
    }
    // The same events at the same indexes, and the same bytes, everywhere.
    const texts = await Promise.all(
      ALL.map((i) =>
        replicas.text(i, `/v1/operators/${cluster.node(subject).operatorId}/epochs/${EPOCH}?at=${at}`),
      ),
    );
    expect(new Set(texts).size).toBe(1);
    const digests = await Promise.all(ALL.map((i) => replicas.text(i, `/v1/digest?at=${at}`)));
    expect(new Set(digests).size).toBe(1);
    const epochs = await Promise.all(ALL.map((i) => replicas.text(i, `/v1/epochs/${EPOCH}?at=${at}`)));
    expect(new Set(epochs).size).toBe(1);
    console.info(JSON.stringify({ down_detected_ms: downMs, up_detected_ms: upMs }));
  });

  it("every replica signs an on-chain report of exactly the downtime its database holds, and no other", async () => {
    const at = Math.min(
      ...(await Promise.all(ALL.map((i) => replicas.mustStatus(i)))).map((s) => s.asOfIndex),
    );
    const { downtimeMs } = (await answer(0, 3, at))!;
    const report = {
      chainId: 31337,
      ejector: "0x00000000000000000000000000000000000000e1" as const,
      operator: network.members.find((m) => m.operatorId === cluster.node(3).operatorId)!.address,
      epoch: EPOCH,
      downtimeMs,
      asOfIndex: at,
      referenceBlock: 100,
    };
    for (const i of ALL) {
      const signed = (await postJson(`${replicas.url(i)}/v1/reports/sign`, report))?.body as ReportReply;
      expect(signed).toMatchObject({ signed: true, operatorId: cluster.node(i).operatorId });
      if (!signed.signed) continue;
      const key = cluster.node(i).bls.publicKeyG2;
      expect(verifySignature(key, reportDigest(report), g1FromJson(signed.signature))).toBe(true);
      const inflated = await postJson(`${replicas.url(i)}/v1/reports/sign`, {
        ...report,
        downtimeMs: downtimeMs + 1,
      });
      expect(inflated?.body).toMatchObject({ signed: false, reason: "DISAGREE" });
    }
  });

  it("an old event delivered again is refused: the same statement, and one older than the subject's last event", async () => {
    const last = Math.min(
      ...(await Promise.all(ALL.map((i) => replicas.mustStatus(i)))).map((s) => s.asOfIndex),
    );
    const applied = (await answer(0, 3, last))!.events;
    // Rebuild the applied down event's statement exactly (the same time): its replay.
    const keys = cluster.nodes.map((n) => n.bls);
    const replay = signedEvent(network, statement(3, "down", applied[0]!.observedAt), keys.slice(0, 3));
    const older = signedEvent(network, statement(3, "down", applied[1]!.observedAt - 1), keys.slice(0, 3));
    const indexes = await submit([JSON.stringify(replay), JSON.stringify(older)]);
    await replicas.waitIndex(Math.max(...indexes));
    for (const i of ALL) {
      const refusals = await refusalsAt(i, Math.max(...indexes));
      expect([refusals[indexes[0]!], refusals[indexes[1]!]]).toEqual([
        "ALREADY_APPLIED",
        "NOT_AFTER_PREVIOUS",
      ]);
    }
  });

  it("a replica started from an empty disk rebuilds the same database", async () => {
    const target = (await replicas.mustStatus(0)).asOfIndex;
    expect(await replicas.stop(2)).toBe(0);
    replicas.restart(2, { wipe: true });
    await replicas.waitIndex(target, [2]);
    expect(await replicas.text(2, `/v1/digest?at=${target}`)).toBe(
      await replicas.text(0, `/v1/digest?at=${target}`),
    );
    expect(await replicas.text(2, `/v1/epochs/${EPOCH}?at=${target}`)).toBe(
      await replicas.text(0, `/v1/epochs/${EPOCH}?at=${target}`),
    );
  });

  it("a replica killed mid-stream resumes after its last written batch and writes none twice", async () => {
    const victim = 1;
    await replicas.stop(victim);
    // Forgeries that each cost the replica a pairing, so it is still reading when it is killed.
    const outsiders = [generateKeyPair()];
    const bodies = Array.from({ length: 24 }, (_, k) =>
      JSON.stringify(signedEvent(network, statement(0, "down", Date.now() + k), outsiders, [])),
    );
    const indexes = await submit(bodies);
    const end = Math.max(...indexes);
    replicas.restart(victim);
    await replicas.waitFor(
      async () => {
        const s = await replicas.status(victim);
        return s !== undefined && s.asOfIndex > Math.min(...indexes);
      },
      60_000,
      "the replica reading the new batches",
    );
    await replicas.kill(victim);
    replicas.restart(victim);
    await replicas.waitIndex(end, [victim, 0]);
    const mine = await replicas.mustStatus(victim);
    // One row per batch: nothing skipped, nothing written twice.
    expect(mine.applied + mine.refused).toBe(mine.asOfIndex);
    expect(await replicas.text(victim, `/v1/digest?at=${end}`)).toBe(
      await replicas.text(0, `/v1/digest?at=${end}`),
    );
    // Across its runs, every index was written once: none is logged by two runs.
    const written = replicas
      .lines(victim)
      .filter((l) => l.msg === "batch refused" || l.msg === "event applied")
      .map((l) => (l as { index?: number }).index);
    expect(new Set(written).size).toBe(written.length);
    expect(written.filter((i) => i !== undefined && indexes.includes(i)).length).toBe(indexes.length);
  });
});
