import { bn254 } from "@noble/curves/bn254.js";

/**
 * The BN254 (alt_bn128) curve of the EVM precompiles 0x06-0x08, as implemented by
 * @noble/curves. Everything in this package goes through these exports so that the
 * curve is named once.
 */
export const G1 = bn254.G1.Point;
export const G2 = bn254.G2.Point;
export const Fp = bn254.fields.Fp;
export const Fp2 = bn254.fields.Fp2;
export const Fp12 = bn254.fields.Fp12;

export type G1Point = InstanceType<typeof G1>;
export type G2Point = InstanceType<typeof G2>;

/** Base-field modulus p: coordinates live in [0, p). */
export const FIELD_MODULUS: bigint = Fp.ORDER;
/** Group order r: secret keys and scalars live in [1, r). */
export const CURVE_ORDER: bigint = bn254.G1.Point.Fn.ORDER;

/** True when the product of pairings e(a_i, b_i) is the identity of GT. */
export function pairingProductIsOne(pairs: ReadonlyArray<{ g1: G1Point; g2: G2Point }>): boolean {
  return Fp12.eql(bn254.pairingBatch(pairs.map((p) => ({ g1: p.g1, g2: p.g2 }))), Fp12.ONE);
}

/** Reduces any bigint into [0, r). */
export function modOrder(value: bigint): bigint {
  const reduced = value % CURVE_ORDER;
  return reduced < 0n ? reduced + CURVE_ORDER : reduced;
}
