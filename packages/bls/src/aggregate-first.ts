/**
 * Verifying a SET of signatures on one message by its plain (weighted) aggregate first, and
 * falling back to the randomised batch check of `batch-verify.ts` only when that fails. For an
 * aggregator whose honest batches are all valid, it replaces two multi-scalar multiplications
 * with two sums.
 *
 * Method. With H = hashToG1(digest), items (pk_i, σ_i) and positive integer weights k_i (the
 * number of times the caller will count item i in the aggregate it submits: an operator's
 * quorum multiplicity), check e(H, Σ k_i·pk_i) · e(Σ k_i·σ_i, -G2) = 1, one 2-pair check. The
 * sums are one bucket pass each (`multiScalarMultiply` with the weights as scalars: batched
 * affine additions). If it holds the verdict is `setOnly`; if it does not, or a point is not a
 * valid group element, the items are verified with `verifyBatchOnPoint` (random 64-bit
 * coefficients, bisection), which names each invalid one.
 *
 * Guarantee. A `setOnly` verdict says exactly this: Σ k_i·σ_i = (Σ k_i·sk_i)·H, i.e. the
 * weighted sum of these items is a valid aggregate signature of H under Σ k_i·pk_i. It does NOT
 * say that each σ_i is valid. Items that are invalid on their own pass it exactly when their
 * errors cancel in the weighted sum: σ1 + Δ and σ2 - Δ (weights 1, 1) pass; with weights 2, 1
 * they do not (2Δ - Δ ≠ 0), and then the fallback names both. So a caller may rely on a
 * `setOnly` verdict only if it uses the set as the check did, as one indivisible unit:
 *   1. It counts all members with these weights, or none of them. Any proper subset may carry
 *      an uncancelled Δ: a set cut at a threshold, or one member refused afterwards (e.g. as a
 *      duplicate), must not be counted on this verdict; what is left of it is verified again on
 *      its own (`verifyBatchOnPoint`).
 *   2. What it submits is a sum of whole sets (and individually verified items): a sum of valid
 *      aggregates is a valid aggregate, so adding a later set or item never disturbs an earlier
 *      one, and removing a member is the only unsafe edit (an aggregator that takes signatures
 *      out must take out every individually invalid one, which removes every cancelling member
 *      together: their errors sum to zero only over all of them, and every valid one may stay).
 *   3. The keys are registered with a proof of possession (as the BLSApkRegistry requires: a
 *      signature over the registry's message for the operator's address, checked against both
 *      its G1 and its G2 key), so no key is a rogue function of the others: the holder of each
 *      registered key knows its secret key.
 * Then the two guarantees an aggregator owes hold. (a) Every aggregate it submits equals the sum
 * of its signers' valid signatures, Σ k_i·sk_i·H, as a group element: nothing that is not a
 * valid signature share is in it, whatever values were sent. (b) No operator is counted as a
 * signer without having signed: with (3), producing a valid aggregate over a set that contains
 * an honest key whose holder never signed H is forging that key's signature (co-CDH). An honest
 * operator's own item is its valid signature, so in a passing set the other items sum to their
 * own valid aggregate: the only way to send an invalid item that passes is for operators who
 * together hold valid signatures for every member of the cancelling group to send it together.
 * Each of them has signed H in the only sense the chain can check, and the aggregate is
 * identical to the one their valid signatures give. A single operator cannot do it alone:
 * cancelling needs a second member of the same set whose error is the opposite, and that member
 * must be an operator it speaks for.
 * A verdict that is not `setOnly` carries `verifyBatchOnPoint`'s guarantee item by item.
 * The plain check uses no randomness, so unlike the randomised check it needs no secret source.
 *
 * Cost. All valid: two weighted sums (~n batched affine additions each; weights 1 are additions)
 * and one 2-pair check, against two 64-bit multi-scalar multiplications and one check. One
 * item alone is checked directly (that check is already individual). Any invalid item: the
 * plain check, then everything `verifyBatchOnPoint` costs (one more check and the two
 * multiplications, then the bisection).
 */

import {
  type BatchVerifyOptions,
  type BatchVerifyResult,
  hasValidPoints,
  InvalidBatchItemError,
  type SignedItem,
  verifyBatchOnPoint,
} from "./batch-verify.js";
import type { BytesLike } from "./bytes.js";
import { G1, type G1Point, G2, type G2Point } from "./curve.js";
import { hashToG1 } from "./hash-to-g1.js";
import { isGtOne, MessagePairing } from "./message-pairing.js";
import { multiScalarMultiply } from "./msm.js";

/** A signed item with the weight it will carry in the submitted aggregate (1 when omitted). */
export interface WeightedSignedItem extends SignedItem {
  readonly weight?: number;
}

export interface AggregateFirstResult extends BatchVerifyResult {
  /**
   * True: the verdict rests on the weighted plain aggregate alone, so the items are valid AS A
   * SET (see the module doc for what that allows); `allValid` is true and `invalid` empty.
   * False: every item was judged on its own, as by `verifyBatchOnPoint`.
   */
  readonly setOnly: boolean;
  /**
   * With `setOnly`: the two sums the check verified, Σ k_i·pk_i and Σ k_i·σ_i, exactly what the
   * set adds to an aggregate (so a caller need not add its members up again).
   */
  readonly aggregate?: { readonly publicKeyG2: G2Point; readonly signature: G1Point };
}

/** Largest weight accepted: a multiplicity is at most the number of quorums (192 on-chain). */
const MAX_WEIGHT = 1 << 16;

/** As verifyAggregateFirstOnPoint, hashing the 32-byte digest once. */
export function verifyAggregateFirst(
  digest: BytesLike,
  items: readonly WeightedSignedItem[],
  options: BatchVerifyOptions = {},
): AggregateFirstResult {
  return verifyAggregateFirstOnPoint(hashToG1(digest), items, options);
}

/** See the module doc: the weighted plain aggregate first, the randomised check when it fails. */
export function verifyAggregateFirstOnPoint(
  message: G1Point,
  items: readonly WeightedSignedItem[],
  options: BatchVerifyOptions = {},
): AggregateFirstResult {
  const weights = items.map((item, index) => weightOf(item, index));
  if (items.length >= 2 && items.every(isCandidate)) {
    const pairing = new MessagePairing(message);
    const key: G2Point = multiScalarMultiply(
      G2,
      items.map((item) => item.publicKeyG2),
      weights,
    );
    const signature: G1Point = multiScalarMultiply(
      G1,
      items.map((item) => item.signature),
      weights,
    );
    if (isGtOne(pairing.value(key, signature))) {
      return {
        allValid: true,
        invalid: [],
        pairingChecks: pairing.checks,
        setOnly: true,
        aggregate: { publicKeyG2: key, signature },
      };
    }
    const strict = verifyBatchOnPoint(message, items, options);
    return { ...strict, pairingChecks: strict.pairingChecks + pairing.checks, setOnly: false };
  }
  // One item (its check is individual already), none, or a malformed point: judged one by one.
  return { ...verifyBatchOnPoint(message, items, options), setOnly: false };
}

function weightOf(item: WeightedSignedItem, index: number): bigint {
  const weight = item?.weight ?? 1;
  if (!Number.isSafeInteger(weight) || weight < 1 || weight > MAX_WEIGHT)
    throw new InvalidBatchItemError(
      index,
      `weight ${String(weight)} is not an integer in [1, ${MAX_WEIGHT}]`,
    );
  return BigInt(weight);
}

/** Noble points (else the fallback refuses the item as malformed), valid and non-zero. */
function isCandidate(item: WeightedSignedItem): boolean {
  return item?.publicKeyG2 instanceof G2 && item.signature instanceof G1 && hasValidPoints(item);
}
