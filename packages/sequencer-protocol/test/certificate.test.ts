import { G1, type G1Point, signDigest } from "@avskit/bls";
import { encodeAbiParameters, type Hex, keccak256, toBytes } from "viem";
import { describe, expect, it } from "vitest";
import {
  assertCertificate,
  buildCertificate,
  type Certificate,
  certificateHash,
  checkCertificate,
  compareLocks,
  signVote,
  type VotePoint,
  verifyVoteShare,
  voteDigest,
} from "../src/certificate.js";
import { CertificateError } from "../src/errors.js";
import { genesisHash } from "../src/log.js";
import { BIG, MEMBERS, NETWORK, SMALL, type TestMember } from "./support.js";

const point: VotePoint = { app: "app-1", term: 3n, index: 7n, chainHash: genesisHash("app-1") };

function shares(signers: readonly TestMember[], kind: "lock" | "finalize" = "finalize"): Map<Hex, G1Point> {
  return new Map(
    signers.map((m) => [m.operatorId, signVote(m.bls.secretKey, kind, point, NETWORK.snapshotId)]),
  );
}

// Built once: each certificate check is one pairing product (~10 ms).
const valid = buildCertificate(NETWORK, "finalize", point, shares([BIG, SMALL[0]!, SMALL[1]!]))!;

describe("vote digest", () => {
  it("is keccak256(abi.encode(domain, keccak256(app), term, index, chainHash, snapshotId))", () => {
    const expected = keccak256(
      encodeAbiParameters(
        [
          { type: "bytes32" },
          { type: "bytes32" },
          { type: "uint64" },
          { type: "uint64" },
          { type: "bytes32" },
          { type: "bytes32" },
        ],
        [
          keccak256(toBytes("avskit.sequencer.finalize.v1")),
          keccak256(toBytes("app-1")),
          3n,
          7n,
          point.chainHash,
          NETWORK.snapshotId,
        ],
      ),
    );
    expect(voteDigest("finalize", point, NETWORK.snapshotId)).toBe(expected);
    expect(voteDigest("lock", point, NETWORK.snapshotId)).not.toBe(expected);
  });

  it("a share is signDigest of the digest, and verifies only for its signer", () => {
    const share = signVote(BIG.bls.secretKey, "lock", point, NETWORK.snapshotId);
    expect(share.equals(signDigest(BIG.bls.secretKey, voteDigest("lock", point, NETWORK.snapshotId)))).toBe(
      true,
    );
    expect(verifyVoteShare(NETWORK, "lock", point, BIG.operatorId, share)).toBe(true);
    expect(verifyVoteShare(NETWORK, "lock", point, SMALL[0]!.operatorId, share)).toBe(false);
    expect(verifyVoteShare(NETWORK, "finalize", point, BIG.operatorId, share)).toBe(false);
    expect(verifyVoteShare(NETWORK, "lock", point, `0x${"11".repeat(32)}`, share)).toBe(false);
  });
});

describe("certificates", () => {
  it("is valid at quorum by stake (40 + 20 + 20 = 80 ≥ 67)", () => {
    expect(valid.nonSigners).toEqual([SMALL[2]!.operatorId]);
    expect(valid.snapshotId).toBe(NETWORK.snapshotId);
    expect(checkCertificate(NETWORK, valid)).toEqual({ ok: true });
    expect(() => assertCertificate(NETWORK, valid)).not.toThrow();
  });

  it("is not built below quorum by stake, even with 3 of 4 members (20 + 20 + 20 = 60 < 67)", () => {
    expect(buildCertificate(NETWORK, "finalize", point, shares(SMALL))).toBeUndefined();
    // Shares of non-members add nothing.
    const withStranger = shares(SMALL);
    withStranger.set(`0x${"11".repeat(32)}`, G1.BASE);
    expect(buildCertificate(NETWORK, "finalize", point, withStranger)).toBeUndefined();
  });

  it("refuses a certificate whose signers lack quorum by stake", () => {
    // The three small members sign for real; it is the stake that is short.
    const sigma = [...shares(SMALL).values()].reduce((a, b) => a.add(b));
    const cert: Certificate = { ...valid, nonSigners: [BIG.operatorId], signature: sigma };
    expect(checkCertificate(NETWORK, cert)).toEqual({ ok: false, reason: "BELOW_THRESHOLD" });
    try {
      assertCertificate(NETWORK, cert);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CertificateError);
      expect((error as CertificateError).reason).toBe("BELOW_THRESHOLD");
    }
  });

  it("refuses another snapshot, unknown and unsorted non-signers", () => {
    expect(checkCertificate(NETWORK, { ...valid, snapshotId: `0x${"00".repeat(32)}` })).toEqual({
      ok: false,
      reason: "SNAPSHOT_MISMATCH",
    });
    expect(checkCertificate(NETWORK, { ...valid, nonSigners: [`0x${"11".repeat(32)}`] })).toEqual({
      ok: false,
      reason: "UNKNOWN_NON_SIGNER",
    });
    const [a, b] = NETWORK.members.map((m) => m.operatorId).filter((id) => id !== BIG.operatorId);
    expect(checkCertificate(NETWORK, { ...valid, nonSigners: [b!, a!] })).toEqual({
      ok: false,
      reason: "UNSORTED_NON_SIGNERS",
    });
    expect(checkCertificate(NETWORK, { ...valid, nonSigners: [a!, a!] })).toEqual({
      ok: false,
      reason: "UNSORTED_NON_SIGNERS",
    });
  });

  it.each([
    ["chainHash", { chainHash: genesisHash("app-2") }],
    ["term", { term: 4n }],
    ["index", { index: 8n }],
    ["app", { app: "app-2" }],
    ["kind", { kind: "lock" as const }],
    ["non-signers (a signer dropped from the list)", { nonSigners: [] }],
  ])("a tampered %s is BAD_SIGNATURE", (_name, change) => {
    expect(checkCertificate(NETWORK, { ...valid, ...change })).toEqual({
      ok: false,
      reason: "BAD_SIGNATURE",
    });
  });

  it("a forged share spoils the aggregate", () => {
    const forged = shares([BIG, SMALL[0]!, SMALL[1]!]);
    // SMALL[1] sends a share of another point: the aggregate no longer verifies.
    forged.set(
      SMALL[1]!.operatorId,
      signVote(SMALL[1]!.bls.secretKey, "finalize", { ...point, index: 8n }, NETWORK.snapshotId),
    );
    const cert = buildCertificate(NETWORK, "finalize", point, forged)!;
    expect(checkCertificate(NETWORK, cert)).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
    expect(
      verifyVoteShare(NETWORK, "finalize", point, SMALL[1]!.operatorId, forged.get(SMALL[1]!.operatorId)!),
    ).toBe(false);
    // The point at infinity is no signature.
    expect(checkCertificate(NETWORK, { ...valid, signature: G1.ZERO })).toEqual({
      ok: false,
      reason: "BAD_SIGNATURE",
    });
  });

  it("all members signing leaves no non-signers", () => {
    const cert = buildCertificate(NETWORK, "lock", point, shares(MEMBERS, "lock"))!;
    expect(cert.nonSigners).toEqual([]);
    expect(checkCertificate(NETWORK, cert)).toEqual({ ok: true });
  });

  it("orders locks by term, then index, with null lowest; hashes commit to the signature", () => {
    const lock = (term: bigint, index: bigint): Certificate => ({ ...valid, kind: "lock", term, index });
    expect(compareLocks(lock(2n, 1n), lock(1n, 9n))).toBe(1);
    expect(compareLocks(lock(2n, 1n), lock(2n, 3n))).toBe(-1);
    expect(compareLocks(lock(2n, 3n), lock(2n, 3n))).toBe(0);
    expect(compareLocks(null, lock(1n, 0n))).toBe(-1);
    expect(compareLocks(lock(1n, 0n), null)).toBe(1);
    expect(compareLocks(null, null)).toBe(0);
    expect(certificateHash(valid)).not.toBe(
      certificateHash({ ...valid, signature: valid.signature.double() }),
    );
  });
});
