import { generateKeyPair, operatorIdFromPublicKey } from "@avskit/bls";
import { buildCertificate, createNetwork, signVote, type VotePoint } from "@avskit/sequencer-protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerBlsVerifier } from "../src/verify-pool.js";

describe("worker pairing pool", () => {
  const keys = Array.from({ length: 5 }, () => generateKeyPair());
  const network = createNetwork(
    { kind: "static", fileHash: `0x${"cd".repeat(32)}` },
    keys.map((k, i) => ({
      operatorId: operatorIdFromPublicKey(k.publicKeyG1),
      address: `0x${String(i + 1).padStart(40, "0")}` as const,
      pubkeyG1: k.publicKeyG1,
      pubkeyG2: k.publicKeyG2,
      stake: 10n,
      url: `http://127.0.0.1:${9100 + i}`,
    })),
  );
  const point: VotePoint = { app: "v", term: 3n, index: 9n, chainHash: `0x${"ef".repeat(32)}` };
  let pool: WorkerBlsVerifier;
  beforeAll(async () => {
    pool = await WorkerBlsVerifier.start(network, { size: 1 });
  });
  afterAll(async () => {
    await pool?.close();
  });

  it("checks certificates and finds the bad share by halves", async () => {
    const byId = new Map(keys.map((k) => [operatorIdFromPublicKey(k.publicKeyG1), k]));
    const shares = new Map(
      network.members.map((m) => [
        m.operatorId,
        signVote(byId.get(m.operatorId)!.secretKey, "lock", point, network.snapshotId),
      ]),
    );
    const good = buildCertificate(network, "lock", point, shares)!;
    expect(await pool.checkCertificate(good)).toBe(true);
    const liar = network.members[3]!.operatorId;
    // A valid signature, over another point: only the pairing tells.
    shares.set(
      liar,
      signVote(byId.get(liar)!.secretKey, "lock", { ...point, index: 10n }, network.snapshotId),
    );
    const bad = buildCertificate(network, "lock", point, shares)!;
    expect(await pool.checkCertificate(bad)).toBe(false);
    expect(await pool.invalidShares(network, "lock", point, shares)).toEqual([liar]);
  });
});
