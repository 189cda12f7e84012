import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { Fp2 } from "../src/curve.js";
import {
  aggregateG2,
  aggregateSignatures,
  assertSecretKey,
  buildPubkeyRegistration,
  CURVE_ORDER,
  FIELD_MODULUS,
  G1,
  type G1Point,
  G2,
  type G2Point,
  g1FromBytes,
  g1FromSolidity,
  g1ToBytes,
  g1ToSolidity,
  g2FromBytes,
  g2FromSolidity,
  g2ToBytes,
  g2ToSolidity,
  type Hex,
  hashToG1,
  hashToG1Hint,
  hashToG1Tries,
  InvalidDigestError,
  InvalidPointError,
  type InvalidPointReason,
  InvalidSecretKeyError,
  keyPairFromSecretKey,
  operatorIdFromPublicKey,
  publicKeyG1,
  type SolidityG1,
  type SolidityG2,
  secretKeyFromBytes,
  signDigest,
  signPoint,
  verifyPubkeyRegistration,
  verifySignature,
} from "../src/index.js";

// Constants restated from the EigenLayer notes rather than read from the implementation.
const P = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const G2_X: readonly [bigint, bigint] = [
  11559732032986387107991004021392285783925812861821192530917403151452391805634n,
  10857046999023057135944570762232829481370756359578518086990519993285655852781n,
];
const G2_Y: readonly [bigint, bigint] = [
  4082367875863433681332203403145435568316851327593401208105741076214120093531n,
  8495653923123431417604973247489272438418190587263600148770280649306958101930n,
];

/** 32-byte big-endian word, written out by hand so the test does not lean on src/bytes.ts. */
function word(value: bigint): string {
  return value.toString(16).padStart(64, "0");
}

function digestOf(value: bigint): Hex {
  return `0x${word(value)}`;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/** Euler's criterion: an independent way to tell squares from non-squares mod p. */
function isSquareModP(value: bigint): boolean {
  const v = value % P;
  return v === 0n || modPow(v, (P - 1n) / 2n, P) === 1n;
}

function expectPointError(fn: () => unknown, group: "G1" | "G2", reason: InvalidPointReason): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidPointError);
  const error = caught as InvalidPointError;
  expect(error.group).toBe(group);
  expect(error.reason).toBe(reason);
  expect(error.code).toBe(`INVALID_${group}_POINT`);
}

/** An on-twist point outside the order-r subgroup: any x whose x³ + b' is a square, never cofactor-cleared. */
function twistPointOutsideSubgroup(): G2Point {
  const b = G2.CURVE().b;
  for (let k = 1n; k < 1000n; k++) {
    const x = Fp2.fromBigTuple([k, 0n]);
    const rhs = Fp2.add(Fp2.mul(Fp2.sqr(x), x), b);
    let y: typeof x;
    try {
      y = Fp2.sqrt(rhs);
    } catch {
      continue;
    }
    const point = G2.fromAffine({ x, y });
    // r·Q as (r-1)·Q + Q, since noble refuses a scalar equal to r.
    if (
      !point
        .multiplyUnsafe(R - 1n)
        .add(point)
        .is0()
    )
      return point;
  }
  throw new Error("no twist point outside the subgroup found");
}

const DIGEST_A = toHexDigest(keccak_256(new TextEncoder().encode("avskit task 1")));
const DIGEST_B = toHexDigest(keccak_256(new TextEncoder().encode("avskit task 2")));

function toHexDigest(bytes: Uint8Array): Hex {
  return `0x${bytesToHex(bytes)}`;
}

describe("curve constants and generator encodings", () => {
  it("uses the BN254 field modulus and group order", () => {
    expect(FIELD_MODULUS).toBe(P);
    expect(CURVE_ORDER).toBe(R);
  });

  it("encodes the G1 generator as (1, 2)", () => {
    expect(g1ToSolidity(G1.BASE)).toEqual({ X: 1n, Y: 2n });
    expect(bytesToHex(g1ToBytes(G1.BASE))).toBe(word(1n) + word(2n));
  });

  it("encodes the G2 generator imaginary part first, as the contracts do", () => {
    expect(g2ToSolidity(G2.BASE)).toEqual({ X: G2_X, Y: G2_Y });
    expect(bytesToHex(g2ToBytes(G2.BASE))).toBe(G2_X.map(word).join("") + G2_Y.map(word).join(""));
    // The negated generator replaces y by p - y in both components.
    expect(g2ToSolidity(G2.BASE.negate())).toEqual({ X: G2_X, Y: [P - G2_Y[0], P - G2_Y[1]] });
  });

  it("parses the reference generator encodings back to the generators", () => {
    expect(g2FromSolidity({ X: G2_X, Y: G2_Y }).equals(G2.BASE)).toBe(true);
    expect(g1FromSolidity({ X: 1n, Y: 2n }).equals(G1.BASE)).toBe(true);
  });
});

describe("operatorId", () => {
  it("is keccak256 of the generator's 64-byte encoding for secret key 1", () => {
    // keccak256(abi.encodePacked(uint256(1), uint256(2))), a well-known constant.
    expect(operatorIdFromPublicKey(publicKeyG1(1n))).toBe(
      "0xe90b7bceb6e7df5418fb78d8ee546e97c83a08bbccc01a0644d599ccd2a7c2e0",
    );
  });

  it("matches keccak256 over X ‖ Y computed independently for a fixed key", () => {
    const secretKey = 0x1234567890abcdef1234567890abcdef1234567890abcdefn;
    const pk = publicKeyG1(secretKey);
    const { x, y } = pk.toAffine();
    const expected = `0x${bytesToHex(keccak_256(hexToBytes(word(x) + word(y))))}`;
    expect(operatorIdFromPublicKey(pk)).toBe(expected);
  });
});

describe("hashToG1 (EigenLayer try-and-increment)", () => {
  const digests: Hex[] = [digestOf(0n), digestOf(1n), digestOf(3n), DIGEST_A, DIGEST_B, digestOf(P - 1n)];

  it.each(digests)("maps %s to the first x ≥ digest mod p with a square x³ + 3", (digest) => {
    const point = hashToG1(digest);
    const { x, y } = point.toAffine();
    const start = BigInt(digest) % P;
    // x is the first candidate at or after digest mod p (wrapping at p) whose x³ + 3 is a square.
    let expectedX = start;
    while (!isSquareModP(expectedX ** 3n + 3n)) expectedX = (expectedX + 1n) % P;
    expect(x).toBe(expectedX);
    expect((y * y) % P).toBe((x ** 3n + 3n) % P);
    // The root is the (p+1)/4 power itself, with no sign normalisation, as on-chain.
    expect(y).toBe(modPow(x ** 3n + 3n, (P + 1n) / 4n, P));
  });

  it("reduces a digest ≥ p modulo p", () => {
    const big = (1n << 256n) - 1n;
    expect(big).toBeGreaterThan(P);
    const fromBig = hashToG1(digestOf(big));
    expect(fromBig.equals(hashToG1(digestOf(big - P)))).toBe(true);
    expect(fromBig.equals(hashToG1(digestOf(big % P)))).toBe(true);
    const { x } = fromBig.toAffine();
    let expectedX = big % P;
    while (!isSquareModP(expectedX ** 3n + 3n)) expectedX += 1n;
    expect(x).toBe(expectedX);
    // A digest equal to p lands on the same point as digest 0.
    expect(hashToG1(digestOf(P)).equals(hashToG1(digestOf(0n)))).toBe(true);
  });

  it.each(digests)(
    "gives for %s the hint that proves its point: the skipped x are non-squares, y is the chosen root",
    (digest) => {
      const { x, y } = hashToG1(digest).toAffine();
      const hint = hashToG1Hint(digest);
      expect(hint.y).toBe(y);
      expect((hint.yRoot * hint.yRoot) % P).toBe(y);
      expect(hashToG1Tries(digest)).toBe(hint.nonResidueRoots.length + 1);
      // Each skipped candidate x0 (digest mod p, then + 1 ...) has x0³ + 3 = −root² mod p.
      hint.nonResidueRoots.forEach((root, i) => {
        const skipped = (BigInt(digest) % P) + BigInt(i);
        expect((root * root + skipped ** 3n + 3n) % P).toBe(0n);
      });
      expect(((BigInt(digest) % P) + BigInt(hint.nonResidueRoots.length)) % P).toBe(x);
    },
  );

  it("refuses a digest that is not 32 bytes", () => {
    expect(() => hashToG1("0x1234")).toThrow(InvalidDigestError);
    expect(() => hashToG1(new Uint8Array(33))).toThrow(InvalidDigestError);
  });
});

describe("sign and verify", () => {
  const alice = keyPairFromSecretKey(0xa11cen);
  const bob = keyPairFromSecretKey(0xb0bn);

  it("verifies a signature under the signer's G2 key", () => {
    const signature = signDigest(alice.secretKey, DIGEST_A);
    expect(verifySignature(alice.publicKeyG2, DIGEST_A, signature)).toBe(true);
    // Bytes and hex digests are the same message.
    expect(verifySignature(alice.publicKeyG2, hexToBytes(DIGEST_A.slice(2)), signature)).toBe(true);
    // sigma = sk·H(m), computed here from the pieces.
    expect(signature.equals(hashToG1(DIGEST_A).multiply(alice.secretKey))).toBe(true);
  });

  it("rejects a wrong key, a wrong message and a tampered signature", () => {
    const signature = signDigest(alice.secretKey, DIGEST_A);
    expect(verifySignature(bob.publicKeyG2, DIGEST_A, signature)).toBe(false);
    expect(verifySignature(alice.publicKeyG2, DIGEST_B, signature)).toBe(false);
    expect(verifySignature(alice.publicKeyG2, DIGEST_A, signature.add(G1.BASE))).toBe(false);
    expect(verifySignature(alice.publicKeyG2, DIGEST_A, signature.negate())).toBe(false);
    expect(verifySignature(alice.publicKeyG2, DIGEST_A, G1.ZERO)).toBe(false);
    expect(verifySignature(G2.ZERO, DIGEST_A, signature)).toBe(false);
  });

  it("survives the Solidity and byte encodings of key and signature", () => {
    const signature = signDigest(bob.secretKey, DIGEST_B);
    const sigBack = g1FromBytes(g1ToBytes(signature));
    const keyBack = g2FromSolidity(g2ToSolidity(bob.publicKeyG2));
    expect(verifySignature(keyBack, DIGEST_B, sigBack)).toBe(true);
  });

  it("signs a G1 message point directly, without hashing it again", () => {
    const message = hashToG1(DIGEST_B);
    expect(signPoint(alice.secretKey, message).equals(signDigest(alice.secretKey, DIGEST_B))).toBe(true);
  });
});

describe("aggregation", () => {
  const keys = [3n, 5n, 7n, 11n, 13n].map((sk) => keyPairFromSecretKey(sk * 0x1000000000001n));
  const signatures = keys.map((key) => signDigest(key.secretKey, DIGEST_A));

  it("verifies the sum of n signatures against the sum of their G2 keys", () => {
    const apk = aggregateG2(keys.map((key) => key.publicKeyG2));
    expect(verifySignature(apk, DIGEST_A, aggregateSignatures(signatures))).toBe(true);
  });

  it("fails when a signature or a key is missing from the sums", () => {
    const apk = aggregateG2(keys.map((key) => key.publicKeyG2));
    expect(verifySignature(apk, DIGEST_A, aggregateSignatures(signatures.slice(1)))).toBe(false);
    const apkMissing = aggregateG2(keys.slice(1).map((key) => key.publicKeyG2));
    expect(verifySignature(apkMissing, DIGEST_A, aggregateSignatures(signatures))).toBe(false);
  });

  it("fails when one signature is over another message", () => {
    const apk = aggregateG2(keys.map((key) => key.publicKeyG2));
    const mixed = [...signatures.slice(1), signDigest(keys[0]!.secretKey, DIGEST_B)];
    expect(verifySignature(apk, DIGEST_A, aggregateSignatures(mixed))).toBe(false);
  });
});

describe("proof of possession", () => {
  const operator = keyPairFromSecretKey(0x5eedn);
  const other = keyPairFromSecretKey(0x5eed5n);
  const messagePoint = hashToG1(DIGEST_B);

  function parse(params: {
    pubkeyRegistrationSignature: SolidityG1;
    pubkeyG1: SolidityG1;
    pubkeyG2: SolidityG2;
  }) {
    return [
      g1FromSolidity(params.pubkeyRegistrationSignature),
      g1FromSolidity(params.pubkeyG1),
      g2FromSolidity(params.pubkeyG2),
    ] as const;
  }

  it("verifies what buildPubkeyRegistration produces", () => {
    const [signature, pkG1, pkG2] = parse(buildPubkeyRegistration(operator, messagePoint));
    expect(verifyPubkeyRegistration(signature, pkG1, pkG2, messagePoint)).toBe(true);
  });

  it("fails when the G1 and G2 keys belong to different secrets", () => {
    const mismatched = { ...operator, publicKeyG2: other.publicKeyG2 };
    const [signature, pkG1, pkG2] = parse(buildPubkeyRegistration(mismatched, messagePoint));
    expect(verifyPubkeyRegistration(signature, pkG1, pkG2, messagePoint)).toBe(false);
    // A signature by the G2 key's owner does not rescue a foreign G1 key either.
    const bySecond = signPoint(other.secretKey, messagePoint);
    expect(verifyPubkeyRegistration(bySecond, operator.publicKeyG1, other.publicKeyG2, messagePoint)).toBe(
      false,
    );
  });

  it("fails for another message point, a tampered signature or a zero key", () => {
    const [signature, pkG1, pkG2] = parse(buildPubkeyRegistration(operator, messagePoint));
    expect(verifyPubkeyRegistration(signature, pkG1, pkG2, hashToG1(DIGEST_A))).toBe(false);
    expect(verifyPubkeyRegistration(signature.add(G1.BASE), pkG1, pkG2, messagePoint)).toBe(false);
    expect(verifyPubkeyRegistration(signature, G1.ZERO, pkG2, messagePoint)).toBe(false);
  });
});

describe("encodings round-trip", () => {
  const points: Array<{ g1: G1Point; g2: G2Point }> = [1n, 2n, 0xdeadbeefn, R - 1n, R / 3n].map((sk) => ({
    g1: G1.BASE.multiply(sk),
    g2: G2.BASE.multiply(sk),
  }));

  it("round-trips G1 through bytes and Solidity form", () => {
    for (const { g1 } of points) {
      const bytes = g1ToBytes(g1);
      expect(bytes.length).toBe(64);
      expect(g1FromBytes(bytes).equals(g1)).toBe(true);
      expect(g1FromSolidity(g1ToSolidity(g1)).equals(g1)).toBe(true);
    }
  });

  it("round-trips G2 through bytes and Solidity form", () => {
    for (const { g2 } of points) {
      const bytes = g2ToBytes(g2);
      expect(bytes.length).toBe(128);
      expect(g2FromBytes(bytes).equals(g2)).toBe(true);
      expect(g2FromSolidity(g2ToSolidity(g2)).equals(g2)).toBe(true);
    }
  });

  it("encodes the points at infinity as zeros, which the parsers refuse", () => {
    expect(g1ToSolidity(G1.ZERO)).toEqual({ X: 0n, Y: 0n });
    expect(g2ToSolidity(G2.ZERO)).toEqual({ X: [0n, 0n], Y: [0n, 0n] });
    expectPointError(() => g1FromBytes(g1ToBytes(G1.ZERO)), "G1", "infinity");
    expectPointError(() => g2FromBytes(g2ToBytes(G2.ZERO)), "G2", "infinity");
  });
});

describe("G1 parser refusals", () => {
  it("refuses a point off the curve", () => {
    expectPointError(() => g1FromSolidity({ X: 1n, Y: 3n }), "G1", "not-on-curve");
    expectPointError(() => g1FromBytes(hexToBytes(word(1n) + word(3n))), "G1", "not-on-curve");
  });

  it("refuses coordinates outside [0, p)", () => {
    expectPointError(() => g1FromSolidity({ X: P, Y: 2n }), "G1", "out-of-range");
    // p + 1 ≡ 1, so (p + 1, 2) would be the generator if range were not checked.
    expectPointError(() => g1FromSolidity({ X: P + 1n, Y: 2n }), "G1", "out-of-range");
    expectPointError(() => g1FromSolidity({ X: 1n, Y: P + 2n }), "G1", "out-of-range");
    expectPointError(() => g1FromSolidity({ X: -1n, Y: 2n }), "G1", "out-of-range");
    expectPointError(() => g1FromBytes(hexToBytes(word(P + 1n) + word(2n))), "G1", "out-of-range");
  });

  it("refuses the point at infinity", () => {
    expectPointError(() => g1FromSolidity({ X: 0n, Y: 0n }), "G1", "infinity");
  });

  it("refuses a wrong byte length", () => {
    expectPointError(() => g1FromBytes(new Uint8Array(63)), "G1", "bad-length");
    expectPointError(() => g1FromBytes(new Uint8Array(65)), "G1", "bad-length");
    expectPointError(() => g1FromBytes(g2ToBytes(G2.BASE)), "G1", "bad-length");
  });
});

describe("G2 parser refusals", () => {
  it("refuses a point off the twist", () => {
    expectPointError(() => g2FromSolidity({ X: G2_X, Y: [G2_Y[0], G2_Y[1] + 1n] }), "G2", "not-on-curve");
    // The real and imaginary parts swapped (the classic encoding mistake) are off the twist.
    expectPointError(
      () => g2FromSolidity({ X: [G2_X[1], G2_X[0]], Y: [G2_Y[1], G2_Y[0]] }),
      "G2",
      "not-on-curve",
    );
  });

  it("refuses an on-twist point outside the order-r subgroup", () => {
    const outside = twistPointOutsideSubgroup();
    // It is on the twist: y² = x³ + b'.
    const { x, y } = outside.toAffine();
    expect(Fp2.eql(Fp2.sqr(y), Fp2.add(Fp2.mul(Fp2.sqr(x), x), G2.CURVE().b))).toBe(true);
    const solidity = { X: [x.c1, x.c0], Y: [y.c1, y.c0] } as const;
    expectPointError(() => g2FromSolidity(solidity), "G2", "not-in-subgroup");
    const bytes = hexToBytes([...solidity.X, ...solidity.Y].map(word).join(""));
    expectPointError(() => g2FromBytes(bytes), "G2", "not-in-subgroup");
  });

  it("refuses coordinates outside [0, p)", () => {
    expectPointError(() => g2FromSolidity({ X: [G2_X[0] + P, G2_X[1]], Y: G2_Y }), "G2", "out-of-range");
    expectPointError(() => g2FromSolidity({ X: G2_X, Y: [G2_Y[0], P] }), "G2", "out-of-range");
  });

  it("refuses the point at infinity", () => {
    expectPointError(() => g2FromSolidity({ X: [0n, 0n], Y: [0n, 0n] }), "G2", "infinity");
  });

  it("refuses a wrong byte length", () => {
    expectPointError(() => g2FromBytes(new Uint8Array(127)), "G2", "bad-length");
    expectPointError(() => g2FromBytes(g1ToBytes(G1.BASE)), "G2", "bad-length");
  });
});

describe("secret keys", () => {
  it("refuses 0, r and above, and negatives", () => {
    for (const bad of [0n, R, R + 1n, -1n]) {
      expect(() => assertSecretKey(bad)).toThrow(InvalidSecretKeyError);
      expect(() => keyPairFromSecretKey(bad)).toThrow(InvalidSecretKeyError);
      expect(() => signDigest(bad, DIGEST_A)).toThrow(InvalidSecretKeyError);
    }
    expect(assertSecretKey(1n)).toBe(1n);
    expect(assertSecretKey(R - 1n)).toBe(R - 1n);
  });

  it("parses 32-byte secrets and refuses zero, ≥ r and other lengths", () => {
    expect(secretKeyFromBytes(digestOf(0xabcdefn))).toBe(0xabcdefn);
    expect(secretKeyFromBytes(hexToBytes(word(R - 1n)))).toBe(R - 1n);
    expect(() => secretKeyFromBytes(digestOf(0n))).toThrow(InvalidSecretKeyError);
    expect(() => secretKeyFromBytes(digestOf(R))).toThrow(InvalidSecretKeyError);
    expect(() => secretKeyFromBytes(new Uint8Array(31).fill(1))).toThrow(InvalidSecretKeyError);
    expect(() => secretKeyFromBytes(new Uint8Array(33).fill(1))).toThrow(InvalidSecretKeyError);
  });

  it("derives both public keys from the same secret", () => {
    const key = keyPairFromSecretKey(42n);
    expect(key.publicKeyG1.equals(G1.BASE.multiply(42n))).toBe(true);
    expect(key.publicKeyG2.equals(G2.BASE.multiply(42n))).toBe(true);
  });
});
