// Interop between the on-chain BN254 library (through BN254Harness) and @avskit/bls:
// the two sides must agree bit for bit on hashToG1, and what @avskit/bls signs must verify
// on-chain (and what it must not, must not).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, it } from "node:test";
import {
  aggregateG2,
  aggregateSignatures,
  type BlsKeyPair,
  buildPubkeyRegistration,
  CURVE_ORDER,
  FIELD_MODULUS,
  G1,
  G2,
  g1FromSolidity,
  g1ToSolidity,
  g2FromSolidity,
  g2ToSolidity,
  generateKeyPair,
  hashToG1,
  operatorIdFromPublicKey,
  type SolidityG1,
  type SolidityG2,
  signDigest,
  signPoint,
  verifyPubkeyRegistration,
} from "@avskit/bls";
import { network } from "hardhat";
import { encodePacked, type Hex, keccak256, toHex } from "viem";

const { viem } = await network.create();

type Harness = Awaited<ReturnType<typeof deployHarness>>;

async function deployHarness() {
  return viem.deployContract("BN254Harness");
}

function randomWord(): bigint {
  return BigInt(toHex(randomBytes(32)));
}

/** keccak256 of the words packed as uint256s, reduced mod r: how both challenges are defined. */
function packedChallenge(words: readonly bigint[]): bigint {
  return BigInt(keccak256(encodePacked(Array(words.length).fill("uint256"), [...words]))) % CURVE_ORDER;
}

function randomDigest(): Hex {
  return toHex(randomBytes(32));
}

function wordToDigest(value: bigint): Hex {
  return toHex(value, { size: 32 });
}

/** The G2 point with its Fp2 halves in the wrong order ([c0, c1] instead of EIP-197's [c1, c0]). */
function swapG2Halves(point: SolidityG2): SolidityG2 {
  return { X: [point.X[1], point.X[0]], Y: [point.Y[1], point.Y[0]] };
}

/** viem gives tuples back as readonly arrays; the harness' `G2Point` input wants the same shape. */
function g2Arg(point: SolidityG2): { X: readonly [bigint, bigint]; Y: readonly [bigint, bigint] } {
  return { X: point.X, Y: point.Y };
}

function g1Arg(point: SolidityG1): { X: bigint; Y: bigint } {
  return { X: point.X, Y: point.Y };
}

describe("BN254 library ↔ @avskit/bls", () => {
  let harness: Harness;

  before(async () => {
    harness = await deployHarness();
  });

  describe("hashToG1", () => {
    it("matches @avskit/bls for 1,024 random digests and the edge digests", async () => {
      const edges = [0n, 1n, FIELD_MODULUS - 1n, FIELD_MODULUS, FIELD_MODULUS + 1n, 2n ** 256n - 1n].map(
        wordToDigest,
      );
      const digests: Hex[] = [...edges, ...Array.from({ length: 1024 }, randomDigest)];
      const batchSize = 256;
      let compared = 0;
      for (let start = 0; start < digests.length; start += batchSize) {
        const batch = digests.slice(start, start + batchSize);
        const onChain = await harness.read.hashToG1Batch([batch]);
        assert.equal(onChain.length, batch.length);
        batch.forEach((digest, i) => {
          const expected = g1ToSolidity(hashToG1(digest));
          const actual = onChain[i]!;
          assert.deepEqual({ X: actual.X, Y: actual.Y }, expected, `hashToG1(${digest})`);
          compared += 1;
        });
      }
      assert.equal(compared, 1024 + edges.length);
    });

    it("single-digest entry point agrees with the batch one", async () => {
      const digest = keccak256(toHex("avskit"));
      const single = await harness.read.hashToG1([digest]);
      assert.deepEqual({ X: single.X, Y: single.Y }, g1ToSolidity(hashToG1(digest)));
    });
  });

  describe("hashG1Point", () => {
    it("equals operatorIdFromPublicKey", async () => {
      for (let i = 0; i < 5; i++) {
        const { publicKeyG1 } = generateKeyPair();
        const onChain = await harness.read.hashG1Point([g1Arg(g1ToSolidity(publicKeyG1))]);
        assert.equal(onChain, operatorIdFromPublicKey(publicKeyG1));
      }
    });
  });

  describe("signatures", () => {
    const keys: BlsKeyPair[] = Array.from({ length: 5 }, () => generateKeyPair());
    const digest = randomDigest();
    const signatures = keys.map((k) => signDigest(k.secretKey, digest));

    // Always convert explicitly: a noble point also has X and Y fields, but projective ones.
    const verify = (d: Hex, sigma: SolidityG1, pk: SolidityG2) =>
      harness.read.verifySignature([d, g1Arg(sigma), g2Arg(pk)]);

    it("accepts each signer's signature", async () => {
      for (const [i, key] of keys.entries()) {
        assert.equal(
          await verify(digest, g1ToSolidity(signatures[i]!), g2ToSolidity(key.publicKeyG2)),
          true,
          `signer ${i}`,
        );
      }
    });

    it("accepts the aggregate of five signers against their aggregate G2 key", async () => {
      const sigma = aggregateSignatures(signatures);
      const apkG2 = aggregateG2(keys.map((k) => k.publicKeyG2));
      assert.equal(await verify(digest, g1ToSolidity(sigma), g2ToSolidity(apkG2)), true);
    });

    it("returns false for an aggregate missing one signer's signature", async () => {
      const sigma = aggregateSignatures(signatures.slice(1));
      const apkG2 = aggregateG2(keys.map((k) => k.publicKeyG2));
      assert.equal(await verify(digest, g1ToSolidity(sigma), g2ToSolidity(apkG2)), false);
    });

    it("returns false for a tampered (still on-curve) signature", async () => {
      const tampered = signatures[0]!.add(G1.BASE);
      assert.equal(await verify(digest, g1ToSolidity(tampered), g2ToSolidity(keys[0]!.publicKeyG2)), false);
    });

    it("reverts PairingPrecompileFailed for a signature tampered off the curve", async () => {
      const { X, Y } = g1ToSolidity(signatures[0]!);
      const offCurve = { X, Y: (Y + 1n) % FIELD_MODULUS };
      await viem.assertions.revertWithCustomError(
        verify(digest, offCurve, g2ToSolidity(keys[0]!.publicKeyG2)),
        harness,
        "PairingPrecompileFailed",
      );
    });

    it("returns false for the wrong public key", async () => {
      assert.equal(
        await verify(digest, g1ToSolidity(signatures[0]!), g2ToSolidity(keys[1]!.publicKeyG2)),
        false,
      );
    });

    it("returns false for the wrong message", async () => {
      assert.equal(
        await verify(randomDigest(), g1ToSolidity(signatures[0]!), g2ToSolidity(keys[0]!.publicKeyG2)),
        false,
      );
    });

    it("reverts PairingPrecompileFailed when the G2 key is encoded [c0, c1]", async () => {
      const swapped = swapG2Halves(g2ToSolidity(keys[0]!.publicKeyG2));
      // Off-chain the same encoding is refused too, so neither side silently accepts it.
      assert.throws(() => g2FromSolidity(swapped));
      await viem.assertions.revertWithCustomError(
        verify(digest, g1ToSolidity(signatures[0]!), swapped),
        harness,
        "PairingPrecompileFailed",
      );
    });

    it("uses the generators @avskit/bls uses", async () => {
      const g1 = await harness.read.generatorG1();
      const g2 = await harness.read.generatorG2();
      const negG2 = await harness.read.negGeneratorG2();
      assert.deepEqual({ X: g1.X, Y: g1.Y }, g1ToSolidity(G1.BASE));
      assert.deepEqual({ X: g2.X, Y: g2.Y }, g2ToSolidity(G2.BASE));
      assert.deepEqual({ X: negG2.X, Y: negG2.Y }, g2ToSolidity(G2.BASE.negate()));
    });
  });

  describe("proof of possession (verifyPubkeyRegistration)", () => {
    const operator = generateKeyPair();
    const other = generateKeyPair();
    // Stands in for hashToG1(EIP-712 digest of BN254PubkeyRegistration(operator)): any G1 point
    // from the same map exercises the same code path.
    const messagePoint = hashToG1(randomDigest());
    const params = buildPubkeyRegistration(operator, messagePoint);
    const message = g1ToSolidity(messagePoint);

    const verifyOnChain = (sigma: SolidityG1, pkG1: SolidityG1, pkG2: SolidityG2, h: SolidityG1 = message) =>
      harness.read.verifyPubkeyRegistration([g1Arg(sigma), g1Arg(pkG1), g2Arg(pkG2), g1Arg(h)]);

    it("accepts buildPubkeyRegistration output, as the off-chain check does", async () => {
      assert.equal(
        verifyPubkeyRegistration(
          g1FromSolidity(params.pubkeyRegistrationSignature),
          g1FromSolidity(params.pubkeyG1),
          g2FromSolidity(params.pubkeyG2),
          messagePoint,
        ),
        true,
      );
      assert.equal(
        await verifyOnChain(params.pubkeyRegistrationSignature, params.pubkeyG1, params.pubkeyG2),
        true,
      );
    });

    it("rejects a G1 key that does not match the G2 key", async () => {
      // G1 key of `other`, G2 key and a valid signature of `operator`.
      assert.equal(
        await verifyOnChain(
          params.pubkeyRegistrationSignature,
          g1ToSolidity(other.publicKeyG1),
          params.pubkeyG2,
        ),
        false,
      );
      // G2 key of `other`, G1 key and a valid signature of `operator`.
      assert.equal(
        await verifyOnChain(
          params.pubkeyRegistrationSignature,
          params.pubkeyG1,
          g2ToSolidity(other.publicKeyG2),
        ),
        false,
      );
    });

    it("rejects a signature by another key", async () => {
      const wrongSigner = g1ToSolidity(signPoint(other.secretKey, messagePoint));
      assert.equal(await verifyOnChain(wrongSigner, params.pubkeyG1, params.pubkeyG2), false);
    });

    it("rejects a signature over another message point", async () => {
      const otherMessage = hashToG1(randomDigest());
      const sigOverOther = g1ToSolidity(signPoint(operator.secretKey, otherMessage));
      assert.equal(await verifyOnChain(sigOverOther, params.pubkeyG1, params.pubkeyG2), false);
      // ... and the registration as built does not verify against that other point either.
      assert.equal(
        await verifyOnChain(
          params.pubkeyRegistrationSignature,
          params.pubkeyG1,
          params.pubkeyG2,
          g1ToSolidity(otherMessage),
        ),
        false,
      );
    });

    it("rejects the zero key with a zero signature", async () => {
      const zero = { X: 0n, Y: 0n };
      assert.equal(await verifyOnChain(zero, zero, { X: [0n, 0n], Y: [0n, 0n] }), false);
    });

    it("reverts PairingPrecompileFailed when the G2 key is encoded [c0, c1]", async () => {
      await viem.assertions.revertWithCustomError(
        verifyOnChain(params.pubkeyRegistrationSignature, params.pubkeyG1, swapG2Halves(params.pubkeyG2)),
        harness,
        "PairingPrecompileFailed",
      );
    });
  });

  describe("challenges (gamma) are the packed keccak of the reference notes", () => {
    it("registrationChallenge", async () => {
      for (let i = 0; i < 8; i++) {
        const w = Array.from({ length: 10 }, randomWord);
        const onChain = await harness.read.registrationChallenge([
          { X: w[0]!, Y: w[1]! },
          { X: w[2]!, Y: w[3]! },
          { X: [w[4]!, w[5]!], Y: [w[6]!, w[7]!] },
          { X: w[8]!, Y: w[9]! },
        ]);
        assert.equal(onChain, packedChallenge(w));
      }
    });

    it("apkChallenge", async () => {
      for (let i = 0; i < 8; i++) {
        const w = Array.from({ length: 9 }, randomWord);
        const onChain = await harness.read.apkChallenge([
          toHex(w[0]!, { size: 32 }),
          { X: w[1]!, Y: w[2]! },
          { X: [w[3]!, w[4]!], Y: [w[5]!, w[6]!] },
          { X: w[7]!, Y: w[8]! },
        ]);
        assert.equal(onChain, packedChallenge(w));
      }
    });
  });

  describe("verifyApkSignature (the signature checker's core)", () => {
    const signers: BlsKeyPair[] = Array.from({ length: 4 }, () => generateKeyPair());
    const nonSigner = generateKeyPair();
    const msgHash = randomDigest();
    const sigma = g1ToSolidity(aggregateSignatures(signers.map((k) => signDigest(k.secretKey, msgHash))));
    const apk = g1ToSolidity(signers.reduce((sum, k) => sum.add(k.publicKeyG1), G1.ZERO));
    const apkG2 = g2ToSolidity(aggregateG2(signers.map((k) => k.publicKeyG2)));
    const pairingGas = 120_000n;

    const check = (m: Hex, a: SolidityG1, a2: SolidityG2, s: SolidityG1) =>
      harness.read.verifyApkSignature([m, g1Arg(a), g2Arg(a2), g1Arg(s), pairingGas]);

    it("accepts an aggregate of four signers: (true, true)", async () => {
      assert.deepEqual(await check(msgHash, apk, apkG2, sigma), [true, true]);
    });

    it("returns (true, false) when the G1 apk still counts a non-signer", async () => {
      const apkWithNonSigner = g1ToSolidity(g1FromSolidity(apk).add(nonSigner.publicKeyG1));
      assert.deepEqual(await check(msgHash, apkWithNonSigner, apkG2, sigma), [true, false]);
    });

    it("returns (true, false) for another message", async () => {
      assert.deepEqual(await check(randomDigest(), apk, apkG2, sigma), [true, false]);
    });

    it("returns (false, false) when apkG2 is encoded [c0, c1]", async () => {
      assert.deepEqual(await check(msgHash, apk, swapG2Halves(apkG2), sigma), [false, false]);
    });
  });
});
