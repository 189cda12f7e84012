import { keccak_256 } from "@noble/hashes/sha3.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { type BytesLike, bytesToBigInt, type Hex, toBytes, toHex } from "./bytes.js";
import { CURVE_ORDER, G1, type G1Point, G2, type G2Point } from "./curve.js";
import { g1ToBytes } from "./encoding.js";
import { InvalidSecretKeyError } from "./errors.js";

/** A BLS key pair: the secret scalar and its public keys in both groups. */
export interface BlsKeyPair {
  readonly secretKey: bigint;
  readonly publicKeyG1: G1Point;
  readonly publicKeyG2: G2Point;
}

/** Checks that a scalar is a usable secret key: 0 < sk < r. */
export function assertSecretKey(secretKey: bigint): bigint {
  if (typeof secretKey !== "bigint") throw new InvalidSecretKeyError("not a bigint");
  if (secretKey <= 0n || secretKey >= CURVE_ORDER) throw new InvalidSecretKeyError("must be in [1, r)");
  return secretKey;
}

/** Parses a 32-byte big-endian secret key (bytes or hex). */
export function secretKeyFromBytes(bytes: BytesLike): bigint {
  const raw = toBytes(bytes);
  if (raw.length !== 32) throw new InvalidSecretKeyError(`expected 32 bytes, got ${raw.length}`);
  return assertSecretKey(bytesToBigInt(raw));
}

/**
 * A fresh secret key from the platform CSPRNG. 48 random bytes reduced mod r make the bias
 * negligible (< 2^-128), the approach of RFC 9380's hash_to_field.
 */
export function generateSecretKey(): bigint {
  for (;;) {
    const candidate = bytesToBigInt(randomBytes(48)) % CURVE_ORDER;
    if (candidate !== 0n) return candidate;
  }
}

export function publicKeyG1(secretKey: bigint): G1Point {
  return G1.BASE.multiply(assertSecretKey(secretKey));
}

export function publicKeyG2(secretKey: bigint): G2Point {
  return G2.BASE.multiply(assertSecretKey(secretKey));
}

export function keyPairFromSecretKey(secretKey: bigint): BlsKeyPair {
  return { secretKey, publicKeyG1: publicKeyG1(secretKey), publicKeyG2: publicKeyG2(secretKey) };
}

export function generateKeyPair(): BlsKeyPair {
  return keyPairFromSecretKey(generateSecretKey());
}

/** EigenLayer's operatorId: keccak256(pkG1.X ‖ pkG1.Y). */
export function operatorIdFromPublicKey(publicKey: G1Point): Hex {
  return toHex(keccak_256(g1ToBytes(publicKey)));
}
