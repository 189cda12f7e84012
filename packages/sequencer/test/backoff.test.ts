import { afterAll, beforeAll, expect, it } from "vitest";
import { type Cluster, makeCluster, until } from "./cluster.js";

/**
 * Escalation backs off: when the leaders of the next terms are down, each term change that does
 * not complete waits twice as long as the one before it, and once a change completes and the
 * node follows its leader the timeouts are back to the configured one.
 *
 * Five members; the leaders of terms 1-3 (network order) hold 1 each and are stopped, the other
 * two hold 100 each (200 of 203 is a quorum), so terms 2 and 3 are voted by a quorum and never
 * start, and term 4 (led by member 3) does.
 */

const LEADER_TIMEOUT_MS = 300;
let cluster: Cluster;

beforeAll(async () => {
  cluster = await makeCluster(
    5,
    { leaderTimeout: `${LEADER_TIMEOUT_MS}ms`, heartbeat: "50ms" },
    {
      stakes: [1n, 1n, 1n, 100n, 100n],
    },
  );
  await Promise.all([0, 1, 2, 3, 4].map((i) => cluster.start(i)));
  await until("member 4 follows member 0", () => cluster.nodes[4]!.handle.node.following || undefined);
});
afterAll(async () => {
  await cluster?.close();
});

it("doubles the time given to each change that does not complete, and resets once a leader is followed", async () => {
  const watched = cluster.nodes[4]!.handle.node;
  const votedAt = new Map<bigint, number>();
  const sampler = setInterval(() => {
    const term = watched.viewChange.votedTerm;
    if (!votedAt.has(term)) votedAt.set(term, Date.now());
  }, 5);
  try {
    await Promise.all([0, 1, 2].map((i) => cluster.stop(i)));
    await until(
      "member 4 follows the leader of term 4",
      () => (watched.term === 4n && watched.following) || undefined,
      20_000,
    );
  } finally {
    clearInterval(sampler);
  }
  expect(watched.isLeader).toBe(false);
  await until(
    "back to the configured timeout",
    () => watched.viewChange.escalations === 0 || undefined,
    1_000,
  );
  const [t2, t3, t4] = [2n, 3n, 4n].map((t) => votedAt.get(t));
  expect(t2 && t3 && t4).toBeTruthy();
  // Term 3 after 2 × the timeout without term 2; term 4 after 2 × 2 × the timeout without term 3.
  // (The watch ticks every 100 ms and a loaded machine only makes the gaps longer; the sampler
  // sees a vote up to a few ms late. Without the doubling both gaps would be 2 × the timeout.)
  const sampling = 20;
  expect(t3! - t2!).toBeGreaterThanOrEqual(2 * LEADER_TIMEOUT_MS - sampling);
  expect(t4! - t3!).toBeGreaterThanOrEqual(4 * LEADER_TIMEOUT_MS - sampling);
});
