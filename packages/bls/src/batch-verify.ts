/**
 * Verifying many BLS signatures on ONE message, as an aggregator does for each task response.
 *
 * With a message point H = hashToG1(digest), item i (key pk_i, signature σ_i) is valid when
 * e(H, pk_i) · e(σ_i, -G2) = 1. Write that product as g^{δ_i} for a generator g of GT: the
 * item is valid exactly when δ_i = 0. Products of such terms multiply, so any linear
 * combination of items needs just ONE 2-pair check: e(H, Σ c_i·pk_i) · e(Σ c_i·σ_i, -G2) =
 * g^{Σ c_i·δ_i}, with both sums computed as multi-scalar multiplications.
 *
 * 1. Accept check, randomised. Fresh coefficients r_i, uniform in [1, 2^64) from a CSPRNG, are
 *    drawn after the items are fixed. If some δ_j ≠ 0 then Σ r_i·δ_i = 0 (mod the prime group
 *    order) for at most one value of r_j given the others, so a set holding an invalid
 *    signature passes with probability < 2^-64. A plain sum (all c_i = 1) is not enough to name
 *    signatures valid: σ1 + Δ and σ2 - Δ cancel in it, although each is invalid. (For
 *    submission alone the plain sum would do, since the chain checks exactly that sum; but the
 *    aggregator must also know WHO signed, which takes the random coefficients.)
 * 2. If that fails, the bad items are isolated by bisection. Each tested half costs one check;
 *    the other half's value follows for free by dividing it out of the parent's (the values
 *    are multiplicative), and only halves whose value is not 1 are split further. The
 *    navigation runs on plain sums first (prefix sums make every range one subtraction, with no
 *    scalar multiplication); then one randomised check on everything not yet named confirms
 *    that nothing hides there, e.g. a cancelling pair. If something does, the same bisection
 *    runs again on that remainder with the random coefficients.
 *
 * Guarantee. Every index reported invalid IS invalid, deterministically: it was isolated as a
 * single item whose own value g^{δ_i} (or g^{r_i·δ_i}, r_i ≠ 0) differs from 1. Every
 * index not reported is valid except with probability at most (2n + 2)·2^-64 over the
 * coefficients, n = items.length (a union bound over the randomised checks that can pass),
 * provided the items were chosen before the coefficients, i.e. the random source is secret
 * and unpredictable. Items whose points are not valid non-zero group elements (infinity, off
 * the curve, outside the subgroup) are reported invalid without pairing, matching
 * `verifySignature`, which rejects or refuses them.
 *
 * Cost: all valid = two multi-scalar multiplications (G1, G2) and one check; with b bad
 * items, roughly b·log2(n/b) + b further checks, down to one check per item when all are bad.
 */
import { randomBytes as cryptoRandomBytes } from "@noble/hashes/utils.js";
import { type BytesLike, bytesToBigInt, toDigest } from "./bytes.js";
import { Fp12, G1, type G1Point, G2, type G2Point } from "./curve.js";
import { BlsError } from "./errors.js";
import { hashToG1 } from "./hash-to-g1.js";
import { type GtElement, gtDivide, isGtOne, MessagePairing } from "./message-pairing.js";
import { multiScalarMultiply } from "./msm.js";
import { verifySignature } from "./signature.js";

/** One operator's contribution: its G2 public key and its signature (in G1). */
export interface SignedItem {
  readonly publicKeyG2: G2Point;
  readonly signature: G1Point;
}

/** Returns `length` bytes from a cryptographically secure generator. */
export type RandomSource = (length: number) => Uint8Array;

export interface BatchVerifyOptions {
  /**
   * Where the 64-bit coefficients come from; the platform CSPRNG by default. Inject only for
   * tests: a predictable source lets a signer craft invalid signatures that pass together.
   */
  readonly randomBytes?: RandomSource;
}

export interface BatchVerifyResult {
  /** True when every item is valid (within the guarantee in this module's doc comment). */
  readonly allValid: boolean;
  /** Indices into `items` of the invalid signatures, ascending; empty when allValid. */
  readonly invalid: number[];
  /** Multi-pairings evaluated (each: two Miller loops and one final exponentiation). */
  readonly pairingChecks: number;
}

/** An item that is not a pair of noble BN254 points: a programming error, not a bad signature. */
export class InvalidBatchItemError extends BlsError {
  readonly index: number;
  constructor(index: number, detail: string) {
    super("INVALID_BATCH_ITEM", `batch item ${index}: ${detail}`);
    this.index = index;
  }
}

/** The injected random source returned the wrong length or zero coefficients again and again. */
export class RandomSourceError extends BlsError {
  constructor(detail: string) {
    super("BAD_RANDOM_SOURCE", `batch verification random source: ${detail}`);
  }
}

/** Bits of each random coefficient; soundness error per check is below 2^-COEFFICIENT_BITS. */
export const COEFFICIENT_BITS = 64;
const COEFFICIENT_BYTES = COEFFICIENT_BITS / 8;
/** A CSPRNG yields a zero coefficient with probability 2^-64; several in a row means it is broken. */
const MAX_ZERO_REDRAWS = 4;

/** Verifies many signatures on one 32-byte digest; hashes the digest once. */
export function verifyBatch(
  digest: BytesLike,
  items: readonly SignedItem[],
  options: BatchVerifyOptions = {},
): BatchVerifyResult {
  return verifyBatchOnPoint(hashToG1(digest), items, options);
}

/** As verifyBatch, for a message that is already a G1 point (e.g. hashToG1 computed earlier). */
export function verifyBatchOnPoint(
  message: G1Point,
  items: readonly SignedItem[],
  options: BatchVerifyOptions = {},
): BatchVerifyResult {
  const pairing = new MessagePairing(message);
  const invalid: number[] = [];
  const candidates: number[] = [];
  for (const [index, item] of items.entries()) {
    assertItemShape(index, item);
    if (hasValidPoints(item)) candidates.push(index);
    else invalid.push(index);
  }

  if (candidates.length === 1) {
    const only = items[candidates[0]!]!;
    if (!isGtOne(pairing.value(only.publicKeyG2, only.signature))) invalid.push(candidates[0]!);
  } else if (candidates.length > 1) {
    const keys = candidates.map((i) => items[i]!.publicKeyG2);
    const signatures = candidates.map((i) => items[i]!.signature);
    const coefficients = drawCoefficients(candidates.length, options.randomBytes ?? cryptoRandomBytes);
    for (const position of findInvalid(pairing, keys, signatures, coefficients))
      invalid.push(candidates[position]!);
  }

  invalid.sort((a, b) => a - b);
  return { allValid: invalid.length === 0, invalid, pairingChecks: pairing.checks };
}

/**
 * The reference method: one 2-pair check per signature through `verifySignature`, hashing the
 * digest each time, as a straightforward aggregator does. Same result shape as verifyBatch.
 */
export function verifyIndividually(digest: BytesLike, items: readonly SignedItem[]): BatchVerifyResult {
  toDigest(digest);
  const invalid: number[] = [];
  let pairingChecks = 0;
  for (const [index, item] of items.entries()) {
    assertItemShape(index, item);
    if (!hasValidPoints(item)) {
      invalid.push(index);
      continue;
    }
    pairingChecks += 1;
    if (!verifySignature(item.publicKeyG2, digest, item.signature)) invalid.push(index);
  }
  return { allValid: invalid.length === 0, invalid, pairingChecks };
}

/** Positions (into keys/signatures) of the invalid items; see the module doc for the method. */
function findInvalid(
  pairing: MessagePairing,
  keys: readonly G2Point[],
  signatures: readonly G1Point[],
  coefficients: readonly bigint[],
): number[] {
  const weightedSums = (positions: readonly number[]) => ({
    key: multiScalarMultiply(
      G2,
      positions.map((p) => keys[p]!),
      positions.map((p) => coefficients[p]!),
    ),
    signature: multiScalarMultiply(
      G1,
      positions.map((p) => signatures[p]!),
      positions.map((p) => coefficients[p]!),
    ),
  });
  const weightedValue = (positions: readonly number[]) => {
    const sums = weightedSums(positions);
    return pairing.value(sums.key, sums.signature);
  };

  const all = keys.map((_, position) => position);
  const root = weightedSums(all);
  const rootValue = pairing.value(root.key, root.signature);
  if (isGtOne(rootValue)) return [];

  // Navigate on plain sums: range [lo, hi) is prefix[hi] - prefix[lo].
  const keyPrefix = prefixSums(G2.ZERO, keys);
  const signaturePrefix = prefixSums(G1.ZERO, signatures);
  const plainValue = (lo: number, hi: number) =>
    pairing.value(
      keyPrefix[hi]!.subtract(keyPrefix[lo]!),
      signaturePrefix[hi]!.subtract(signaturePrefix[lo]!),
    );
  const found = bisect(all.length, plainValue(0, all.length), plainValue);

  // Confirm the rest with random coefficients: plain sums can hide bad items that cancel.
  const foundSet = new Set(found);
  const rest = all.filter((position) => !foundSet.has(position));
  let restValue: GtElement;
  if (found.length === 0) {
    restValue = rootValue;
  } else if (rest.length === 0) {
    restValue = Fp12.ONE;
  } else if (found.length < rest.length) {
    const removed = weightedSums(found);
    restValue = pairing.value(root.key.subtract(removed.key), root.signature.subtract(removed.signature));
  } else {
    restValue = weightedValue(rest);
  }
  const hidden = bisect(rest.length, restValue, (lo, hi) => weightedValue(rest.slice(lo, hi)));
  return [...found, ...hidden.map((k) => rest[k]!)];
}

/**
 * Offsets in [0, count) of the single items whose value is not 1, given the value of the
 * whole range. Only ranges with value ≠ 1 are split; the right half's value is the parent's
 * divided by the left half's, so each split costs one check.
 */
function bisect(
  count: number,
  value: GtElement,
  rangeValueOf: (lo: number, hi: number) => GtElement,
): number[] {
  const found: number[] = [];
  const visit = (lo: number, hi: number, rangeValue: GtElement): void => {
    if (isGtOne(rangeValue)) return;
    if (hi - lo === 1) {
      found.push(lo);
      return;
    }
    const mid = lo + ((hi - lo) >> 1);
    const left = rangeValueOf(lo, mid);
    visit(lo, mid, left);
    visit(mid, hi, gtDivide(rangeValue, left));
  };
  if (count > 0) visit(0, count, value);
  return found;
}

function prefixSums<P extends { add(other: P): P }>(zero: P, points: readonly P[]): P[] {
  const sums = [zero];
  for (const point of points) sums.push(sums[sums.length - 1]!.add(point));
  return sums;
}

function drawCoefficients(count: number, source: RandomSource): bigint[] {
  const bytes = takeBytes(source, count * COEFFICIENT_BYTES);
  const coefficients: bigint[] = [];
  for (let i = 0; i < count; i++) {
    let value = bytesToBigInt(bytes.subarray(i * COEFFICIENT_BYTES, (i + 1) * COEFFICIENT_BYTES));
    for (let attempt = 0; value === 0n; attempt++) {
      if (attempt === MAX_ZERO_REDRAWS) throw new RandomSourceError("it keeps returning zero coefficients");
      value = bytesToBigInt(takeBytes(source, COEFFICIENT_BYTES));
    }
    coefficients.push(value);
  }
  return coefficients;
}

function takeBytes(source: RandomSource, length: number): Uint8Array {
  const bytes = source(length);
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new RandomSourceError(
      `asked for ${length} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`,
    );
  }
  return bytes;
}

function assertItemShape(index: number, item: SignedItem): void {
  if (typeof item !== "object" || item === null) throw new InvalidBatchItemError(index, "not an object");
  if (!(item.publicKeyG2 instanceof G2))
    throw new InvalidBatchItemError(index, "publicKeyG2 is not a BN254 G2 point");
  if (!(item.signature instanceof G1))
    throw new InvalidBatchItemError(index, "signature is not a BN254 G1 point");
}

/**
 * Non-zero, on the curve and in the subgroup. noble caches a successful check per point
 * instance, so points that came through g1FromBytes / g2FromSolidity cost nothing here.
 */
export function hasValidPoints(item: SignedItem): boolean {
  if (item.publicKeyG2.is0() || item.signature.is0()) return false;
  try {
    item.publicKeyG2.assertValidity();
    item.signature.assertValidity();
    return true;
  } catch {
    return false;
  }
}
