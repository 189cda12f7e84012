import type { G1Point } from "@avskit/bls";
import { g1FromSolidity, InvalidPointError } from "@avskit/bls";
import type { Hex } from "viem";
import { z } from "zod";
import { ResponseRejectedError } from "./errors.js";
import type { TaskResponse } from "./response.js";

/**
 * The JSON body of `POST /v1/tasks/:taskIndex/responses`. Big numbers are strings, decimal
 * ("123") or 0x-hex ("0x7b"); JSON numbers are accepted when they are safe integers.
 */
export interface SignedResponseBody {
  operatorId: string;
  response: { referenceTaskIndex: number | string; sum: number | string };
  signature: { X: number | string; Y: number | string };
}

/** A request that passed parsing: well-typed, in range, with a valid G1 signature point. */
export interface SignedResponse {
  readonly operatorId: Hex;
  readonly response: TaskResponse;
  readonly signature: G1Point;
}

const UINT32_MAX = 2n ** 32n - 1n;
const UINT256_MAX = 2n ** 256n - 1n;
/** Enough for any uint256 in decimal (78 digits) or hex (0x + 64): longer is refused before BigInt. */
const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;
const HEX = /^0x[0-9a-fA-F]{1,64}$/;

function uint(max: bigint, what: string) {
  return z.union([z.string().max(80), z.number()]).transform((value, ctx): bigint => {
    let parsed: bigint | undefined;
    if (typeof value === "number") {
      if (Number.isSafeInteger(value) && value >= 0) parsed = BigInt(value);
    } else if (DECIMAL.test(value) || HEX.test(value)) {
      parsed = BigInt(value);
    }
    if (parsed === undefined || parsed > max) {
      ctx.addIssue({
        code: "custom",
        message: `${what} must be an integer in [0, ${max === UINT32_MAX ? "2^32" : "2^256"}) written as a decimal or 0x-hex string`,
      });
      return z.NEVER;
    }
    return parsed;
  });
}

const bodySchema = z.strictObject({
  operatorId: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "operatorId must be 0x followed by 64 hex digits"),
  response: z.strictObject({
    referenceTaskIndex: uint(UINT32_MAX, "referenceTaskIndex"),
    sum: uint(UINT256_MAX, "sum"),
  }),
  signature: z.strictObject({ X: uint(UINT256_MAX, "signature.X"), Y: uint(UINT256_MAX, "signature.Y") }),
});

const TASK_INDEX = /^(0|[1-9][0-9]{0,9})$/;

/** Parses the `:taskIndex` path segment: a decimal uint32. */
export function parseTaskIndex(raw: unknown): number {
  if (typeof raw === "string" && TASK_INDEX.test(raw)) {
    const value = Number(raw);
    if (value <= Number(UINT32_MAX)) return value;
  }
  throw new ResponseRejectedError(
    "INVALID_REQUEST",
    `task index must be a decimal uint32, got ${preview(raw)}`,
  );
}

/**
 * Validates a request body. Refuses, with INVALID_REQUEST, anything that is not exactly the
 * documented shape; with INVALID_SIGNATURE_POINT a signature that is not a valid, non-zero G1
 * point. Nothing else is looked at before this succeeds.
 */
export function parseSignedResponse(body: unknown): SignedResponse {
  const result = bodySchema.safeParse(body);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.length ? issue.path.join(".") : "body"}: ${issue.message}`);
    throw new ResponseRejectedError("INVALID_REQUEST", `malformed response body: ${issues.join("; ")}`);
  }
  const { operatorId, response, signature } = result.data;
  let point: G1Point;
  try {
    point = g1FromSolidity({ X: signature.X, Y: signature.Y });
  } catch (error) {
    if (error instanceof InvalidPointError) {
      throw new ResponseRejectedError("INVALID_SIGNATURE_POINT", `signature is ${error.message}`);
    }
    throw error;
  }
  return {
    operatorId: operatorId.toLowerCase() as Hex,
    response: { referenceTaskIndex: Number(response.referenceTaskIndex), sum: response.sum },
    signature: point,
  };
}

function preview(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
