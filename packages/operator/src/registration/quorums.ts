import { type Hex, toHex } from "viem";

/** `bytes quorumNumbers` as the contracts take them: one byte per quorum, strictly ascending. */
export function quorumNumbersToBytes(quorums: readonly number[]): Hex {
  const sorted = [...new Set(quorums)].sort((a, b) => a - b);
  return toHex(Uint8Array.from(sorted));
}

export function quorumNumbersFromBytes(bytes: Hex): number[] {
  const numbers: number[] = [];
  for (let i = 2; i < bytes.length; i += 2) numbers.push(Number.parseInt(bytes.slice(i, i + 2), 16));
  return numbers;
}

export function quorumsInBitmap(bitmap: bigint): number[] {
  const numbers: number[] = [];
  for (let q = 0; q < 192; q += 1) if ((bitmap >> BigInt(q)) & 1n) numbers.push(q);
  return numbers;
}

export function bitmapOf(quorums: readonly number[]): bigint {
  return quorums.reduce((bitmap, q) => bitmap | (1n << BigInt(q)), 0n);
}
