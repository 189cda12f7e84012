import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, operatorIdFromPublicKey } from "@avskit/bls";
import {
  buildCertificate,
  createNetwork,
  genesisHash,
  signVote,
  type VotePoint,
} from "@avskit/sequencer-protocol";
import { afterAll, describe, expect, it } from "vitest";
import { AppLog } from "../src/app-log.js";
import { SequencerStore } from "../src/store.js";
import { randomId } from "./cluster.js";

describe("store", () => {
  const dir = mkdtempSync(join(tmpdir(), "avskit-sequencer-store-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reopens with the same log, lock, finality points, pending batches and meta; truncation sticks", () => {
    const keys = [generateKeyPair(), generateKeyPair(), generateKeyPair()];
    const network = createNetwork(
      { kind: "static", fileHash: `0x${"ab".repeat(32)}` },
      keys.map((k, i) => ({
        operatorId: operatorIdFromPublicKey(k.publicKeyG1),
        address: `0x${String(i + 1).padStart(40, "0")}` as const,
        pubkeyG1: k.publicKeyG1,
        pubkeyG2: k.publicKeyG2,
        stake: 1n,
        url: `http://127.0.0.1:${9000 + i}`,
      })),
    );
    const certAt = (log: AppLog, kind: "lock" | "finalize", index: number) => {
      const point: VotePoint = { app: "a", term: 1n, index: BigInt(index), chainHash: log.hashAt(index)! };
      const shares = new Map(
        network.members.map((m, i) => [
          m.operatorId,
          signVote(keys[i]!.secretKey, kind, point, network.snapshotId),
        ]),
      );
      return buildCertificate(network, kind, point, shares)!;
    };

    let store = SequencerStore.open(dir);
    let log = new AppLog("a", store);
    const entries = Array.from({ length: 5 }, (_, i) => ({
      id: randomId(),
      body: new Uint8Array([i, i, i]),
    }));
    store.transaction(() => log.append(log.chainOf(entries)));
    log.addFinality(certAt(log, "finalize", 2));
    log.addFinality(certAt(log, "finalize", 3));
    log.setLock(certAt(log, "lock", 5));
    store.addPending("a", [{ id: entries[4]!.id, body: entries[4]!.body }], 1234);
    store.setMeta("term", "7");
    const tip = log.tip;
    store.close();

    store = SequencerStore.open(dir);
    const [stored] = store.loadApps();
    log = new AppLog("a", store, stored);
    expect(log.tip).toEqual(tip);
    expect(log.hashAt(0)).toBe(genesisHash("a"));
    expect(log.finalizedIndex).toBe(3);
    expect(log.lock?.index).toBe(5n);
    expect(log.indexOf(entries[2]!.id)).toBe(3);
    expect(log.pageEnd(0, 10)?.index).toBe(3);
    expect(log.pageEnd(0, 2)?.index).toBe(2);
    expect(log.pageEnd(0, 1)?.index).toBe(2);
    expect(log.read(3, 10).map((e) => e.id)).toEqual([entries[3]!.id, entries[4]!.id]);
    expect(store.listPending()).toEqual([
      { app: "a", id: entries[4]!.id, body: entries[4]!.body, receivedAt: 1234, forwardedAt: null },
    ]);
    expect(store.getMeta("term")).toBe("7");

    expect(log.truncateAfter(3)).toBe(2);
    store.close();
    store = SequencerStore.open(dir);
    log = new AppLog("a", store, store.loadApps()[0]);
    expect(log.tip.index).toBe(3);
    expect(log.has(entries[4]!.id)).toBe(false);
    store.close();
  });
});
