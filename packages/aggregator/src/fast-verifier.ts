import { verifyBatch } from "@avskit/bls";
import type { SameMessageBatchVerifier } from "./batcher.js";

/**
 * The BLS library's same-message batch verifier: one randomised 2-pair check for the whole
 * batch when every signature is valid, bisection to name exactly the invalid ones otherwise.
 */
export const verifyBatchOfSameMessage: SameMessageBatchVerifier = (digest, items) =>
  verifyBatch(
    digest,
    items.map((item) => ({ publicKeyG2: item.publicKey, signature: item.signature })),
  ).invalid;
