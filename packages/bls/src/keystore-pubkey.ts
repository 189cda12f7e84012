import { FIELD_MODULUS, type G1Point } from "./curve.js";
import { g1FromSolidity } from "./encoding.js";
import { KeystoreCorruptError } from "./keystore-errors.js";

/**
 * The `pubKey` field of an eigensdk-go key file is gnark-crypto's `G1Affine.String()`:
 * `E([x,y])` with decimal coordinates. gnark prints a coordinate v as `-k` when
 * v = p − k for 1 ≤ k ≤ 65535 (its fp.Element.Text), so that form is written and read too.
 */
const GNARK_NEGATIVE_LIMIT = 65535n;
const PUBKEY_PATTERN = /^\s*E\s*\(\s*\[\s*(-?\d{1,100})\s*,\s*(-?\d{1,100})\s*\]\s*\)\s*$/;

function formatCoordinate(value: bigint): string {
  const negated = FIELD_MODULUS - value;
  return value !== 0n && negated <= GNARK_NEGATIVE_LIMIT ? `-${negated}` : value.toString(10);
}

function parseCoordinate(text: string, name: string): bigint {
  const value = BigInt(text);
  // Any negative value is read as p − |v|; gnark only ever writes small ones, but it reads more.
  const reduced = value < 0n ? FIELD_MODULUS + value : value;
  if (reduced < 0n || reduced >= FIELD_MODULUS) {
    throw new KeystoreCorruptError("pubKey", `${name} coordinate is outside the field [0, p)`);
  }
  return reduced;
}

/** `E([x,y])` for a non-zero G1 point, byte-identical to what eigensdk-go writes. */
export function formatKeystorePubKey(point: G1Point): string {
  const { x, y } = point.toAffine();
  return `E([${formatCoordinate(x)},${formatCoordinate(y)}])`;
}

/** Parses `E([x,y])` (whitespace tolerated) into a validated, non-zero G1 point. */
export function parseKeystorePubKey(text: string): G1Point {
  if (text.trim() === "O") throw new KeystoreCorruptError("pubKey", "is the point at infinity");
  const match = PUBKEY_PATTERN.exec(text);
  if (!match)
    throw new KeystoreCorruptError("pubKey", 'is not of the form "E([x,y])" with decimal coordinates');
  const X = parseCoordinate(match[1]!, "x");
  const Y = parseCoordinate(match[2]!, "y");
  try {
    return g1FromSolidity({ X, Y });
  } catch (error) {
    throw new KeystoreCorruptError("pubKey", "is not a valid G1 point", { cause: error });
  }
}
