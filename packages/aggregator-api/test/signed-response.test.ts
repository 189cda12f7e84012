import { FIELD_MODULUS, G1, g1ToSolidity } from "@avskit/bls";
import { describe, expect, it } from "vitest";
import {
  parseSignedResponse,
  parseSignedResponseFields,
  parseTaskIndex,
  signaturePoint,
} from "../src/index.js";
import { code } from "./support.js";

const point = g1ToSolidity(G1.BASE.multiply(5n));
const good = {
  operatorId: `0x${"Ab".repeat(32)}`,
  response: { referenceTaskIndex: 3, sum: "42" },
  signature: { X: point.X.toString(), Y: `0x${point.Y.toString(16)}` },
};

describe("request parsing", () => {
  it("accepts decimal strings, 0x-hex strings and safe integers, and lowercases the operator id", () => {
    const parsed = parseSignedResponse(good);
    expect(parsed.operatorId).toBe(`0x${"ab".repeat(32)}`);
    expect(parsed.response).toEqual({ referenceTaskIndex: 3, sum: 42n });
    expect(parsed.signature.equals(G1.BASE.multiply(5n))).toBe(true);
    expect(
      parseSignedResponse({ ...good, response: { referenceTaskIndex: "0x3", sum: 42 } }).response.sum,
    ).toBe(42n);
  });

  it.each([
    ["not an object", null],
    ["an array", [good]],
    ["an extra field", { ...good, extra: true }],
    ["a missing field", { operatorId: good.operatorId, response: good.response }],
    ["a prototype key", JSON.parse(`{"__proto__":{},"operatorId":"${good.operatorId}"}`)],
    ["a short operator id", { ...good, operatorId: "0x12" }],
    ["a negative sum", { ...good, response: { ...good.response, sum: -1 } }],
    ["a fractional sum", { ...good, response: { ...good.response, sum: 1.5 } }],
    ["an unsafe integer", { ...good, response: { ...good.response, sum: 2 ** 60 } }],
    ["a sum ≥ 2^256", { ...good, response: { ...good.response, sum: (2n ** 256n).toString() } }],
    ["leading zeros", { ...good, response: { ...good.response, sum: "042" } }],
    ["a task index ≥ 2^32", { ...good, response: { ...good.response, referenceTaskIndex: 2 ** 32 } }],
    ["a boolean coordinate", { ...good, signature: { ...good.signature, X: true } }],
    ["an empty hex", { ...good, signature: { ...good.signature, X: "0x" } }],
  ])("refuses %s with INVALID_REQUEST", (_name, body) => {
    expect(code(() => parseSignedResponse(body))).toBe("INVALID_REQUEST");
  });

  it.each([
    ["off the curve", { X: "1", Y: "3" }],
    ["infinity", { X: "0", Y: "0" }],
    ["X ≥ p", { X: FIELD_MODULUS.toString(), Y: "2" }],
  ])("refuses a signature %s with INVALID_SIGNATURE_POINT", (_name, signature) => {
    expect(code(() => parseSignedResponse({ ...good, signature }))).toBe("INVALID_SIGNATURE_POINT");
    // The shape alone passes: the point is looked at only when asked for, after cheaper checks.
    const fields = parseSignedResponseFields({ ...good, signature });
    expect(fields.signature).toEqual({ X: BigInt(signature.X), Y: BigInt(signature.Y) });
    expect(code(() => signaturePoint(fields.signature))).toBe("INVALID_SIGNATURE_POINT");
  });

  it("parses task indexes as decimal uint32 only", () => {
    expect(parseTaskIndex("0")).toBe(0);
    expect(parseTaskIndex("4294967295")).toBe(4294967295);
    for (const bad of ["4294967296", "-1", "07", "0x1", "", "1e3", undefined, 5]) {
      expect(code(() => parseTaskIndex(bad))).toBe("INVALID_REQUEST");
    }
  });
});
