import { G1, type G1Point } from "@avskit/bls";
import type { Hex } from "viem";
import { describe, expect, it } from "vitest";
import { buildCertificate, type Certificate, signVote, type VotePoint } from "../src/certificate.js";
import { chainHashOf, genesisHash } from "../src/log.js";
import { leaderOf } from "../src/network.js";
import {
  checkViewChangeVote,
  isEquivocation,
  justifyNewView,
  signTipStatement,
  signViewChangeVote,
  type ViewChangeVote,
  verifyTipStatement,
  verifyViewChangeVote,
} from "../src/statements.js";
import { BIG, byId, MEMBERS, NETWORK, SMALL, type TestMember } from "./support.js";

function lockAt(
  term: bigint,
  index: bigint,
  signers: readonly TestMember[] = MEMBERS.slice(0, 3),
): Certificate {
  const id = new Uint8Array(16);
  id[0] = Number(index);
  const point: VotePoint = { app: "app-1", term, index, chainHash: chainHashOf("app-1", [{ id, body: id }]) };
  const shares = new Map<Hex, G1Point>(
    signers.map((m) => [m.operatorId, signVote(m.bls.secretKey, "lock", point, NETWORK.snapshotId)]),
  );
  return buildCertificate(NETWORK, "lock", point, shares)!;
}

const low = lockAt(2n, 5n);
const high = lockAt(3n, 1n);

function vote(m: TestMember, newTerm: bigint, locks: Record<string, Certificate | null>): ViewChangeVote {
  return signViewChangeVote(m.privateKey, NETWORK, m.operatorId, newTerm, locks);
}

describe("tip statements", () => {
  it("verify only when signed by the term's leader", () => {
    const leader = byId(leaderOf(NETWORK, 2n).operatorId);
    const other = MEMBERS.find((m) => m !== leader)!;
    const tip = { term: 2n, app: "app-1", index: 4n, chainHash: genesisHash("app-1") };
    const st = signTipStatement(leader.privateKey, NETWORK.snapshotId, tip);
    expect(verifyTipStatement(NETWORK, st)).toBe(true);
    expect(verifyTipStatement(NETWORK, { ...st, index: 5n })).toBe(false);
    expect(verifyTipStatement(NETWORK, { ...st, term: 3n })).toBe(false);
    expect(verifyTipStatement(NETWORK, signTipStatement(other.privateKey, NETWORK.snapshotId, tip))).toBe(
      false,
    );
    expect(
      verifyTipStatement(NETWORK, signTipStatement(leader.privateKey, `0x${"00".repeat(32)}`, tip)),
    ).toBe(false);
    const fork = signTipStatement(leader.privateKey, NETWORK.snapshotId, {
      ...tip,
      chainHash: genesisHash("app-2"),
    });
    expect(isEquivocation(NETWORK, st, fork)).toBe(true);
    expect(isEquivocation(NETWORK, st, st)).toBe(false);
  });
});

describe("view-change votes", () => {
  it("verify by the voter's address, over its locks", () => {
    const v = vote(SMALL[0]!, 4n, { "app-1": low, "app-2": null });
    expect(verifyViewChangeVote(NETWORK, v)).toBe(true);
    expect(verifyViewChangeVote(NETWORK, { ...v, newTerm: 5n })).toBe(false);
    expect(verifyViewChangeVote(NETWORK, { ...v, from: SMALL[1]!.operatorId })).toBe(false);
    expect(verifyViewChangeVote(NETWORK, { ...v, locks: { "app-1": high, "app-2": null } })).toBe(false);
    expect(verifyViewChangeVote(NETWORK, { ...v, locks: { "app-1": low } })).toBe(false);
    // A lock filed under another app than its own.
    expect(verifyViewChangeVote(NETWORK, vote(SMALL[0]!, 4n, { "app-2": low }))).toBe(false);
  });

  it("justify a new view: quorum by stake of distinct voters; base = highest lock per app", () => {
    const votes = [
      vote(BIG, 4n, { "app-1": low, "app-2": null }),
      vote(SMALL[0]!, 4n, { "app-1": high }),
      vote(SMALL[1]!, 4n, { "app-1": null, "app-3": null }),
    ];
    const justified = justifyNewView(NETWORK, 4n, votes);
    expect(justified).toEqual({
      ok: true,
      next: null,
      base: { "app-1": high, "app-2": null, "app-3": null },
    });
  });

  it("refuses under-quorum, duplicate voters, other terms and bad signatures", () => {
    const small = SMALL.map((m) => vote(m, 4n, { "app-1": low }));
    const under = justifyNewView(NETWORK, 4n, small);
    expect(under.ok).toBe(false);
    expect(!under.ok && under.reason).toMatch(/below 67%/);

    const twice = justifyNewView(NETWORK, 4n, [
      vote(BIG, 4n, {}),
      vote(BIG, 4n, { "app-1": low }),
      small[0]!,
    ]);
    expect(!twice.ok && twice.reason).toMatch(/voted twice/);

    const otherTerm = justifyNewView(NETWORK, 4n, [vote(BIG, 5n, {}), small[0]!, small[1]!]);
    expect(!otherTerm.ok && otherTerm.reason).toMatch(/for term 5/);

    const forged = { ...vote(BIG, 4n, {}), signature: small[0]!.signature };
    const bad = justifyNewView(NETWORK, 4n, [forged, small[0]!, small[1]!]);
    expect(!bad.ok && bad.reason).toMatch(/not validly signed/);
  });

  it("refuses a base lock whose certificate does not verify", () => {
    const fake: Certificate = { ...high, term: 9n, signature: G1.BASE };
    const votes = [
      vote(BIG, 10n, { "app-1": fake }),
      vote(SMALL[0]!, 10n, { "app-1": low }),
      vote(SMALL[1]!, 10n, {}),
    ];
    const justified = justifyNewView(NETWORK, 10n, votes);
    expect(!justified.ok && justified.reason).toMatch(/highest lock of app-1 .* BAD_SIGNATURE/);
    expect(checkViewChangeVote(NETWORK, votes[0]!)).toEqual({
      ok: false,
      reason: "lock of app-1: BAD_SIGNATURE",
    });
    expect(checkViewChangeVote(NETWORK, votes[1]!)).toEqual({ ok: true });
  });
});
