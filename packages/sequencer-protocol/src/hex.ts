import type { Hex } from "viem";

const BYTES32 = /^0x[0-9a-f]{64}$/;

/** Operator ids and hashes are compared as lowercase hex of fixed length: byte order = string order. */
export function normalizeBytes32(value: string): Hex | undefined {
  const lower = value.toLowerCase();
  return BYTES32.test(lower) ? (lower as Hex) : undefined;
}

export function isBytes32(value: string): value is Hex {
  return BYTES32.test(value.toLowerCase());
}

/** Ascending as bytes; for equal-length lowercase hex that is string order. */
export function compareHex(a: Hex, b: Hex): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
