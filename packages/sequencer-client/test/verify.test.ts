/*
 * checkPage on its own, over pages an honest node would serve (FakeLog.page, real certificates of
 * a real 4-member static network) and the ways a hostile one could bend them.
 */
import { type FinalizedPage, genesisHash } from "@avskit/sequencer-protocol";
import { keccak256 } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { checkPage } from "../src/index.js";
import { certify, FakeLog, type TestNetwork, testNetwork } from "./fake-node.js";

const APP = "app-a";
let t: TestNetwork;
let log: FakeLog;

beforeAll(() => {
  t = testNetwork();
  log = new FakeLog(t, APP);
  log.publish(["a", "b"]);
  log.publish(["c", "d", "e"]);
});

function reason(
  page: FinalizedPage,
  after = page.after,
  known = after === 0n ? undefined : log.hashAt(after),
) {
  const check = checkPage(t.network, APP, after, known, page);
  return check.ok ? "OK" : check.reason;
}

describe("checkPage", () => {
  it("accepts an honest page and computes each batch's chaining hash", () => {
    const check = checkPage(t.network, APP, 2n, log.hashAt(2n), log.page(2n));
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.batches.map((b) => [b.index, b.chainHash])).toEqual([
      [3n, log.hashAt(3n)],
      [4n, log.hashAt(4n)],
      [5n, log.hashAt(5n)],
    ]);
  });

  it("accepts an empty page without a certificate, whatever its prevChainHash: nothing to believe", () => {
    expect(reason(log.page(5n))).toBe("OK");
    // A node whose log is shorter than 5 cannot know h_5.
    expect(reason({ ...log.page(5n), prevChainHash: genesisHash(APP) })).toBe("OK");
  });

  it("refuses a page of another app or another place", () => {
    expect(reason({ ...log.page(0n), app: "app-b" })).toBe("WRONG_PAGE");
    expect(reason(log.page(2n), 0n)).toBe("WRONG_PAGE");
  });

  it("checks prevChainHash against genesis at 0 and the known hash later, takes it when none is known", () => {
    expect(reason({ ...log.page(0n), prevChainHash: genesisHash("app-b") })).toBe("PREV_HASH_MISMATCH");
    expect(reason(log.page(2n), 2n, log.hashAt(1n))).toBe("PREV_HASH_MISMATCH");
    expect(checkPage(t.network, APP, 2n, undefined, log.page(2n)).ok).toBe(true);
    // …but a made-up prevChainHash cannot chain to the certified hash.
    expect(
      checkPage(t.network, APP, 2n, undefined, { ...log.page(2n), prevChainHash: keccak256("0x05") }),
    ).toMatchObject({
      ok: false,
      reason: "CHAIN_MISMATCH",
    });
  });

  it("refuses batches without a finality proof, with a lock, or with another app's certificate", () => {
    const page = log.page(0n);
    expect(reason({ ...page, finality: null })).toBe("NOT_FINAL");
    expect(reason({ ...page, finality: { ...page.finality!, kind: "lock" } })).toBe("NOT_FINAL");
    expect(reason({ ...page, finality: { ...page.finality!, app: "app-b" } })).toBe("APP_MISMATCH");
  });

  it("refuses gaps, reordering, a dropped last batch and a certificate elsewhere", () => {
    const page = log.page(2n);
    expect(reason({ ...page, batches: [page.batches[0]!, page.batches[2]!] })).toBe("NOT_CONTIGUOUS");
    expect(reason({ ...page, batches: [page.batches[1]!, page.batches[0]!, page.batches[2]!] })).toBe(
      "NOT_CONTIGUOUS",
    );
    expect(reason({ ...page, batches: page.batches.slice(0, 2) })).toBe("NOT_CONTIGUOUS");
    // A valid certificate, but for index 2, while the page ends at 5.
    expect(reason({ ...page, finality: log.certificates.get(2n)! })).toBe("NOT_CONTIGUOUS");
  });

  it("refuses a certificate of another snapshot, with a non-member non-signer, or under the threshold", () => {
    const page = log.page(0n);
    const cert = page.finality!;
    expect(reason({ ...page, finality: { ...cert, snapshotId: keccak256("0x06") } })).toBe(
      "SNAPSHOT_MISMATCH",
    );
    expect(reason({ ...page, finality: { ...cert, nonSigners: [keccak256("0x07")] } })).toBe(
      "UNKNOWN_NON_SIGNER",
    );
    const under = certify(t, APP, cert.index, cert.chainHash, t.byStake.slice(1));
    expect(reason({ ...page, finality: under })).toBe("BELOW_THRESHOLD");
    // The big member plus one small one hold 60 % too; the big one plus two hold 80 %: enough.
    expect(
      reason({ ...page, finality: certify(t, APP, cert.index, cert.chainHash, t.byStake.slice(0, 2)) }),
    ).toBe("BELOW_THRESHOLD");
    expect(
      reason({ ...page, finality: certify(t, APP, cert.index, cert.chainHash, t.byStake.slice(0, 3)) }),
    ).toBe("OK");
  });

  it("refuses a signature by fewer members than the certificate claims", () => {
    const page = log.page(0n);
    const cert = page.finality!;
    const threeSigned = certify(t, APP, cert.index, cert.chainHash, t.byStake.slice(0, 3));
    // Claims all four signed, carries the aggregate of three.
    expect(reason({ ...page, finality: { ...threeSigned, nonSigners: [] } })).toBe("BAD_SIGNATURE");
  });
});
