import { bigIntToBytes, bytesToBigInt, concatBytes } from "./bytes.js";
import { FIELD_MODULUS, Fp2, G1, type G1Point, G2, type G2Point } from "./curve.js";
import { InvalidPointError } from "./errors.js";

/** A G1 point as the contracts' `BN254.G1Point { uint256 X; uint256 Y; }`. */
export interface SolidityG1 {
  X: bigint;
  Y: bigint;
}

/**
 * A G2 point as the contracts' `BN254.G2Point { uint256[2] X; uint256[2] Y; }`, imaginary part
 * first (EIP-197 order): X = [x.c1, x.c0], Y = [y.c1, y.c0].
 */
export interface SolidityG2 {
  X: readonly [bigint, bigint];
  Y: readonly [bigint, bigint];
}

export function g1ToSolidity(point: G1Point): SolidityG1 {
  if (point.is0()) return { X: 0n, Y: 0n };
  const { x, y } = point.toAffine();
  return { X: x, Y: y };
}

export function g2ToSolidity(point: G2Point): SolidityG2 {
  if (point.is0()) return { X: [0n, 0n], Y: [0n, 0n] };
  const { x, y } = point.toAffine();
  return { X: [x.c1, x.c0], Y: [y.c1, y.c0] };
}

function checkCoordinate(group: "G1" | "G2", name: string, value: bigint): void {
  if (typeof value !== "bigint" || value < 0n || value >= FIELD_MODULUS) {
    throw new InvalidPointError(group, "out-of-range", `${name} is not in [0, p)`);
  }
}

/**
 * Parses a G1 point from Solidity form. Refuses coordinates outside [0, p), the point at
 * infinity (encoded (0, 0)) and points off the curve; G1 has cofactor 1, so every point on
 * the curve is in the subgroup.
 */
export function g1FromSolidity(point: SolidityG1): G1Point {
  checkCoordinate("G1", "X", point.X);
  checkCoordinate("G1", "Y", point.Y);
  if (point.X === 0n && point.Y === 0n)
    throw new InvalidPointError("G1", "infinity", "(0, 0) encodes the point at infinity");
  const parsed = G1.fromAffine({ x: point.X, y: point.Y });
  try {
    parsed.assertValidity();
  } catch {
    throw new InvalidPointError("G1", "not-on-curve", "Y² ≠ X³ + 3");
  }
  return parsed;
}

/**
 * Parses a G2 point from Solidity form (imaginary part first). Refuses out-of-range
 * coordinates, infinity, points off the twist and points outside the order-r subgroup (G2 has
 * a large cofactor, so on-curve is not enough).
 */
export function g2FromSolidity(point: SolidityG2): G2Point {
  const coordinates = [point.X[0], point.X[1], point.Y[0], point.Y[1]];
  const names = ["X[0]", "X[1]", "Y[0]", "Y[1]"] as const;
  for (const [i, value] of coordinates.entries()) checkCoordinate("G2", names[i]!, value);
  if (coordinates.every((value) => value === 0n)) {
    throw new InvalidPointError("G2", "infinity", "all-zero coordinates encode the point at infinity");
  }
  const parsed = G2.fromAffine({
    x: { c0: point.X[1], c1: point.X[0] },
    y: { c0: point.Y[1], c1: point.Y[0] },
  });
  if (!isOnTwist(parsed)) throw new InvalidPointError("G2", "not-on-curve", "not on the twist curve");
  // On the twist by now, so assertValidity() can only fail on the subgroup test; going through it
  // (rather than isTorsionFree()) lets noble cache the result, so later pairings skip the check.
  try {
    parsed.assertValidity();
  } catch {
    throw new InvalidPointError("G2", "not-in-subgroup", "not in the order-r subgroup");
  }
  return parsed;
}

/**
 * y² = x³ + b' on the twist, checked directly: noble's assertValidity() also runs the subgroup
 * test, so catching its error would report an on-twist point outside the subgroup as off-curve.
 */
function isOnTwist(point: G2Point): boolean {
  const { x, y } = point.toAffine();
  return Fp2.eql(Fp2.sqr(y), Fp2.add(Fp2.mul(Fp2.sqr(x), x), G2.CURVE().b));
}

/** 64 bytes: X ‖ Y, big-endian, as `abi.encodePacked(X, Y)`. */
export function g1ToBytes(point: G1Point): Uint8Array {
  const { X, Y } = g1ToSolidity(point);
  return concatBytes(bigIntToBytes(X), bigIntToBytes(Y));
}

export function g1FromBytes(bytes: Uint8Array): G1Point {
  if (bytes.length !== 64)
    throw new InvalidPointError("G1", "bad-length", `expected 64 bytes, got ${bytes.length}`);
  return g1FromSolidity({ X: bytesToBigInt(bytes.subarray(0, 32)), Y: bytesToBigInt(bytes.subarray(32)) });
}

/** 128 bytes: X[0] ‖ X[1] ‖ Y[0] ‖ Y[1] (imaginary parts first), as the ABI lays out a G2Point. */
export function g2ToBytes(point: G2Point): Uint8Array {
  const { X, Y } = g2ToSolidity(point);
  return concatBytes(...[X[0], X[1], Y[0], Y[1]].map((v) => bigIntToBytes(v)));
}

export function g2FromBytes(bytes: Uint8Array): G2Point {
  if (bytes.length !== 128)
    throw new InvalidPointError("G2", "bad-length", `expected 128 bytes, got ${bytes.length}`);
  const word = (i: number) => bytesToBigInt(bytes.subarray(32 * i, 32 * (i + 1)));
  return g2FromSolidity({ X: [word(0), word(1)], Y: [word(2), word(3)] });
}
