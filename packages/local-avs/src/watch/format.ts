import { TOKEN } from "../operators.js";

/** A stake or token amount in whole tokens, with up to two decimals ("112.5"). */
export function formatTokens(amount: bigint): string {
  const hundredths = (amount * 100n) / TOKEN;
  const whole = hundredths / 100n;
  const fraction = hundredths % 100n;
  if (fraction === 0n) return whole.toString();
  return `${whole}.${fraction.toString().padStart(2, "0").replace(/0$/, "")}`;
}

/** `part` of `total` as a percentage with at most one decimal ("63.6%"); "-" for an empty total. */
export function formatPercent(part: bigint, total: bigint): string {
  if (total === 0n) return "-";
  const tenths = (part * 1000n) / total;
  return tenths % 10n === 0n ? `${tenths / 10n}%` : `${tenths / 10n}.${tenths % 10n}%`;
}

/** Milliseconds as seconds with two decimals ("1.84 s"). */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** "1 task", "2 tasks". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** "1 block", "2 blocks", "1.5 blocks". */
export function formatBlocks(count: number): string {
  return plural(count, "block");
}

/** 297133 → "297,133". */
export function formatCount(value: bigint | number): string {
  return value.toLocaleString("en-US");
}

/** A label padded to the width of the progress view's first column. */
export function label(text: string): string {
  return text.padEnd(10);
}

/** The indent of a block's continuation lines. */
export const CONTINUATION = " ".repeat(10);
