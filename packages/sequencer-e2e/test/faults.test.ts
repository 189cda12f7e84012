import { readMetric } from "@avskit/integration";
import { afterEach, expect, it } from "vitest";
import { Load } from "../src/load.js";
import { APP, type Scenario, scenario } from "./support.js";

/**
 * Byzantine leaders (the node's test-only faults, AVSKIT_SEQUENCER_TEST_FAULTS=1): the leader of
 * term 1 censors one member's batches, or equivocates. Each must be detected and disputed (a log
 * line or a metric on an honest node), voted out, and the log must go on, with the invariant
 * checker reading every node all along.
 */

const FAST_SUSPICION = ["--censorship-timeout", "1s", "--resend-after", "500ms", "--finality-timeout", "2s"];

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const mentions = (pattern: RegExp) => (line: { msg: string }) => pattern.test(line.msg);

async function sumMetric(urls: readonly string[], names: readonly string[]): Promise<number> {
  let total = 0;
  for (const url of urls) for (const name of names) total += await readMetric(url, name).catch(() => 0);
  return total;
}

it("a censoring leader is disputed and replaced, and the censored batches become final", async () => {
  s = await scenario({
    args: FAST_SUSPICION,
    // Slow to call a leader silent (default 1 s): on a loaded machine a slow round would otherwise
    // replace the censor before the censorship watch (1 s) and its dispute have run.
    leaderTimeout: "4s",
    nodeArgs: (node, order) => (node === order[0] ? ["--fault", `censor:${order[1]!.operatorId}`] : []),
  });
  const { cluster, checker } = s;
  const [censor, victim] = cluster.leaderOrder as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
  // cluster.leader() is undefined for a moment while a node's state lags; wait for an answer.
  const first = await s.until("a leader all nodes name", () => cluster.leader(), 10_000);
  expect(first.node).toBe(censor);

  // Only the victim's clients: every batch reaches the leader from the censored member.
  const load = new Load({ app: APP, urls: () => [victim.url], clients: 2, batchesPerRequest: 5 }).start();
  const replaced = await s.until(
    "the censoring leader replaced",
    async () => {
      const leader = await cluster.leader();
      return leader && leader.node !== censor ? leader : undefined;
    },
    15_000,
  );
  await load.stop();
  const acked = [...load.acked.keys()];
  await s.until("the censored batches final", () =>
    acked.every((id) => checker.indexOf(APP, id) !== undefined),
  );

  const honest = cluster.nodes.filter((n) => n !== censor);
  const disputes = cluster.grep(mentions(/disput|censor/i)).filter((hit) => hit.node !== censor.index);
  const disputeMetric = await sumMetric(
    honest.map((n) => n.metricsUrl),
    ["sequencer_disputes_total", "avskit_sequencer_disputes_total"],
  );
  expect(disputes.length + disputeMetric).toBeGreaterThan(0);
  expect(replaced.term).toBeGreaterThan(1n);
});

it("an equivocating leader is caught by the followers' gossip and replaced", async () => {
  s = await scenario({
    args: FAST_SUSPICION,
    nodeArgs: (node, order) => (node === order[0] ? ["--fault", "equivocate"] : []),
  });
  const { cluster, checker } = s;
  const liar = cluster.leaderOrder[0]!;
  const load = new Load({
    app: APP,
    urls: () => cluster.nodes.filter((n) => n !== liar).map((n) => n.url),
    clients: 2,
    batchesPerRequest: 5,
  }).start();
  const replaced = await s.until(
    "the equivocating leader replaced",
    async () => {
      const leader = await cluster.leader();
      return leader && leader.node !== liar ? leader : undefined;
    },
    15_000,
  );
  const finalAtSwitch = checker.log(APP).hashes.length;
  await s.until("finality under the new leader", () => checker.log(APP).hashes.length > finalAtSwitch + 20);
  await load.stop();
  const acked = [...load.acked.keys()];
  await s.until("every acknowledged batch final", () =>
    acked.every((id) => checker.indexOf(APP, id) !== undefined),
  );

  const honest = cluster.nodes.filter((n) => n !== liar);
  const detected = cluster.grep(mentions(/equivocat/i)).filter((hit) => hit.node !== liar.index);
  const metric = await sumMetric(
    honest.map((n) => n.metricsUrl),
    ["sequencer_disputes_total", "avskit_sequencer_disputes_total"],
  );
  expect(detected.length + metric).toBeGreaterThan(0);
  expect(replaced.term).toBeGreaterThan(1n);
});
