import { FIELD_MODULUS } from "@avskit/bls";
import type { Hex } from "viem";

/** The witness the signature checker accepts instead of recomputing hashToG1 (IBLSSignatureChecker.HashToG1Hint). */
export interface HashToG1Hint {
  /** For each x the try-and-increment skipped: a square root of -(x^3 + 3). */
  nonResidueRoots: bigint[];
  /** y of H = hashToG1(digest). */
  y: bigint;
  /** A square root of y. */
  yRoot: bigint;
}

/** The empty hint: the checker computes hashToG1 itself. */
export const NO_HASH_HINT: HashToG1Hint = { nonResidueRoots: [], y: 0n, yRoot: 0n };

const P = FIELD_MODULUS;
const SQRT_EXPONENT = (P + 1n) / 4n;

function powMod(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = base % P;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

/**
 * Computes off-chain the witness that H = hashToG1(digest) (EigenLayer's try-and-increment):
 * the roots proving each skipped x gives a non-square, and a root of H.y proving it is the
 * root hashToG1 picks. An aggregator attaches it so the chain checks a few mulmods instead of
 * one modexp per try.
 */
export function hashToG1Hint(digest: Hex): HashToG1Hint {
  let x = BigInt(digest) % P;
  const nonResidueRoots: bigint[] = [];
  for (;;) {
    const beta = (x * x * x + 3n) % P;
    const y = powMod(beta, SQRT_EXPONENT);
    if ((y * y) % P === beta) return { nonResidueRoots, y, yRoot: powMod(y, SQRT_EXPONENT) };
    nonResidueRoots.push(powMod(P - beta, SQRT_EXPONENT));
    x = (x + 1n) % P;
  }
}

/** Number of x values hashToG1 tries for `digest` (1 = the first worked). */
export function hashToG1Tries(digest: Hex): number {
  return hashToG1Hint(digest).nonResidueRoots.length + 1;
}
