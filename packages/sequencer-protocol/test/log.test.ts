import { concat, encodeAbiParameters, type Hex, keccak256, toBytes, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { chainHashOf, entryHash, genesisHash, isAppName, nextChainHash } from "../src/log.js";

const id1 = new Uint8Array(16).fill(1);
const id2 = new Uint8Array(16).fill(2);
const body1 = toBytes("hello");
const body2 = new Uint8Array(0);

describe("log hashes", () => {
  it("genesis is keccak256(abi.encode(keccak256(tag), keccak256(app)))", () => {
    const expected = keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "bytes32" }],
        [keccak256(toBytes("avskit.sequencer.genesis.v1")), keccak256(toBytes("app-1"))],
      ),
    );
    expect(genesisHash("app-1")).toBe(expected);
    expect(genesisHash("app-2")).not.toBe(expected);
  });

  it("chains h_n = keccak256(h_{n-1} ‖ keccak256(id ‖ body)), packed", () => {
    const h0 = genesisHash("app-1");
    const e1 = keccak256(concat([toHex(id1), toHex(body1)]));
    const h1 = keccak256(concat([h0, e1]));
    const e2 = keccak256(concat([toHex(id2), "0x"]));
    const h2 = keccak256(concat([h1, e2]));
    expect(toHex(entryHash(id1, body1))).toBe(e1);
    expect(nextChainHash(h0, id1, body1)).toBe(h1);
    expect(
      chainHashOf("app-1", [
        { id: id1, body: body1 },
        { id: id2, body: body2 },
      ]),
    ).toBe(h2);
    expect(chainHashOf("app-1", [{ id: id2, body: body2 }], h1)).toBe(h2);
    expect(chainHashOf("app-1", [])).toBe(h0);
    // The order of entries is part of the chain.
    const swapped: Hex = chainHashOf("app-1", [
      { id: id2, body: body2 },
      { id: id1, body: body1 },
    ]);
    expect(swapped).not.toBe(h2);
  });

  it("accepts only lowercase app names of 1–63 characters", () => {
    expect(isAppName("a")).toBe(true);
    expect(isAppName("rollup-7")).toBe(true);
    expect(isAppName(`a${"b".repeat(62)}`)).toBe(true);
    expect(isAppName(`a${"b".repeat(63)}`)).toBe(false);
    expect(isAppName("")).toBe(false);
    expect(isAppName("-a")).toBe(false);
    expect(isAppName("App")).toBe(false);
    expect(isAppName("a_b")).toBe(false);
  });
});
