import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import {
  aggregateG2,
  aggregateSignatures,
  G1,
  type Hex,
  InvalidBatchItemError,
  keyPairFromSecretKey,
  signDigest,
  verifyAggregateFirst,
  verifyBatch,
  verifySignature,
  type WeightedSignedItem,
} from "../src/index.js";

/**
 * The aggregate-first verifier against crafted cancelling groups: what a set verdict says (the
 * weighted sum is the valid aggregate) and what it does not (each member valid), and that every
 * way the set could be used other than whole, with its weights, is refused by the check itself.
 */

const DIGEST: Hex = `0x${bytesToHex(keccak_256(new TextEncoder().encode("task 9 response")))}`;
const keys = Array.from({ length: 10 }, (_, i) => keyPairFromSecretKey(5000n + BigInt(i) * 104729n));
const valid = (weights: readonly number[] = []): WeightedSignedItem[] =>
  keys.map((k, i) => ({
    publicKeyG2: k.publicKeyG2,
    signature: signDigest(k.secretKey, DIGEST),
    weight: weights[i] ?? 1,
  }));
const delta = G1.BASE.multiply(0xc0ffeen);

/** Items a and b carry +Δ and −Δ: each invalid, their plain sum untouched. */
function cancelling(items: WeightedSignedItem[], a: number, b: number): WeightedSignedItem[] {
  const forged = items.slice();
  forged[a] = { ...items[a]!, signature: items[a]!.signature.add(delta) };
  forged[b] = { ...items[b]!, signature: items[b]!.signature.subtract(delta) };
  return forged;
}

describe("verifyAggregateFirst", () => {
  it("accepts an all-valid set with one check, as a set", () => {
    const items = valid([1, 3]);
    const result = verifyAggregateFirst(DIGEST, items);
    expect(result).toMatchObject({ allValid: true, invalid: [], pairingChecks: 1, setOnly: true });
    // The sums it checked, weights included: what the set adds to an aggregate.
    const weighted = items.flatMap((i) => Array<typeof i>(i.weight ?? 1).fill(i));
    expect(result.aggregate?.signature.equals(aggregateSignatures(weighted.map((i) => i.signature)))).toBe(
      true,
    );
    expect(result.aggregate?.publicKeyG2.equals(aggregateG2(weighted.map((i) => i.publicKeyG2)))).toBe(true);
  });

  it("passes a cancelling pair only as a set, whose weighted sum is exactly the valid aggregate", () => {
    const honest = valid();
    const forged = cancelling(honest, 2, 7);
    expect(verifySignature(keys[2]!.publicKeyG2, DIGEST, forged[2]!.signature)).toBe(false);
    expect(verifySignature(keys[7]!.publicKeyG2, DIGEST, forged[7]!.signature)).toBe(false);
    const result = verifyAggregateFirst(DIGEST, forged);
    // A set verdict, never an individual one: the caller must count all of it or none.
    expect(result).toMatchObject({ allValid: true, setOnly: true });
    expect(
      aggregateSignatures(forged.map((i) => i.signature)).equals(
        aggregateSignatures(honest.map((i) => i.signature)),
      ),
    ).toBe(true);
    // Any proper subset holding one of the pair is refused, and the bad one is named.
    const cut = forged.slice(0, 5);
    expect(verifyAggregateFirst(DIGEST, cut)).toMatchObject({
      allValid: false,
      invalid: [2],
      setOnly: false,
    });
    // Judged one by one, both are named.
    expect(verifyBatch(DIGEST, forged)).toMatchObject({ allValid: false, invalid: [2, 7] });
  });

  it("refuses the pair when the weights the set will be counted with do not let it cancel", () => {
    // Item 2 counts twice in the submission (two quorums): 2Δ − Δ ≠ 0.
    const forged = cancelling(valid([1, 1, 2]), 2, 7);
    expect(verifyAggregateFirst(DIGEST, forged)).toMatchObject({
      allValid: false,
      invalid: [2, 7],
      setOnly: false,
    });
    // A pair crafted for weights 1 and 2 (+2Δ once, −Δ twice) cancels in the sum the submission
    // will carry, so it passes, again only as a set; checked with other weights (all 1) the same
    // items do not: the check judges exactly the sum it is given the weights of.
    const base = valid([1, 1, 1, 1, 1, 1, 1, 2]);
    const crafted = base.slice();
    crafted[2] = { ...base[2]!, signature: base[2]!.signature.add(delta.double()) };
    crafted[7] = { ...base[7]!, signature: base[7]!.signature.subtract(delta) };
    expect(verifyAggregateFirst(DIGEST, crafted)).toMatchObject({ allValid: true, setOnly: true });
    expect(
      verifyAggregateFirst(
        DIGEST,
        crafted.map((i) => ({ ...i, weight: 1 })),
      ),
    ).toMatchObject({
      allValid: false,
      invalid: [2, 7],
      setOnly: false,
    });
  });

  it("names ordinary bad signatures through the randomised fallback, and judges one item on its own", () => {
    const items = valid();
    items[4] = { ...items[4]!, signature: G1.BASE.multiply(77n) };
    items[9] = { ...items[9]!, signature: G1.ZERO };
    expect(verifyAggregateFirst(DIGEST, items)).toMatchObject({
      allValid: false,
      invalid: [4, 9],
      setOnly: false,
    });
    expect(verifyAggregateFirst(DIGEST, valid().slice(0, 1))).toMatchObject({
      allValid: true,
      setOnly: false,
    });
    expect(verifyAggregateFirst(DIGEST, [items[4]!])).toMatchObject({ invalid: [0], setOnly: false });
  });

  it("refuses weights that are not small positive integers", () => {
    for (const weight of [0, -1, 1.5, 2 ** 20, Number.NaN]) {
      const items = valid();
      items[3] = { ...items[3]!, weight };
      expect(() => verifyAggregateFirst(DIGEST, items)).toThrow(InvalidBatchItemError);
    }
  });
});
