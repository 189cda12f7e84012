import { afterAll, beforeAll, expect, it } from "vitest";
import { sleep } from "../src/http.js";
import { Load } from "../src/load.js";
import { APP, type Scenario, scenario } from "./support.js";

/**
 * Partitions through the PeerProxy in front of every node: a cut-off follower catches up once
 * reconnected; a leader cut off from all followers is replaced and finalizes nothing more.
 */

let s: Scenario;
let load: Load;
beforeAll(async () => {
  s = await scenario();
  load = new Load({
    app: APP,
    urls: () => s.cluster.nodes.filter((n) => n.running).map((n) => n.url),
    clients: 3,
    batchesPerRequest: 10,
  }).start();
});
afterAll(async () => {
  await load?.stop();
  await s?.close();
});

it("a follower cut off and reconnected catches up", async () => {
  const { cluster, checker } = s;
  await s.until("some batches final", () => checker.log(APP).hashes.length >= 50);
  const leader = (await cluster.leader())!;
  const follower = cluster.nodes.find((n) => n !== leader.node)!;
  cluster.partition(follower.index);
  const cutAt = checker.readOf(follower.index, APP);
  await s.until("the others go on without it", () => checker.log(APP).hashes.length >= Number(cutAt) + 100);
  // Cut off, it cannot learn finality: at most what was in flight when the cut happened.
  expect(checker.readOf(follower.index, APP)).toBeLessThan(BigInt(checker.log(APP).hashes.length));
  cluster.heal(follower.index);
  const target = BigInt(checker.log(APP).hashes.length);
  await s.until("the follower caught up", () => checker.readOf(follower.index, APP) >= target, 15_000);
  // Its votes for later terms while cut off need not have unseated a leader that was fine.
  await s.until("one leader again", () => cluster.leader(), 10_000);
});

it("a leader cut off from every follower is replaced and finalizes nothing more", async () => {
  const { cluster, checker } = s;
  const old = (await s.until("one leader", () => cluster.leader()))!;
  cluster.partition(old.node.index);
  // A round already delivered when the cut happened may still complete into a finality proof
  // the leader holds (its shares arrived before the cut): let that settle, then nothing more.
  await sleep(1_000);
  const cutFinal = (await cluster.state(old.node.index))?.apps[APP]?.finalized ?? "0";
  const others = cluster.nodes.filter((n) => n !== old.node).map((n) => n.index);
  const next = await s.until(
    "a new leader among the rest",
    async () => {
      const leader = await cluster.leader(others);
      return leader && leader.node !== old.node && leader.term > old.term ? leader : undefined;
    },
    10_000,
  );
  const atSwitch = checker.log(APP).hashes.length;
  await s.until("finality under the new leader", () => checker.log(APP).hashes.length >= atSwitch + 50);
  await sleep(500);
  const oldState = await cluster.state(old.node.index);
  expect(BigInt(oldState?.apps[APP]?.finalized ?? "0")).toBe(BigInt(cutFinal));
  // And nothing the rest did not finalize too (the checker compares the hashes).
  const othersNow = await Promise.all(others.map((i) => cluster.state(i)));
  expect(BigInt(cutFinal)).toBeLessThanOrEqual(
    othersNow.reduce(
      (m, st) => (st && BigInt(st.apps[APP]?.finalized ?? "0") > m ? BigInt(st.apps[APP]!.finalized) : m),
      0n,
    ),
  );

  // Reconnected, it follows the new leader and has everything; what clients handed it while it
  // was cut off becomes final too.
  cluster.heal(old.node.index);
  await load.stop();
  const acked = [...load.acked.keys()];
  await s.until(
    "every acknowledged batch final",
    () => acked.every((id) => checker.indexOf(APP, id) !== undefined),
    20_000,
  );
  const total = BigInt(checker.log(APP).hashes.length);
  await s.until("the old leader caught up", () => checker.readOf(old.node.index, APP) >= total, 15_000);
  expect(next.term).toBeGreaterThan(old.term);
});
