import { type BlsKeyPair, operatorIdFromPublicKey } from "@avskit/bls";
import { checkCertificate, leaderOf } from "@avskit/sequencer-protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, type MemberKeys, makeCluster, submitTexts, until as untilWithin } from "./cluster.js";

// Generous: the point is the change, not its speed (the machine may be loaded).
const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) =>
  untilWithin(what, probe, 60_000);

const submit = submitTexts;

/**
 * An operator-set change without a restart: the network file is rewritten under running nodes
 * (one member removed, one added, one stake changed); they re-read it, vote the next term onto
 * the new snapshot, and certify from then on against it. The removed node stops voting; the added
 * one, started on the new file with an empty disk, catches up.
 */
/** Among the stayers of the test (the members sorting first, second and third) and `bls`, `bls` sorts second. */
function sortsSecond(bls: BlsKeyPair, members: readonly MemberKeys[]): boolean {
  const idOf = (keys: BlsKeyPair) => operatorIdFromPublicKey(keys.publicKeyG1).toLowerCase();
  const stayers = members
    .map((m) => idOf(m.bls))
    .sort()
    .slice(0, 3);
  const id = idOf(bls);
  return [...stayers, id].sort().indexOf(id) === 1;
}

describe("operator-set change", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await makeCluster(
      4,
      { leaderTimeout: "5s", roundTimeout: "3s", heartbeat: "100ms", networkRefresh: "300ms" },
      // The spare leads term 2 on the new set (members are ordered anew): the view that moves
      // there is made on the old set, so the spare, on an empty disk, must fetch the base
      // before it leads.
      { spare: 1, acceptSpare: (bls, members) => sortsSecond(bls, members) },
    );
    await Promise.all([0, 1, 2, 3].map((i) => cluster.start(i)));
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it("moves the next term onto the new set, keeps the log, and certifies with the new stakes", async () => {
    const first = cluster.nodes[1]!.handle;
    await until("ready", () => first.node.ready || undefined);
    await submit(first.url, "ops", ["one", "two", "three"]);
    await until(
      "3 final everywhere",
      () =>
        [0, 1, 2, 3].every((i) => cluster.nodes[i]!.handle.node.apps.get("ops")?.finalizedIndex === 3) ||
        undefined,
    );
    const hash3 = first.node.apps.get("ops")!.hashAt(3);
    const before = cluster.network.snapshotId;

    // Member 3 leaves, the spare (index 4) joins, member 0 doubles its stake.
    const next = cluster.rewriteNetwork([0, 1, 2, 4], [200n, 100n, 100n, 100n]);
    expect(leaderOf(next, 2n).operatorId).toBe(
      operatorIdFromPublicKey(cluster.spare[0]!.bls.publicKeyG1).toLowerCase(),
    );
    await cluster.start(4);
    const stayers = [0, 1, 2, 4];
    await until(
      "the stayers and the new member on the new set",
      () =>
        stayers.every((i) => {
          const node = cluster.nodes[i]!.handle.node;
          return node.network.snapshotId === next.snapshotId && node.ready;
        }) || undefined,
    );
    const removed = cluster.nodes[3]!.handle.node;
    await until(
      "the removed member moved too, as a non-member",
      () => removed.network.snapshotId === next.snapshotId || undefined,
    );
    expect(removed.member).toBe(false);
    const term = cluster.nodes[0]!.handle.node.term;
    expect(term).toBeGreaterThan(1n);

    // NOT_SYNCED is retryable: on a loaded machine the node may miss a beat between the check above and this.
    const ids = await until("the new member takes the batches", () =>
      submit(cluster.nodes[4]!.handle.url, "ops", ["four", "five"]).catch((error: Error) =>
        /NOT_SYNCED/.test(error.message) ? undefined : Promise.reject(error),
      ),
    );
    await until(
      "5 final on the new set",
      () =>
        stayers.every((i) => (cluster.nodes[i]!.handle.node.apps.get("ops")?.finalizedIndex ?? 0) >= 5) ||
        undefined,
    );
    for (const i of stayers) {
      const log = cluster.nodes[i]!.handle.node.apps.get("ops")!;
      expect(log.hashAt(3)).toBe(hash3);
      expect(ids.every((id) => log.has(id as `0x${string}`))).toBe(true);
      expect(log.hashAt(5)).toBe(cluster.nodes[0]!.handle.node.apps.get("ops")!.hashAt(5));
    }
    const finality = cluster.nodes[4]!.handle.node.apps.get("ops")!.finality!;
    expect(finality.snapshotId).toBe(next.snapshotId);
    expect(checkCertificate(next, finality).ok).toBe(true);
    expect(checkCertificate(cluster.network, finality).ok).toBe(false);
    expect(before).not.toBe(next.snapshotId);

    // The change is on record for clients that trust the old set.
    const changes = (await (await fetch(new URL("/v1/network-changes", first.url))).json()) as {
      changes: { term: string; next?: unknown }[];
    };
    expect(changes.changes).toHaveLength(1);
    expect(changes.changes[0]!.next).toBeDefined();
  }, 180_000);
});
