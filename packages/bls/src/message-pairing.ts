import { bn254 } from "@noble/curves/bn254.js";
import { Fp12, type G1Point, G2, type G2Point } from "./curve.js";
import { InvalidPointError } from "./errors.js";

/** An element of the pairing target group GT (inside Fp12). */
export type GtElement = ReturnType<typeof Fp12.finalExponentiate>;
type LinePrecompute = ReturnType<typeof bn254.utils.calcPairingPrecomputes>;

let negatedGeneratorLines: LinePrecompute | undefined;

/** Miller-loop lines of -G2, computed once: every check pairs a signature sum with it. */
function negatedGenerator(): LinePrecompute {
  negatedGeneratorLines ??= bn254.utils.calcPairingPrecomputes(G2.BASE.negate());
  return negatedGeneratorLines;
}

/**
 * Pairing products for one fixed message point H: value(K, S) = e(H, K) · e(S, -G2).
 * It is the identity exactly when S is the signature of H under the G2 key K, and it is
 * multiplicative: value(K1 + K2, S1 + S2) = value(K1, S1) · value(K2, S2). Batch verification
 * leans on both facts. Each value costs two Miller loops (one with precomputed lines) and one
 * final exponentiation; `checks` counts them.
 */
export class MessagePairing {
  readonly #x: bigint;
  readonly #y: bigint;
  #checks = 0;

  constructor(message: G1Point) {
    if (message.is0())
      throw new InvalidPointError("G1", "infinity", "the message point is the point at infinity");
    try {
      message.assertValidity();
    } catch {
      throw new InvalidPointError("G1", "not-on-curve", "the message point is not on the curve");
    }
    const { x, y } = message.toAffine();
    this.#x = x;
    this.#y = y;
  }

  /** How many multi-pairings (Miller loops + final exponentiation) this instance has run. */
  get checks(): number {
    return this.#checks;
  }

  /** e(H, key) · e(signature, -G2); the caller vouches that both points are valid group elements. */
  value(key: G2Point, signature: G1Point): GtElement {
    // A zero term contributes the identity; noble refuses to pair the point at infinity.
    const pairs: Array<[LinePrecompute, bigint, bigint]> = [];
    if (!key.is0()) pairs.push([bn254.utils.calcPairingPrecomputes(key), this.#x, this.#y]);
    if (!signature.is0()) {
      const { x, y } = signature.toAffine();
      pairs.push([negatedGenerator(), x, y]);
    }
    if (pairs.length === 0) return Fp12.ONE;
    this.#checks += 1;
    return Fp12.finalExponentiate(bn254.millerLoopBatch(pairs));
  }
}

export function isGtOne(value: GtElement): boolean {
  return Fp12.eql(value, Fp12.ONE);
}

/** a / b in GT. Elements of GT are unitary, so the inverse is the (cheap) conjugate. */
export function gtDivide(a: GtElement, b: GtElement): GtElement {
  return Fp12.mul(a, Fp12.conjugate(b));
}
