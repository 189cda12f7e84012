import type { BytesLike } from "./bytes.js";
import { G1, type G1Point, G2, type G2Point, pairingProductIsOne } from "./curve.js";
import { hashToG1 } from "./hash-to-g1.js";
import { assertSecretKey } from "./keys.js";

/** Signs a 32-byte digest: sigma = sk · hashToG1(digest). Signatures live in G1. */
export function signDigest(secretKey: bigint, digest: BytesLike): G1Point {
  return signPoint(secretKey, hashToG1(digest));
}

/**
 * Signs a G1 point that is already the message (no second hash), as the proof of possession
 * at registration requires: the contract hands out hashToG1 of its EIP-712 digest.
 */
export function signPoint(secretKey: bigint, message: G1Point): G1Point {
  return message.multiply(assertSecretKey(secretKey));
}

/** e(H(m), pkG2) == e(sigma, G2), checked as one 2-pair product. */
export function verifySignature(publicKey: G2Point, digest: BytesLike, signature: G1Point): boolean {
  return verifyPointSignature(publicKey, hashToG1(digest), signature);
}

/** Verification against a message that is already a G1 point. */
export function verifyPointSignature(publicKey: G2Point, message: G1Point, signature: G1Point): boolean {
  if (publicKey.is0() || signature.is0()) return false;
  return pairingProductIsOne([
    { g1: message, g2: publicKey },
    { g1: signature.negate(), g2: G2.BASE },
  ]);
}

export function aggregateG1(points: readonly G1Point[]): G1Point {
  return points.reduce((sum, point) => sum.add(point), G1.ZERO);
}

export function aggregateG2(points: readonly G2Point[]): G2Point {
  return points.reduce((sum, point) => sum.add(point), G2.ZERO);
}

/** Sum of signatures; verifies against the sum of the signers' G2 keys for one message. */
export const aggregateSignatures: (signatures: readonly G1Point[]) => G1Point = aggregateG1;
