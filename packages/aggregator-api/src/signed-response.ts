import { type G1Point, g1FromSolidity, g1ToSolidity, InvalidPointError } from "@avskit/bls";
import type { Hex } from "viem";
import { exactObject } from "./json-shape.js";
import { ResponseRejectedError } from "./rejections.js";
import type { TaskResponse } from "./task-response.js";

/**
 * The JSON body of `POST /v1/tasks/:taskIndex/responses`, as operators send it: big numbers as
 * decimal strings. The aggregator also accepts 0x-hex strings ("0x7b") and JSON numbers that
 * are safe integers.
 */
export interface SignedResponseBody {
  readonly operatorId: Hex;
  readonly response: { readonly referenceTaskIndex: number; readonly sum: string };
  readonly signature: { readonly X: string; readonly Y: string };
}

/** A request that passed parsing: well-typed, in range, with a valid G1 signature point. */
export interface SignedResponse {
  readonly operatorId: Hex;
  readonly response: TaskResponse;
  readonly signature: G1Point;
}

/** The body an operator sends for its BLS signature over taskResponseDigest(response). */
export function signedResponseBody(
  operatorId: Hex,
  response: TaskResponse,
  signature: G1Point,
): SignedResponseBody {
  const { X, Y } = g1ToSolidity(signature);
  return {
    operatorId,
    response: { referenceTaskIndex: response.referenceTaskIndex, sum: response.sum.toString() },
    signature: { X: X.toString(), Y: Y.toString() },
  };
}

const UINT32_MAX = 2n ** 32n - 1n;
const UINT256_MAX = 2n ** 256n - 1n;
/** Enough for any uint256 in decimal (78 digits) or hex (0x + 64): longer is refused before BigInt. */
const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;
const HEX = /^0x[0-9a-fA-F]{1,64}$/;
const OPERATOR_ID = /^0x[0-9a-fA-F]{64}$/;

function malformed(problem: string): ResponseRejectedError {
  return new ResponseRejectedError("INVALID_REQUEST", `malformed response body: ${problem}`);
}

function record(value: unknown, path: string, fields: readonly string[]): Record<string, unknown> {
  return exactObject(value, path, fields, malformed);
}

function uint(value: unknown, max: bigint, what: string): bigint {
  let parsed: bigint | undefined;
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value >= 0) parsed = BigInt(value);
  } else if (typeof value === "string" && value.length <= 80 && (DECIMAL.test(value) || HEX.test(value))) {
    parsed = BigInt(value);
  }
  if (parsed === undefined || parsed > max) {
    throw malformed(
      `${what} must be an integer in [0, ${max === UINT32_MAX ? "2^32" : "2^256"}) written as a decimal or 0x-hex string`,
    );
  }
  return parsed;
}

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

/** A signature's coordinates as sent, before anything checks that they are a point. */
export interface SignatureCoordinates {
  readonly X: bigint;
  readonly Y: bigint;
}

/** A request body of the right shape whose signature has not been looked at as a point yet. */
export interface SignedResponseFields {
  readonly operatorId: Hex;
  readonly response: TaskResponse;
  readonly signature: SignatureCoordinates;
}

/**
 * Validates a request body's shape and ranges, with INVALID_REQUEST, and nothing more: no curve
 * arithmetic, so that everything cheap (who sends it, for which task, how often) can be checked
 * before anything costly is done for it.
 */
export function parseSignedResponseFields(body: unknown): SignedResponseFields {
  const top = record(body, "body", ["operatorId", "response", "signature"]);
  const response = record(top.response, "body.response", ["referenceTaskIndex", "sum"]);
  const signature = record(top.signature, "body.signature", ["X", "Y"]);
  const operatorId = top.operatorId;
  if (typeof operatorId !== "string" || !OPERATOR_ID.test(operatorId)) {
    throw malformed("operatorId must be 0x followed by 64 hex digits");
  }
  const referenceTaskIndex = uint(response.referenceTaskIndex, UINT32_MAX, "response.referenceTaskIndex");
  const sum = uint(response.sum, UINT256_MAX, "response.sum");
  const X = uint(signature.X, UINT256_MAX, "signature.X");
  const Y = uint(signature.Y, UINT256_MAX, "signature.Y");
  return {
    operatorId: operatorId.toLowerCase() as Hex,
    response: { referenceTaskIndex: Number(referenceTaskIndex), sum },
    signature: { X, Y },
  };
}

/** The signature as a G1 point; INVALID_SIGNATURE_POINT when it is off the curve, out of range or infinity. */
export function signaturePoint(signature: SignatureCoordinates): G1Point {
  try {
    return g1FromSolidity(signature);
  } catch (error) {
    if (error instanceof InvalidPointError) {
      throw new ResponseRejectedError("INVALID_SIGNATURE_POINT", `signature is ${error.message}`);
    }
    throw error;
  }
}

/**
 * Validates a request body. Refuses, with INVALID_REQUEST, anything that is not exactly the
 * documented shape; with INVALID_SIGNATURE_POINT a signature that is not a valid, non-zero G1
 * point. Nothing else is looked at before this succeeds.
 */
export function parseSignedResponse(body: unknown): SignedResponse {
  const fields = parseSignedResponseFields(body);
  return { ...fields, signature: signaturePoint(fields.signature) };
}

function preview(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
