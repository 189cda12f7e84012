import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, makeCluster, submitTexts, until } from "./cluster.js";

const submit = submitTexts;

describe("leader change", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    // 2 s, not less: on a loaded machine a shorter timeout adds view changes, and the test counts terms.
    cluster = await makeCluster(4, { leaderTimeout: "2s", heartbeat: "50ms" });
    await Promise.all([0, 1, 2, 3].map((i) => cluster.start(i)));
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it("elects the next leader when the leader stops, loses nothing final, and the old leader catches up", async () => {
    const n2 = cluster.nodes[2]!.handle;
    await until("ready", () => n2.node.ready || undefined);
    await submit(n2.url, "vc", ["one", "two", "three"]);
    await until(
      "3 final everywhere",
      () => cluster.nodes.every((n) => n!.handle.node.apps.get("vc")?.finalizedIndex === 3) || undefined,
    );
    const finalHash = n2.node.apps.get("vc")!.hashAt(3);

    await cluster.stop(0);
    await until(
      "term 2 on the others",
      () => [1, 2, 3].every((i) => cluster.nodes[i]!.handle.node.term === 2n) || undefined,
      10_000,
    );
    const leader = cluster.nodes[1]!.handle.node;
    expect(leader.isLeader).toBe(true);
    await until("node 3 ready in term 2", () => cluster.nodes[3]!.handle.node.ready || undefined);
    const ids = await submit(cluster.nodes[3]!.handle.url, "vc", ["four", "five"]);
    await until(
      "5 final on the three",
      () =>
        [1, 2, 3].every((i) => cluster.nodes[i]!.handle.node.apps.get("vc")?.finalizedIndex === 5) ||
        undefined,
    );
    for (const i of [1, 2, 3]) {
      const log = cluster.nodes[i]!.handle.node.apps.get("vc")!;
      expect(log.hashAt(3)).toBe(finalHash);
      expect(ids.every((id) => log.has(id as `0x${string}`))).toBe(true);
    }

    // The old leader restarts from its data dir in term 1, learns the new view, and catches up.
    const back = (await cluster.start(0)).handle.node;
    expect(back.apps.get("vc")!.finalizedIndex).toBe(3);
    await until(
      "old leader in term 2 and caught up",
      () => (back.term === 2n && back.apps.get("vc")?.finalizedIndex === 5) || undefined,
    );
    expect(back.apps.get("vc")!.hashAt(5)).toBe(cluster.nodes[1]!.handle.node.apps.get("vc")!.hashAt(5));
  });

  it("a new leader that lacks the base fetches it from a peer (its data dir was lost)", async () => {
    // Term 2 is led by node 1; node 2 leads term 3. Both stop, node 2 comes back empty.
    await cluster.stop(1);
    await cluster.stop(2);
    rmSync(join(cluster.dir, "node-2"), { recursive: true, force: true });
    const fresh = (await cluster.start(2)).handle.node;
    expect(fresh.apps.get("vc")).toBeUndefined();
    await until(
      "term 3 led by node 2",
      () => (fresh.term === 3n && fresh.isLeader ? true : undefined),
      15_000,
    );
    const log = fresh.apps.get("vc")!;
    expect(log.tip.index).toBeGreaterThanOrEqual(5);
    expect(log.hashAt(5)).toBe(cluster.nodes[0]!.handle.node.apps.get("vc")!.hashAt(5));
    await until("node 3 follows node 2", () => {
      const n3 = cluster.nodes[3]!.handle.node;
      return (n3.term === 3n && n3.following) || undefined;
    });
    const [id] = await submit(cluster.nodes[3]!.handle.url, "vc", ["six"]);
    await until(
      "six final on 0, 2, 3",
      () =>
        [0, 2, 3].every(
          (i) => cluster.nodes[i]!.handle.node.batchState("vc", id as `0x${string}`).state === "finalized",
        ) || undefined,
    );
  });
});
