/** Formatting for the page: the same conventions as the terminal's progress view. */

const TOKEN_DECIMALS = 18n;
const TOKEN = 10n ** TOKEN_DECIMALS;

/** A wei amount (decimal string) in whole tokens with up to two decimals: "112.5". */
export function tokens(wei: string): string {
  const hundredths = (BigInt(wei) * 100n) / TOKEN;
  const whole = hundredths / 100n;
  const fraction = hundredths % 100n;
  if (fraction === 0n) return whole.toString();
  return `${whole}.${fraction.toString().padStart(2, "0").replace(/0$/, "")}`;
}

/** part of total as "63.6%", "-" for an empty total. */
export function percent(part: string, total: string): string {
  const t = BigInt(total);
  if (t === 0n) return "-";
  const tenths = (BigInt(part) * 1000n) / t;
  return tenths % 10n === 0n ? `${tenths / 10n}%` : `${tenths / 10n}.${tenths % 10n}%`;
}

export const count = (value: string | number): string => Number(value).toLocaleString("en-US");

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

export const clock = (at: number): string => new Date(at).toLocaleTimeString("en-GB", { hour12: false });

export const short = (hex: string, keep = 10): string =>
  hex.length > keep + 2 ? `${hex.slice(0, keep)}…` : hex;

export const blocks = (n: number): string => `${n} block${n === 1 ? "" : "s"}`;
