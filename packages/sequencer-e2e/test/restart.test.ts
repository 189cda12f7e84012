import { readFileSync } from "node:fs";
import { SequencerClient } from "@avskit/sequencer-client";
import { parseStaticNetwork } from "@avskit/sequencer-protocol";
import { afterAll, beforeAll, expect, it } from "vitest";
import { newBatch } from "../src/load.js";
import { APP, finalizedOf, type Scenario, scenario } from "./support.js";

/**
 * 10,000 batches, then a follower killed and restarted on its disk, and another started on an
 * empty one: both reach the chaining hash the others have. Sent in big requests to keep it fast.
 */

const TOTAL = 10_000;
const PER_REQUEST = 500;

let s: Scenario;
beforeAll(async () => {
  s = await scenario();
});
afterAll(async () => {
  await s?.close();
});

/** Through the SDK (it moves on from a node that is not in sync yet), two requests in flight. */
async function send(count: number, urls: readonly string[]): Promise<string[]> {
  const network = parseStaticNetwork(readFileSync(s.cluster.networkFile, "utf8"));
  const ids: string[] = [];
  const requests = Array.from({ length: Math.ceil(count / PER_REQUEST) }, (_, r) => r);
  for (let r = 0; r < requests.length; r += 2) {
    const replies = await Promise.all(
      requests.slice(r, r + 2).map(async (k) => {
        const client = new SequencerClient(APP, {
          network,
          nodes: [...urls.slice(k % urls.length), ...urls],
        });
        const batches = Array.from(
          { length: Math.min(PER_REQUEST, count - k * PER_REQUEST) },
          () => newBatch(16).body,
        );
        return (await client.send(batches, { timeoutMs: 20_000 })).ids;
      }),
    );
    for (const reply of replies) ids.push(...reply.map((id) => id.toLowerCase()));
  }
  return ids;
}

async function sameTip(
  indexes: readonly number[],
): Promise<{ index: bigint; chainHash: string } | undefined> {
  const tips = await Promise.all(indexes.map((i) => finalizedOf(s.cluster.node(i).url)));
  const first = tips[0];
  if (!first || tips.some((t) => !t || t.index !== first.index || t.chainHash !== first.chainHash))
    return undefined;
  return first;
}

it("a restarted node and a node on an empty disk reach the same chaining hash", async () => {
  const { cluster, checker } = s;
  const all = cluster.nodes.map((n) => n.index);
  const ids = await send(
    TOTAL,
    cluster.nodes.map((n) => n.url),
  );
  expect(new Set(ids).size).toBe(TOTAL);
  await s.until("10,000 batches final", () => checker.log(APP).hashes.length >= TOTAL, 30_000);

  const leader = (await cluster.leader())!;
  const [restarted, wiped] = cluster.nodes.filter((n) => n !== leader.node) as [
    (typeof cluster.nodes)[0],
    (typeof cluster.nodes)[0],
  ];
  await cluster.kill(restarted.index);
  await send(500, [leader.node.url]);
  cluster.restart(restarted.index);

  await cluster.kill(wiped.index);
  checker.forget(wiped.index);
  cluster.restart(wiped.index, { wipe: true });
  await send(500, [leader.node.url]);

  const tip = await s.until(
    "all four on one chaining hash",
    async () => {
      const t = await sameTip(all);
      return t && t.index >= BigInt(TOTAL + 1_000) ? t : undefined;
    },
    30_000,
  );
  // The nodes answer before the checker's next pass has read them: wait for it, then compare.
  await s.until("the checker read both", () =>
    [restarted, wiped].every((n) => checker.readOf(n.index, APP) >= tip.index),
  );
  expect(checker.log(APP).hashes[Number(tip.index) - 1]?.toLowerCase()).toBe(tip.chainHash);
});
