import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { InvalidDigestError } from "./errors.js";

/** A 0x-prefixed hex string, as viem uses. */
export type Hex = `0x${string}`;
/** Bytes, or their 0x-prefixed hex form. */
export type BytesLike = Uint8Array | Hex;

export function toBytes(value: BytesLike): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value !== "string" || !value.startsWith("0x")) throw new TypeError("expected 0x-prefixed hex");
  return hexToBytes(value.slice(2));
}

export function toHex(bytes: Uint8Array): Hex {
  return `0x${bytesToHex(bytes)}`;
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytesToHex(bytes)}`);
}

/** Big-endian, left-padded to `length` bytes. */
export function bigIntToBytes(value: bigint, length = 32): Uint8Array {
  if (value < 0n || value >= 1n << BigInt(8 * length))
    throw new RangeError(`value does not fit in ${length} bytes`);
  return hexToBytes(value.toString(16).padStart(length * 2, "0"));
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Accepts a 32-byte digest in bytes or hex; anything else is an InvalidDigestError. */
export function toDigest(digest: BytesLike): Uint8Array {
  const bytes = toBytes(digest);
  if (bytes.length !== 32) throw new InvalidDigestError(bytes.length);
  return bytes;
}
