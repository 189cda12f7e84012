import { type BytesLike, bytesToBigInt, toDigest } from "./bytes.js";
import { FIELD_MODULUS, Fp, G1, type G1Point } from "./curve.js";

/**
 * EigenLayer's try-and-increment map from a 32-byte digest to G1, bit for bit what
 * `BN254.hashToG1` computes on-chain: x = digest mod p, then x += 1 until x³ + 3 is a square;
 * y is that square root as (p+1)/4 exponentiation yields it, with no sign normalisation.
 * Not constant time and without a domain separation tag, because it has to equal the chain.
 */
export function hashToG1(digest: BytesLike): G1Point {
  let x = bytesToBigInt(toDigest(digest)) % FIELD_MODULUS;
  for (;;) {
    const beta = Fp.add(Fp.mul(Fp.sqr(x), x), 3n);
    const y = Fp.pow(beta, SQRT_EXPONENT);
    if (Fp.eql(Fp.sqr(y), beta)) return G1.fromAffine({ x, y });
    x = Fp.add(x, 1n);
  }
}

/** (p + 1) / 4: a square root exponent because p ≡ 3 (mod 4). */
const SQRT_EXPONENT = (FIELD_MODULUS + 1n) / 4n;
