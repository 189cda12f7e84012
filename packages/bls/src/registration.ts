import { keccak_256 } from "@noble/hashes/sha3.js";
import { bigIntToBytes, bytesToBigInt, concatBytes } from "./bytes.js";
import { G1, type G1Point, G2, type G2Point, modOrder, pairingProductIsOne } from "./curve.js";
import { g1ToSolidity, g2ToSolidity, type SolidityG1, type SolidityG2 } from "./encoding.js";
import type { BlsKeyPair } from "./keys.js";
import { signPoint } from "./signature.js";

/** What a registry coordinator's `registerOperator` takes as the BLS part (`PubkeyRegistrationParams`). */
export interface PubkeyRegistrationParams {
  pubkeyRegistrationSignature: SolidityG1;
  pubkeyG1: SolidityG1;
  pubkeyG2: SolidityG2;
}

/**
 * Builds the proof of possession: the operator signs the registration message point (the
 * contract's `pubkeyRegistrationMessageHash(operator)`, already in G1) with its secret key.
 */
export function buildPubkeyRegistration(
  keyPair: BlsKeyPair,
  messagePoint: G1Point,
): PubkeyRegistrationParams {
  return {
    pubkeyRegistrationSignature: g1ToSolidity(signPoint(keyPair.secretKey, messagePoint)),
    pubkeyG1: g1ToSolidity(keyPair.publicKeyG1),
    pubkeyG2: g2ToSolidity(keyPair.publicKeyG2),
  };
}

/**
 * The contract's check, off-chain: with gamma = keccak(sigma, pkG1, pkG2, H) mod r,
 * e(sigma + gamma·pkG1, -G2) · e(H + gamma·G1, pkG2) == 1. One 2-pair check proves the signature
 * and that pkG1 and pkG2 share the secret key.
 */
export function verifyPubkeyRegistration(
  signature: G1Point,
  pubkeyG1: G1Point,
  pubkeyG2: G2Point,
  messagePoint: G1Point,
): boolean {
  if (signature.is0() || pubkeyG1.is0() || pubkeyG2.is0()) return false;
  const gamma = registrationChallenge(signature, pubkeyG1, pubkeyG2, messagePoint);
  return pairingProductIsOne([
    { g1: signature.add(pubkeyG1.multiply(gamma)), g2: G2.BASE.negate() },
    { g1: messagePoint.add(G1.BASE.multiply(gamma)), g2: pubkeyG2 },
  ]);
}

function registrationChallenge(
  signature: G1Point,
  pubkeyG1: G1Point,
  pubkeyG2: G2Point,
  message: G1Point,
): bigint {
  const s = g1ToSolidity(signature);
  const p1 = g1ToSolidity(pubkeyG1);
  const p2 = g2ToSolidity(pubkeyG2);
  const h = g1ToSolidity(message);
  const words = [s.X, s.Y, p1.X, p1.Y, p2.X[0], p2.X[1], p2.Y[0], p2.Y[1], h.X, h.Y];
  const gamma = modOrder(bytesToBigInt(keccak_256(concatBytes(...words.map((w) => bigIntToBytes(w))))));
  // A zero challenge would drop the key-equality half of the check; keccak makes it
  // unreachable in practice, but refuse it rather than assume.
  return gamma === 0n ? 1n : gamma;
}
