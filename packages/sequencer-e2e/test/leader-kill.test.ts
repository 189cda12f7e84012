import { afterAll, beforeAll, expect, it } from "vitest";
import { Load } from "../src/load.js";
import { APP, type Scenario, scenario } from "./support.js";

/**
 * SIGKILL of the leader while clients keep sending: the others elect a new leader within 10 s,
 * every batch any node acknowledged (the killed one's own included, once it is back) is finalized
 * exactly once, and what was final before the kill stays, in the same order, on every node.
 */

let s: Scenario;
beforeAll(async () => {
  s = await scenario();
});
afterAll(async () => {
  await s?.close();
});

it("a killed leader is replaced and loses nothing that was acknowledged or final", async () => {
  const { cluster, checker } = s;
  const load = new Load({
    app: APP,
    urls: () => cluster.nodes.filter((n) => n.running).map((n) => n.url),
    clients: 4,
    batchesPerRequest: 20,
  }).start();
  await s.until("200 batches final", () => checker.log(APP).hashes.length >= 200);
  const old = (await cluster.leader())!;
  expect(old).toBeDefined();

  await cluster.kill(old.node.index);
  const killedAt = Date.now();
  const ackedBeforeKill = [...load.acked.keys()];
  await checker.tick();
  const finalBeforeKill = [...checker.log(APP).hashes];
  const others = cluster.nodes.filter((n) => n !== old.node).map((n) => n.index);

  const next = await s.until(
    "a new leader",
    async () => {
      const leader = await cluster.leader(others);
      return leader && leader.node !== old.node && leader.term > old.term ? leader : undefined;
    },
    10_000,
  );
  const switchMs = Date.now() - killedAt;
  expect(switchMs).toBeLessThan(10_000);

  // Load goes on under the new leader, then the old one comes back as a follower and forwards
  // what it had acknowledged and not yet passed on.
  const finalAtSwitch = checker.log(APP).hashes.length;
  await s.until("finality under the new leader", () => checker.log(APP).hashes.length >= finalAtSwitch + 100);
  cluster.restart(old.node.index);
  await load.stop();
  const acked = [...load.acked.keys()];
  await s.until(
    "every acknowledged batch final",
    () => acked.every((id) => checker.indexOf(APP, id) !== undefined),
    20_000,
  );

  const { ids, hashes } = checker.log(APP);
  expect(new Set(ids).size).toBe(ids.length); // exactly once
  for (const id of ackedBeforeKill) expect(checker.indexOf(APP, id)).toBeDefined();
  expect(hashes.slice(0, finalBeforeKill.length)).toEqual(finalBeforeKill);
  // Every node (the restarted one too) has read and checked the whole agreed log.
  await s.until("every node caught up", () =>
    cluster.nodes.every((n) => checker.readOf(n.index, APP) >= BigInt(hashes.length)),
  );
  console.log(
    JSON.stringify({ switchMs, newTerm: next.term.toString(), acked: acked.length, final: hashes.length }),
  );
});
