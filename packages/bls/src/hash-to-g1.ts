import { type BytesLike, bytesToBigInt, toDigest } from "./bytes.js";
import { FIELD_MODULUS, Fp, G1, type G1Point } from "./curve.js";

/** (p + 1) / 4: a square root exponent because p ≡ 3 (mod 4). */
const SQRT_EXPONENT = (FIELD_MODULUS + 1n) / 4n;

/**
 * The witness the on-chain signature checker accepts instead of recomputing hashToG1
 * (IBLSSignatureChecker.HashToG1Hint): with it the chain checks a few mulmods instead of one
 * modexp per try.
 */
export interface HashToG1Hint {
  /** For each x the try-and-increment skipped: a square root of −(x³ + 3), proving x³ + 3 is no square. */
  readonly nonResidueRoots: readonly bigint[];
  /** y of H = hashToG1(digest). */
  readonly y: bigint;
  /** A square root of y, proving y is the root (p+1)/4 exponentiation yields. */
  readonly yRoot: bigint;
}

/** The empty hint: the checker computes hashToG1 itself. */
export const NO_HASH_HINT: HashToG1Hint = { nonResidueRoots: [], y: 0n, yRoot: 0n };

/**
 * EigenLayer's try-and-increment, once for both uses: x = digest mod p, then x += 1 until
 * x³ + 3 is a square; y is that square root as (p+1)/4 exponentiation yields it, with no sign
 * normalisation. `onSkip` sees β = x³ + 3 of every x passed over.
 */
function tryAndIncrement(digest: BytesLike, onSkip?: (beta: bigint) => void): { x: bigint; y: bigint } {
  let x = bytesToBigInt(toDigest(digest)) % FIELD_MODULUS;
  for (;;) {
    const beta = Fp.add(Fp.mul(Fp.sqr(x), x), 3n);
    const y = Fp.pow(beta, SQRT_EXPONENT);
    if (Fp.eql(Fp.sqr(y), beta)) return { x, y };
    onSkip?.(beta);
    x = Fp.add(x, 1n);
  }
}

/**
 * EigenLayer's map from a 32-byte digest to G1, bit for bit what `BN254.hashToG1` computes
 * on-chain. Not constant time and without a domain separation tag, because it has to equal the
 * chain.
 */
export function hashToG1(digest: BytesLike): G1Point {
  return G1.fromAffine(tryAndIncrement(digest));
}

/**
 * The witness that H = hashToG1(digest), computed off-chain: a root of −β for each skipped x
 * (p ≡ 3 mod 4, so −1 is no square and exactly one of β, −β is a square), and a root of H.y.
 */
export function hashToG1Hint(digest: BytesLike): HashToG1Hint {
  const nonResidueRoots: bigint[] = [];
  const { y } = tryAndIncrement(digest, (beta) => nonResidueRoots.push(Fp.pow(Fp.neg(beta), SQRT_EXPONENT)));
  return { nonResidueRoots, y, yRoot: Fp.pow(y, SQRT_EXPONENT) };
}

/** How many x values hashToG1 tries for `digest` (1 = the first worked). */
export function hashToG1Tries(digest: BytesLike): number {
  let skipped = 0;
  tryAndIncrement(digest, () => skipped++);
  return skipped + 1;
}
