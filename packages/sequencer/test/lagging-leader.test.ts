import { afterAll, beforeAll, expect, it } from "vitest";
import { type Cluster, makeCluster, submitTexts, until } from "./cluster.js";

/**
 * A new leader that missed a finality certificate gets its own finality back while idle: its
 * followers, already final there, still sign the finalize vote of the lock it holds.
 *
 * Member 1 (the leader of term 2) is down while a batch becomes final on the others; then the
 * leader of term 1 stops and member 1 comes back, leads term 2 from the others' lock, and must
 * reach their finalized index without any new batch.
 */

let cluster: Cluster;
const APP = "lag";
const finalized = (i: number) => cluster.nodes[i]?.handle.node.apps.get(APP)?.finalizedIndex;

beforeAll(async () => {
  // 3 s: member 1 must be back before the change to term 2 escalates (2 × the timeout), or
  // term 3's leader, not lagging, would lead instead.
  cluster = await makeCluster(4, { leaderTimeout: "3s", heartbeat: "50ms" });
  await Promise.all([0, 1, 2, 3].map((i) => cluster.start(i)));
  await until("member 2 ready", () => cluster.nodes[2]!.handle.node.ready || undefined);
});
afterAll(async () => {
  await cluster?.close();
});

it("a new leader behind its followers' finality catches up without a new batch", async () => {
  const url = cluster.nodes[2]!.handle.url;
  await submitTexts(url, APP, ["one"]);
  await until("one final on all four", () => [0, 1, 2, 3].every((i) => finalized(i) === 1) || undefined);
  await cluster.stop(1);
  await submitTexts(url, APP, ["two"]);
  await until("two final on 0, 2, 3", () => [0, 2, 3].every((i) => finalized(i) === 2) || undefined);

  await cluster.stop(0);
  const back = (await cluster.start(1)).handle.node;
  expect(back.apps.get(APP)?.finalizedIndex).toBe(1);
  await until("member 1 leads term 2", () => (back.term === 2n && back.isLeader) || undefined, 20_000);
  await until("member 1 final at 2 with no new batch", () => finalized(1) === 2 || undefined, 5_000);
  expect([finalized(2), finalized(3)]).toEqual([2, 2]);
});
