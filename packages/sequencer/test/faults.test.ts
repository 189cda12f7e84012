import { afterEach, describe, expect, it } from "vitest";
import { type Cluster, makeCluster, submitTexts, until } from "./cluster.js";

const FAULTS = { AVSKIT_SEQUENCER_TEST_FAULTS: "1" };

const submit = submitTexts;

describe("a faulty leader is voted out", () => {
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it("censorship: the censored node disputes, its peers see the batches stay out, the next leader sequences them", async () => {
    cluster = await makeCluster(4, {
      censorshipTimeout: "400ms",
      leaderTimeout: "4s",
      finalityTimeout: "20s",
      heartbeat: "50ms",
    });
    const c = cluster;
    const victim = c.network.members[2]!.operatorId;
    await c.start(0, { fault: `censor:${victim}` }, FAULTS);
    await Promise.all([1, 2, 3].map((i) => c.start(i)));
    const n2 = c.nodes[2]!.handle.node;
    await until("all following", () => c.nodes.every((n) => n!.handle.node.following) || undefined);
    // Another node's batch goes through: the leader censors by origin.
    await submit(c.nodes[1]!.handle.url, "cz", ["fine"]);
    await until("first final", () => (n2.apps.get("cz")?.finalizedIndex === 1 ? true : undefined));
    const [id] = await submit(c.nodes[2]!.handle.url, "cz", ["censored"]);
    await until("term 2", () => (n2.term >= 2n ? true : undefined), 15_000);
    await until("the censored batch final", () =>
      n2.batchState("cz", id!).state === "finalized" ? true : undefined,
    );
    expect(n2.apps.get("cz")!.indexOf(id!)).toBe(2);
    const disputes = await c.nodes[2]!.registry.getSingleMetricAsString("sequencer_disputes_total");
    expect(disputes).toContain('kind="censorship"');
  });

  it("equivocation: followers gossip the leader's tip statements, catch two orders at one index and change the leader", async () => {
    cluster = await makeCluster(4, { leaderTimeout: "4s", finalityTimeout: "20s", heartbeat: "50ms" });
    const c = cluster;
    await c.start(0, { fault: "equivocate" }, FAULTS);
    await Promise.all([1, 2, 3].map((i) => c.start(i)));
    await until("all following", () => c.nodes.every((n) => n!.handle.node.following) || undefined);
    const ids = await submit(c.nodes[0]!.handle.url, "eq", ["a", "b", "c", "d", "e"]);
    await until(
      "term 2 on the followers",
      () => ([1, 2, 3].every((i) => c.nodes[i]!.handle.node.term >= 2n) ? true : undefined),
      15_000,
    );
    await until("all five final on the followers, one chain", () => {
      const logs = [1, 2, 3].map((i) => c.nodes[i]!.handle.node.apps.get("eq"));
      if (!logs.every((l) => l && l.finalizedIndex >= 5)) return undefined;
      return new Set(logs.map((l) => l!.hashAt(5))).size === 1 ? true : undefined;
    });
    const log = c.nodes[3]!.handle.node.apps.get("eq")!;
    expect(ids.map((id) => log.indexOf(id)).sort()).toEqual([1, 2, 3, 4, 5]);
    const disputes = await c.nodes[1]!.registry.getSingleMetricAsString("sequencer_disputes_total");
    expect(disputes).toContain('kind="equivocation"');
  });

  it("silent leader: it answers HTTP but sends no rounds; the followers time out and elect the next", async () => {
    cluster = await makeCluster(4, { leaderTimeout: "1s", heartbeat: "50ms" });
    const c = cluster;
    await c.start(0, { fault: "silent-leader" }, FAULTS);
    await Promise.all([1, 2, 3].map((i) => c.start(i)));
    await until(
      "term 2 on the followers",
      () => ([1, 2, 3].every((i) => c.nodes[i]!.handle.node.term >= 2n) ? true : undefined),
      15_000,
    );
    expect((await fetch(new URL("/health", c.nodes[0]!.handle.url))).status).toBe(200);
    await until("node 2 follows the new leader", () => c.nodes[2]!.handle.node.following || undefined);
    const [id] = await submit(c.nodes[2]!.handle.url, "quiet", ["spoken"]);
    await until("final", () =>
      c.nodes[3]!.handle.node.batchState("quiet", id!).state === "finalized" ? true : undefined,
    );
  });
});
