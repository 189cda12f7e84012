import { readFileSync } from "node:fs";
import { SequencerClient } from "@avskit/sequencer-client";
import { parseStaticNetwork } from "@avskit/sequencer-protocol";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Cluster, type NodeState } from "../src/cluster.js";
import { sleep } from "../src/http.js";
import { APP, finalizedOf, type Scenario, scenario } from "./support.js";

/**
 * The happy path: 4 nodes, several clients sending at once through the SDK (each to its own
 * node), then every node agrees on the chaining hash at every finalized index (the invariant
 * checker compares them all along) and on its tip.
 */

const CLIENTS = 6;
const SENDS = 15;

let s: Scenario;
beforeAll(async () => {
  s = await scenario();
});
afterAll(async () => {
  await s?.close();
});

it("concurrent clients through the SDK: one chaining hash at every finalized index on all nodes", async () => {
  const { cluster, checker } = s;
  const network = parseStaticNetwork(readFileSync(cluster.networkFile, "utf8"));
  const sent = await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const client = new SequencerClient(APP, {
        network,
        nodes: [cluster.node(c % cluster.nodes.length).url],
      });
      const ids: string[] = [];
      for (let k = 0; k < SENDS; k++) {
        const batches = Array.from({ length: 1 + (k % 4) }, (_, b) => `client ${c} send ${k} batch ${b}`);
        // Every third send waits for finality: the SDK checks it against the certificate.
        const result = await client.send(
          batches,
          k % 3 === 0 ? { waitFor: "finalized", timeoutMs: 10_000 } : {},
        );
        if (result.indexes) expect(result.indexes).toHaveLength(batches.length);
        ids.push(...result.ids.map((id) => id.toLowerCase()));
      }
      return ids;
    }),
  );
  const all = sent.flat();
  await s.until("every batch final", () => all.every((id) => checker.indexOf(APP, id) !== undefined));
  const total = BigInt(checker.log(APP).hashes.length);
  expect(total).toBe(BigInt(all.length));
  await s.until("every node read to the end", () =>
    cluster.nodes.every((n) => checker.readOf(n.index, APP) >= total),
  );

  const tips = await Promise.all(cluster.nodes.map((n) => finalizedOf(n.url)));
  const top = tips.reduce((a, b) => (a && b && b.index > a.index ? b : a));
  for (const tip of tips) {
    expect(tip).toBeDefined();
    expect(checker.log(APP).hashes[Number(tip!.index) - 1]?.toLowerCase()).toBe(tip!.chainHash);
  }
  expect(top?.index).toBe(total);
});

it("a cluster with no app yet keeps its leader (heartbeats without apps)", async () => {
  // All four started at once, no warm-up app. On a loaded machine a leader still starting can
  // be voted out before it beats (start-up order, not what this test is about), so the leader
  // is the one the cluster agrees on once every node is ready; then it idles for four leader
  // timeouts (1 s each), long enough for a node without heartbeats to suspect it.
  const idle = await Cluster.start({ warmup: false });
  try {
    const ready = await idle.waitReady();
    const [{ term, leader }] = ready as [NodeState, ...NodeState[]];
    await sleep(4_000);
    const states = await idle.states();
    expect(states.map((st) => `${st?.term}/${st?.leader}`)).toEqual(
      idle.nodes.map(() => `${term}/${leader}`),
    );
    expect(states.every((st) => st?.ready === true)).toBe(true);
  } finally {
    await idle.close();
  }
});
