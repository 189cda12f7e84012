import type { G1Point } from "@avskit/bls";
import type { Hex } from "viem";
import { describe, expect, it } from "vitest";
import { buildCertificate, type Certificate, signVote, type VotePoint } from "../src/certificate.js";
import { chainHashOf, genesisHash } from "../src/log.js";
import { checkFinalizedPage } from "../src/page.js";
import type { FinalizedPage } from "../src/wire.js";
import { MEMBERS, NETWORK } from "./support.js";

const ids: Hex[] = [1, 2, 3].map((n) => `0x${n.toString(16).padStart(32, "0")}` as Hex);
const bodies = [new Uint8Array([1]), new Uint8Array([2, 2]), new Uint8Array(0)];
const entries = ids.map((id, i) => ({
  id: Uint8Array.from(Buffer.from(id.slice(2), "hex")),
  body: bodies[i]!,
}));
const h1 = chainHashOf("app-1", entries.slice(0, 1));
const h3 = chainHashOf("app-1", entries);

function certify(kind: "lock" | "finalize", point: VotePoint): Certificate {
  const shares = new Map<Hex, G1Point>(
    MEMBERS.slice(0, 3).map((m) => [
      m.operatorId,
      signVote(m.bls.secretKey, kind, point, NETWORK.snapshotId),
    ]),
  );
  return buildCertificate(NETWORK, kind, point, shares)!;
}

const finality = certify("finalize", { app: "app-1", term: 1n, index: 3n, chainHash: h3 });
const page: FinalizedPage = {
  app: "app-1",
  after: 1n,
  prevChainHash: h1,
  batches: [2, 3].map((index) => ({ index: BigInt(index), id: ids[index - 1]!, body: bodies[index - 1]! })),
  finality,
  lastFinalized: 3n,
};

describe("finalized pages", () => {
  it("accepts the batches (after, finality.index] whose chain ends in the certificate's hash", () => {
    expect(checkFinalizedPage(NETWORK, page, h1)).toEqual({ ok: true });
    expect(checkFinalizedPage(NETWORK, { ...page, batches: [], finality: null }, h1)).toEqual({ ok: true });
  });

  it("refuses a page that does not chain from what the reader knows, or to the certificate", () => {
    expect(checkFinalizedPage(NETWORK, page, genesisHash("app-1"))).toEqual({
      ok: false,
      reason: "PREV_HASH_MISMATCH",
    });
    expect(checkFinalizedPage(NETWORK, { ...page, after: 0n })).toEqual({
      ok: false,
      reason: "PREV_HASH_MISMATCH",
    });
    const altered = page.batches.map((b, i) => (i === 1 ? { ...b, body: new Uint8Array([9]) } : b));
    expect(checkFinalizedPage(NETWORK, { ...page, batches: altered }, h1)).toEqual({
      ok: false,
      reason: "CHAIN_MISMATCH",
    });
    expect(checkFinalizedPage(NETWORK, { ...page, batches: page.batches.slice(0, 1) }, h1)).toEqual({
      ok: false,
      reason: "NOT_CONTIGUOUS",
    });
    const renumbered = page.batches.map((b) => ({ ...b, index: b.index + 1n }));
    expect(checkFinalizedPage(NETWORK, { ...page, batches: renumbered }, h1)).toEqual({
      ok: false,
      reason: "NOT_CONTIGUOUS",
    });
    expect(checkFinalizedPage(NETWORK, { ...page, finality: null }, h1)).toEqual({
      ok: false,
      reason: "NOT_FINAL",
    });
    const lock = certify("lock", { app: "app-1", term: 1n, index: 3n, chainHash: h3 });
    expect(checkFinalizedPage(NETWORK, { ...page, finality: lock }, h1)).toEqual({
      ok: false,
      reason: "NOT_FINAL",
    });
    expect(checkFinalizedPage(NETWORK, { ...page, app: "app-2" }, h1)).toEqual({
      ok: false,
      reason: "APP_MISMATCH",
    });
    expect(checkFinalizedPage(NETWORK, { ...page, finality: { ...finality, term: 2n } }, h1)).toEqual({
      ok: false,
      reason: "BAD_SIGNATURE",
    });
  });
});
