import { verifyAggregateFirst, verifyBatch } from "@avskit/bls";
import type { SameMessageBatchVerifier } from "./batcher.js";

/**
 * The BLS library's same-message batch verifier: one randomised 2-pair check for the whole
 * batch when every signature is valid, bisection to name exactly the invalid ones otherwise.
 * Every verdict is individual.
 */
export const verifyBatchOfSameMessage: SameMessageBatchVerifier = (digest, items) =>
  verifyBatch(
    digest,
    items.map((item) => ({ publicKeyG2: item.publicKey, signature: item.signature })),
  ).invalid;

/**
 * What the service runs: the weighted plain aggregate first (valid as a set: `setOnly`), the
 * randomised check with bisection only when it fails or when asked to judge `individually`.
 * See @avskit/bls aggregate-first.ts for what a set verdict guarantees and what it asks of us.
 */
export const verifyAggregateFirstOfSameMessage: SameMessageBatchVerifier = (digest, items, individually) => {
  const signed = items.map((item) => ({
    publicKeyG2: item.publicKey,
    signature: item.signature,
    weight: item.weight ?? 1,
  }));
  if (individually) return verifyBatch(digest, signed).invalid;
  const result = verifyAggregateFirst(digest, signed);
  const aggregate = result.aggregate;
  return aggregate === undefined
    ? { invalid: result.invalid, setOnly: false }
    : {
        invalid: result.invalid,
        setOnly: true,
        aggregate: { publicKey: aggregate.publicKeyG2, signature: aggregate.signature },
      };
};
