import { readFileSync } from "node:fs";
import { SequencerClient } from "@avskit/sequencer-client";
import { chainHashOf, parseStaticNetwork } from "@avskit/sequencer-protocol";
import { afterAll, beforeAll, expect, it } from "vitest";
import { APP, type Scenario, scenario } from "./support.js";

/**
 * The SDK against real nodes: the verified iterator yields exactly the batches sent, in the
 * finalized order, with the chaining hash the nodes agree on; it resumes from a saved (index,
 * hash); and it fails over, for sending and for reading, when the node it uses is killed.
 */

let s: Scenario;
let network: ReturnType<typeof parseStaticNetwork>;
beforeAll(async () => {
  s = await scenario();
  network = parseStaticNetwork(readFileSync(s.cluster.networkFile, "utf8"));
});
afterAll(async () => {
  await s?.close();
});

async function take(client: SequencerClient, count: number, after = 0n, chainHash?: `0x${string}`) {
  const out = [];
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 15_000);
  for await (const batch of client.batches({
    after,
    signal: stop.signal,
    ...(chainHash ? { chainHash } : {}),
  })) {
    out.push(batch);
    if (out.length >= count) break;
  }
  clearTimeout(timer);
  return out;
}

it("verified iteration, and resuming from a saved index and hash", async () => {
  const { cluster, checker } = s;
  const client = new SequencerClient(APP, { network, nodes: [cluster.node(1).url] });
  const bodies = Array.from({ length: 30 }, (_, i) => `batch ${i}`);
  const { ids, indexes } = await client.send(bodies, { waitFor: "finalized", timeoutMs: 10_000 });
  expect(indexes).toHaveLength(30);

  const read = await take(client, 30);
  expect(read.map((b) => b.id.toLowerCase())).toEqual(ids.map((id) => id.toLowerCase()));
  expect(read.map((b) => new TextDecoder().decode(b.body))).toEqual(bodies);
  expect(read.map((b) => b.index)).toEqual(indexes);
  // The hash the SDK computed is the nodes' one, and the library's over the same entries.
  const last = read.at(-1)!;
  await s.until("the checker read as far", () => checker.log(APP).hashes.length >= Number(last.index));
  expect(last.chainHash.toLowerCase()).toBe(checker.log(APP).hashes[Number(last.index) - 1]?.toLowerCase());
  expect(
    chainHashOf(
      APP,
      read.map((b) => ({ id: Buffer.from(b.id.slice(2), "hex"), body: b.body })),
    ),
  ).toBe(last.chainHash);

  // Resume after the 10th from another node, with the saved hash.
  const saved = read[9]!;
  const other = new SequencerClient(APP, { network, nodes: [cluster.node(2).url] });
  const resumed = await take(other, 20, saved.index, saved.chainHash);
  expect(resumed.map((b) => b.id)).toEqual(read.slice(10).map((b) => b.id));
});

it("fails over when the node it sends to and reads from is killed", async () => {
  const { cluster } = s;
  const leader = (await cluster.leader())!;
  const victim = cluster.nodes.find((n) => n !== leader.node)!;
  const rest = cluster.nodes.filter((n) => n !== victim).map((n) => n.url);
  const client = new SequencerClient(APP, { network, nodes: [victim.url, ...rest], requestTimeoutMs: 2_000 });

  const before = await client.send(["before the kill"], { waitFor: "finalized", timeoutMs: 10_000 });
  const from = before.indexes![0]! - 1n;
  await cluster.kill(victim.index);
  const after = await client.send(["after the kill"], { waitFor: "finalized", timeoutMs: 15_000 });
  expect(after.indexes![0]!).toBeGreaterThan(before.indexes![0]!);

  const read = await take(client, 2, from);
  expect(read.map((b) => b.id)).toEqual([before.ids[0], after.ids[0]]);
  cluster.restart(victim.index);
  await s.until("the killed node back", async () => (await cluster.state(victim.index))?.ready === true);
});
