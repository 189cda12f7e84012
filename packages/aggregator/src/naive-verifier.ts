import { hashToG1, verifyPointSignature } from "@avskit/bls";
import type { SameMessageBatchVerifier } from "./batcher.js";

/** One pairing check per signature (hash-to-curve done once per digest): the slow reference. */
export const verifyEachSignature: SameMessageBatchVerifier = (digest, items) => {
  const message = hashToG1(digest);
  const invalid: number[] = [];
  items.forEach((item, index) => {
    if (!verifyPointSignature(item.publicKey, message, item.signature)) invalid.push(index);
  });
  return invalid;
};
