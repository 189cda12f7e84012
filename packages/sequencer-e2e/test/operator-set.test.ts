import { readFileSync } from "node:fs";
import { SequencerClient } from "@avskit/sequencer-client";
import { parseStaticNetwork } from "@avskit/sequencer-protocol";
import { afterAll, beforeAll, expect, it } from "vitest";
import { getJson } from "../src/http.js";
import { Load } from "../src/load.js";
import { APP, type Scenario, scenario } from "./support.js";

/**
 * An operator-set change under load, without a restart: the network file's stakes change under
 * four running node processes; they vote the next term onto the new snapshot and certify with the
 * new stakes from then on, with one chaining hash at every index throughout (the checker runs the
 * whole time). A client that trusts only the first set reads the whole log across the change:
 * it follows the change from the nodes' record and verifies every page.
 */

let s: Scenario;
beforeAll(async () => {
  s = await scenario({ args: ["--network-refresh", "300ms"] });
});
afterAll(async () => {
  await s?.close();
});

it("a change of stakes moves the next term onto the new snapshot; the SDK follows it", async () => {
  const { cluster, checker } = s;
  const first = parseStaticNetwork(readFileSync(cluster.networkFile, "utf8"));
  const load = new Load({
    app: APP,
    urls: () => cluster.nodes.map((n) => n.url),
    clients: 2,
    batchesPerRequest: 10,
  }).start();
  await s.until("100 batches final", () => checker.log(APP).hashes.length >= 100);

  // One member's stake triples: 3 of 6 now, so no quorum (67 %) forms without it.
  const heavy = cluster.leaderOrder[1]!;
  const stakes = cluster.nodes.map((n) => (n === heavy ? 3n : 1n));
  const next = parseStaticNetwork(cluster.rewriteStakes(stakes));
  checker.trust(next);
  const snapshots = async () =>
    Promise.all(
      cluster.nodes.map(
        async (n) => ((await getJson(`${n.url}/v1/state`))?.body as { snapshotId?: string })?.snapshotId,
      ),
    );
  await s.until(
    "every node on the new snapshot",
    async () => (await snapshots()).every((id) => id === next.snapshotId),
    30_000,
  );
  const finalAtChange = checker.log(APP).hashes.length;
  await s.until(
    "finality on the new snapshot",
    () => checker.log(APP).hashes.length >= finalAtChange + 100,
    30_000,
  );
  await load.stop();
  const acked = [...load.acked.keys()];
  await s.until(
    "every acknowledged batch final",
    () => acked.every((id) => checker.indexOf(APP, id) !== undefined),
    30_000,
  );

  // The newest certificate counts the new stakes: it needs the heavy member's signature.
  const reply = await getJson(`${cluster.nodes[0]!.url}/v1/apps/${APP}/finalized`);
  const finality = (reply?.body as { finality: { snapshotId: string; nonSigners: string[] } } | undefined)
    ?.finality;
  if (!finality) throw new Error("no finality at the end");
  expect(finality.snapshotId).toBe(next.snapshotId);
  expect(finality.nonSigners).not.toContain(heavy.operatorId);

  // A client that trusts only the first set reads everything, across the change, verified.
  const client = new SequencerClient(APP, { network: first, nodes: cluster.nodes.map((n) => n.url) });
  const total = checker.log(APP).hashes.length;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 30_000);
  let last: { index: bigint; chainHash: string } | undefined;
  for await (const batch of client.batches({ after: 0n, signal: stop.signal })) {
    last = batch;
    if (batch.index >= BigInt(total)) break;
  }
  clearTimeout(timer);
  expect(last?.index).toBe(BigInt(total));
  expect(last?.chainHash).toBe(checker.log(APP).hashes[total - 1]);
}, 150_000);
