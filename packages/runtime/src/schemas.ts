import { getAddress, isAddress } from "viem";
import { z } from "zod";
import { parseDuration } from "./duration.js";

/**
 * zod schemas for option values. Values arrive as strings (flags, env vars) or as JSON values
 * (config file), so each schema accepts both and produces the typed value.
 */
export const opt = {
  string: () => z.string().min(1, "must not be empty"),
  url: () => z.string().url("must be a URL such as http://127.0.0.1:8545"),
  int: (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number().int("must be a whole number").min(min, `must be ≥ ${min}`).max(max, `must be ≤ ${max}`),
  number: (min = Number.NEGATIVE_INFINITY) => z.coerce.number().min(min, `must be ≥ ${min}`),
  bool: () =>
    z.union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"])]).transform((v) => {
      if (typeof v === "boolean") return v;
      return v === "true" || v === "1" || v === "yes";
    }),
  /** Milliseconds, from "24h", "90s", "1m30s", "500ms", "0" or a number of milliseconds. */
  duration: () =>
    z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
      if (typeof v === "number") return v;
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: "custom", message: `"${v}" is not a duration (examples: 24h, 90s, 1m30s, 0)` });
        return z.NEVER;
      }
      return ms;
    }),
  address: () =>
    z
      .string()
      .refine((v) => isAddress(v, { strict: false }), "must be a 0x-prefixed 20-byte address")
      .transform((v) => getAddress(v)),
  hex32: () =>
    z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits")
      .transform((v) => v as `0x${string}`),
  /** A comma-separated list (or a JSON array in a config file) of items. */
  list: <T extends z.ZodType>(item: T) =>
    z
      .union([z.array(z.unknown()), z.string()])
      .transform((v) =>
        typeof v === "string"
          ? v
              .split(",")
              .map((s) => s.trim())
              .filter(Boolean)
          : v,
      )
      .pipe(z.array(item)),
  enum: <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values),
  /** host:port or :port (all interfaces is refused: services bind to what they are told). */
  listenAddress: () =>
    z.string().transform((v, ctx) => {
      const match = /^(.*):(\d{1,5})$/.exec(v);
      const port = match ? Number(match[2]) : Number.NaN;
      if (!match || port > 65535) {
        ctx.addIssue({ code: "custom", message: `"${v}" is not host:port (example: 127.0.0.1:9090)` });
        return z.NEVER;
      }
      return { host: match[1] === "" ? "127.0.0.1" : match[1]!, port };
    }),
};
