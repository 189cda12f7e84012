import { secp256k1 } from "@noble/curves/secp256k1.js";
import { type Address, bytesToHex, getAddress, type Hex, hexToBytes, keccak256 } from "viem";

/**
 * Signs a raw 32-byte digest (no EIP-191 prefix) with secp256k1, as Ethereum's r ‖ s ‖ v
 * (v = 27 + recovery bit), low-s. Synchronous, unlike viem's `sign`.
 */
export function signRawDigest(privateKey: Hex, digest: Hex): Hex {
  const recovered = secp256k1.sign(hexToBytes(digest), hexToBytes(privateKey), {
    prehash: false,
    format: "recovered",
  });
  const out = new Uint8Array(65);
  out.set(recovered.subarray(1), 0);
  out[64] = 27 + recovered[0]!;
  return bytesToHex(out);
}

const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;

/** The address whose key signed `digest`, or undefined if the signature is malformed or high-s. */
export function recoverRawDigest(digest: Hex, signature: string): Address | undefined {
  if (!SIGNATURE.test(signature)) return undefined;
  const bytes = hexToBytes(signature as Hex);
  const v = bytes[64]!;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) return undefined;
  const recovered = new Uint8Array(65);
  recovered[0] = recovery;
  recovered.set(bytes.subarray(0, 64), 1);
  try {
    const sig = secp256k1.Signature.fromBytes(recovered, "recovered");
    // Refuse the malleable twin (s > n/2) of a valid signature: one statement, one encoding.
    if (sig.hasHighS()) return undefined;
    const publicKey = sig.recoverPublicKey(hexToBytes(digest)).toBytes(false);
    return getAddress(`0x${keccak256(publicKey.subarray(1)).slice(-40)}`);
  } catch {
    return undefined;
  }
}

/** The address of a secp256k1 private key. */
export function addressOfPrivateKey(privateKey: Hex): Address {
  const publicKey = secp256k1.getPublicKey(hexToBytes(privateKey), false);
  return getAddress(`0x${keccak256(publicKey.subarray(1)).slice(-40)}`);
}
