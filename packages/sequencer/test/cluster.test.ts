import {
  checkCertificate,
  finalizedPageFromJson,
  genesisHash,
  nextChainHash,
  nodeStateFromJson,
  submitBatchesRequestToJson,
} from "@avskit/sequencer-protocol";
import { hexToBytes } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, makeCluster, randomId, until } from "./cluster.js";

const post = (url: string, path: string, body: unknown) =>
  fetch(new URL(path, url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const getJson = async (url: string, path: string) => (await fetch(new URL(path, url))).json();

describe("a network of 4 nodes in one process", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await makeCluster(4, { maxRoundBytes: "65536" });
    await Promise.all([0, 1, 2, 3].map((i) => cluster.start(i)));
    await until("all following", () => cluster.nodes.every((n) => n!.handle.node.following) || undefined);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it("finalizes batches submitted to a follower, with a valid certificate and one chain on all nodes", async () => {
    const follower = cluster.nodes[2]!.handle;
    await until("follower ready", async () => (await fetch(new URL("/ready", follower.url))).ok);
    const bodies = ["a", "bb", "ccc"].map((s) => new TextEncoder().encode(s));
    const res = await post(
      follower.url,
      "/v1/apps/demo/batches",
      submitBatchesRequestToJson({ batches: bodies.map((body) => ({ body })) }),
    );
    expect(res.status).toBe(200);
    const { ids } = (await res.json()) as { ids: string[] };
    expect(ids).toHaveLength(3);
    const page = finalizedPageFromJson(
      await getJson(follower.url, "/v1/apps/demo/batches?after=0&wait=10000"),
    );
    let finalIndex = Number(page.finality?.index ?? 0);
    // The first page may end before all three are final: read on.
    const batches = [...page.batches];
    while (batches.length < 3) {
      const next = finalizedPageFromJson(
        await getJson(follower.url, `/v1/apps/demo/batches?after=${finalIndex}&wait=10000`),
      );
      batches.push(...next.batches);
      finalIndex = Number(next.finality?.index ?? finalIndex);
    }
    expect(batches.map((b) => b.id).sort()).toEqual([...ids].sort());
    expect(page.prevChainHash).toBe(genesisHash("demo"));
    let hash = page.prevChainHash;
    for (const b of page.batches) hash = nextChainHash(hash, hexToBytes(b.id), b.body);
    expect(hash).toBe(page.finality!.chainHash);
    expect(checkCertificate(cluster.network, page.finality!)).toEqual({ ok: true });
    await until("all four at the same finalized tip", async () => {
      const states = await Promise.all(
        cluster.nodes.map(async (n) => nodeStateFromJson(await getJson(n!.handle.url, "/v1/state"))),
      );
      const tips = states.map((s) => s.apps.demo?.finalized);
      return tips.every((t) => t === 3n) ? true : undefined;
    });
    const hashes = cluster.nodes.map((n) => n!.handle.node.apps.get("demo")!.hashAt(3));
    expect(new Set(hashes).size).toBe(1);
  });

  it("sequences an id sent twice once", async () => {
    const id = randomId();
    const body = { batches: [{ id, body: Buffer.from("once").toString("base64") }] };
    const a = cluster.nodes[1]!.handle;
    const b = cluster.nodes[3]!.handle;
    expect((await post(a.url, "/v1/apps/dedupe/batches", body)).status).toBe(200);
    expect((await post(b.url, "/v1/apps/dedupe/batches", body)).status).toBe(200);
    const status = await until("final", async () => {
      const s = (await getJson(a.url, `/v1/apps/dedupe/ids/${id}?wait=5000`)) as {
        state: string;
        index?: string;
      };
      return s.state === "finalized" ? s : undefined;
    });
    expect(status.index).toBe("1");
    expect((await post(a.url, "/v1/apps/dedupe/batches", body)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    for (const n of cluster.nodes) expect(n!.handle.node.apps.get("dedupe")?.tip.index).toBe(1);
  });

  it("a follower that was down catches up over several rounds, with finality points its pages can end at", async () => {
    await cluster.stop(3);
    const url = cluster.nodes[1]!.handle.url;
    const before = cluster.nodes[1]!.handle.node.apps.get("bulk")?.tip.index ?? 0;
    const body = Buffer.alloc(1000, 7).toString("base64");
    for (let r = 0; r < 3; r++) {
      const res = await post(url, "/v1/apps/bulk/batches", {
        batches: Array.from({ length: 100 }, () => ({ body })),
      });
      expect(res.status).toBe(200);
    }
    await until(
      "300 final on the three",
      () =>
        [0, 1, 2].every(
          (i) => cluster.nodes[i]!.handle.node.apps.get("bulk")?.finalizedIndex === before + 300,
        ) || undefined,
    );
    const back = (await cluster.start(3)).handle;
    await until(
      "node 3 caught up",
      () => (back.node.apps.get("bulk")?.finalizedIndex === before + 300 ? true : undefined),
      15_000,
    );
    expect(back.node.apps.get("bulk")!.hashAt(300)).toBe(
      cluster.nodes[0]!.handle.node.apps.get("bulk")!.hashAt(300),
    );
    // Rounds carry at most 64 KiB of entries, and the catching-up node kept a finality point per round.
    const page = finalizedPageFromJson(await getJson(back.url, "/v1/apps/bulk/batches?after=0&limit=100"));
    expect(page.batches.length).toBeGreaterThan(0);
    expect(page.batches.length).toBeLessThanOrEqual(100);
    expect(checkCertificate(cluster.network, page.finality!)).toEqual({ ok: true });
  });
});
