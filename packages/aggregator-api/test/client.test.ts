import { G1 } from "@avskit/bls";
import { describe, expect, it } from "vitest";
import {
  classifyReply,
  parseSignedResponse,
  REJECTIONS,
  responseUrl,
  signedResponseBody,
  taskResponseDigest,
} from "../src/index.js";

describe("the operator's client side", () => {
  it("sends what the aggregator parses back", () => {
    const signature = G1.BASE.multiply(7n);
    const body = signedResponseBody(
      `0x${"cd".repeat(32)}`,
      { referenceTaskIndex: 9, sum: 2n ** 200n },
      signature,
    );
    const parsed = parseSignedResponse(JSON.parse(JSON.stringify(body)));
    expect(parsed.response).toEqual({ referenceTaskIndex: 9, sum: 2n ** 200n });
    expect(parsed.signature.equals(signature)).toBe(true);
  });

  it("takes a reply's own retry flag, else the code's, else the status's", () => {
    expect(classifyReply(202, "{}")).toEqual({ kind: "accepted", status: 202, duplicate: false });
    expect(classifyReply(200, JSON.stringify({ accepted: true, duplicate: true }))).toEqual({
      kind: "accepted",
      status: 200,
      duplicate: true,
    });
    for (const [code, { status, retryable }] of Object.entries(REJECTIONS)) {
      const withoutFlag = classifyReply(status, JSON.stringify({ code, message: "m" }));
      expect(withoutFlag).toMatchObject({ kind: "rejected", code, retryable });
    }
    expect(classifyReply(409, JSON.stringify({ code: "X", message: "m", retryable: true }))).toMatchObject({
      retryable: true,
    });
    // A proxy's error page: no JSON, judged by the status alone.
    expect(classifyReply(502, "<html>bad gateway</html>")).toMatchObject({
      code: "HTTP_502",
      retryable: true,
    });
    expect(classifyReply(400, "nope")).toMatchObject({ code: "HTTP_400", retryable: false });
  });

  it("builds the response URL whatever the base's trailing slashes", () => {
    expect(responseUrl("http://127.0.0.1:8090//", 4)).toBe("http://127.0.0.1:8090/v1/tasks/4/responses");
  });

  it("digests the TaskResponse as the contract does: keccak256(abi.encode(uint32, uint256))", () => {
    // abi.encode((uint32 1, uint256 2)) is two 32-byte words; its keccak256 is fixed.
    expect(taskResponseDigest({ referenceTaskIndex: 1, sum: 2n })).toBe(
      "0xe90b7bceb6e7df5418fb78d8ee546e97c83a08bbccc01a0644d599ccd2a7c2e0",
    );
  });
});
