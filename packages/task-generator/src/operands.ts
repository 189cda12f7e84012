import { randomBytes } from "node:crypto";

/**
 * A uniformly random integer in 0..max from the OS's CSPRNG. Rejection sampling over the
 * smallest bit width that covers `max` keeps it unbiased (at most two draws on average).
 */
export function randomOperand(max: bigint): bigint {
  if (max < 0n) throw new RangeError(`max must not be negative, got ${max}`);
  if (max === 0n) return 0n;
  const bits = max.toString(2).length;
  const bytes = Math.ceil(bits / 8);
  const excessBits = BigInt(bytes * 8 - bits);
  for (;;) {
    const candidate = BigInt(`0x${randomBytes(bytes).toString("hex")}`) >> excessBits;
    if (candidate <= max) return candidate;
  }
}

export interface Operands {
  readonly a: bigint;
  readonly b: bigint;
}

export function randomOperands(max: bigint): Operands {
  return { a: randomOperand(max), b: randomOperand(max) };
}
