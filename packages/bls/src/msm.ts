import { mulAddUnsafe } from "@noble/curves/abstract/curve.js";
import type { IField } from "@noble/curves/abstract/modular.js";
import type { WeierstrassPoint, WeierstrassPointCons } from "@noble/curves/abstract/weierstrass.js";

/** An affine point, or null for the point at infinity. */
type Affine<T> = { readonly x: T; readonly y: T } | null;

/** Below this many terms noble's Strauss–Shamir walk beats the bucket method's fixed costs. */
const SMALL_MSM = 12;

/**
 * Σ scalars[i]·points[i], for PUBLIC scalars only (timing depends on them). Meant for the
 * random 64-bit coefficients of batch verification, where it is several times faster than
 * noble's generic routines for a few hundred points.
 *
 * Method: signed-digit bucket (Pippenger) multiplication whose additions run in affine
 * coordinates, many at once, sharing one field inversion per round (Montgomery's trick). An
 * affine addition then costs about half of noble's projective one, which is what dominates.
 * Points must be valid curve points; scalars must lie in [0, r).
 */
export function multiScalarMultiply<T>(
  Point: WeierstrassPointCons<T>,
  points: readonly WeierstrassPoint<T>[],
  scalars: readonly bigint[],
): WeierstrassPoint<T> {
  if (points.length !== scalars.length) throw new RangeError("points and scalars differ in length");
  const order = Point.Fn.ORDER;
  const usedPoints: WeierstrassPoint<T>[] = [];
  const usedScalars: bigint[] = [];
  for (const [i, scalar] of scalars.entries()) {
    if (typeof scalar !== "bigint" || scalar < 0n || scalar >= order)
      throw new RangeError("scalar outside [0, r)");
    const point = points[i]!;
    if (scalar !== 0n && !point.is0()) {
      usedPoints.push(point);
      usedScalars.push(scalar);
    }
  }
  if (usedPoints.length === 0) return Point.ZERO;
  if (usedPoints.length < SMALL_MSM) return mulAddUnsafe(Point, usedPoints, usedScalars);
  return bucketMultiply(Point, usedPoints, usedScalars);
}

function bucketMultiply<T>(
  Point: WeierstrassPointCons<T>,
  points: readonly WeierstrassPoint<T>[],
  scalars: readonly bigint[],
): WeierstrassPoint<T> {
  const F = Point.Fp;
  const c = windowBits(points.length);
  const half = 1 << (c - 1);
  const maxBits = scalars.reduce((bits, s) => Math.max(bits, s.toString(2).length), 1);
  // One extra bit for the carry that signed digits can push past the top.
  const windows = Math.ceil((maxBits + 1) / c);
  const affine = toAffineBatch(F, points);

  // buckets[w * half + (|digit| - 1)] collects the points whose digit in window w is ±|digit|.
  const buckets: Array<Array<{ x: T; y: T }>> = Array.from({ length: windows * half }, () => []);
  for (const [i, scalar] of scalars.entries()) {
    const point = affine[i]!;
    const negated = { x: point.x, y: F.neg(point.y) };
    for (const [w, digit] of signedDigits(scalar, c, windows).entries()) {
      if (digit !== 0) buckets[w * half + Math.abs(digit) - 1]!.push(digit > 0 ? point : negated);
    }
  }

  // Collapse every bucket to one point: pair up members across all buckets, add all pairs at once.
  for (;;) {
    const pairs: Array<[Affine<T>, Affine<T>]> = [];
    const targets: Array<Array<{ x: T; y: T }>> = [];
    for (const bucket of buckets) {
      while (bucket.length >= 2) {
        pairs.push([bucket.pop()!, bucket.pop()!]);
        targets.push(bucket);
      }
    }
    if (pairs.length === 0) break;
    for (const [j, sum] of addAffineBatch(F, pairs).entries()) {
      if (sum !== null) targets[j]!.push(sum);
    }
  }

  // Per window, Σ_d d·bucket_d as running sums from the top digit down; all windows in step.
  const running: Affine<T>[] = new Array(windows).fill(null);
  const totals: Affine<T>[] = new Array(windows).fill(null);
  for (let d = half - 1; d >= 0; d--) {
    const pairs: Array<[Affine<T>, Affine<T>]> = [];
    for (let w = 0; w < windows; w++) {
      pairs.push([running[w]!, buckets[w * half + d]![0] ?? null], [totals[w]!, running[w]!]);
    }
    const sums = addAffineBatch(F, pairs);
    for (let w = 0; w < windows; w++) {
      running[w] = sums[2 * w]!;
      totals[w] = sums[2 * w + 1]!;
    }
  }
  // The loop adds each running sum one step late; the last one is still owed.
  const windowSums = addAffineBatch(
    F,
    totals.map((total, w) => [total, running[w]!] as [Affine<T>, Affine<T>]),
  );

  let acc = Point.ZERO;
  for (let w = windows - 1; w >= 0; w--) {
    for (let i = 0; i < c; i++) acc = acc.double();
    const sum = windowSums[w]!;
    if (sum !== null) acc = acc.add(Point.fromAffine(sum));
  }
  return acc;
}

/** Window width that balances per-point additions (~bits/c each) against 2^c bucket sums. */
function windowBits(count: number): number {
  return Math.min(12, Math.max(4, Math.round(Math.log2(count)) - 2));
}

/** Digits in [-2^(c-1), 2^(c-1)] with Σ digit_w·2^(c·w) = scalar. */
function signedDigits(scalar: bigint, c: number, windows: number): number[] {
  const full = 1 << c;
  const half = full >> 1;
  const mask = BigInt(full - 1);
  const shift = BigInt(c);
  const digits: number[] = [];
  let rest = scalar;
  for (let w = 0; w < windows; w++) {
    let digit = Number(rest & mask);
    rest >>= shift;
    if (digit > half) {
      digit -= full;
      rest += 1n;
    }
    digits.push(digit);
  }
  if (rest !== 0n) throw new Error("internal: scalar did not fit its windows");
  return digits;
}

function toAffineBatch<T>(F: IField<T>, points: readonly WeierstrassPoint<T>[]): Array<{ x: T; y: T }> {
  const inverses = F.invertBatch(points.map((p) => p.Z));
  return points.map((p, i) => ({ x: F.mul(p.X, inverses[i]!), y: F.mul(p.Y, inverses[i]!) }));
}

const Kind = { Add: 0, Double: 1, Infinity: 2, Copy: 3 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/**
 * P + Q for many pairs with one shared inversion. Handles every case of the group law:
 * infinity operands, P = Q (doubling) and P = -Q (infinity).
 */
function addAffineBatch<T>(F: IField<T>, pairs: ReadonlyArray<readonly [Affine<T>, Affine<T>]>): Affine<T>[] {
  const kinds: Kind[] = [];
  const denominators: T[] = [];
  for (const [p, q] of pairs) {
    let kind: Kind;
    if (p === null || q === null) kind = Kind.Copy;
    else if (!F.eql(p.x, q.x)) kind = Kind.Add;
    else if (F.eql(p.y, q.y) && !F.is0(p.y)) kind = Kind.Double;
    else kind = Kind.Infinity;
    kinds.push(kind);
    if (kind === Kind.Add) denominators.push(F.sub(q!.x, p!.x));
    else if (kind === Kind.Double) denominators.push(F.add(p!.y, p!.y));
    else denominators.push(F.ONE);
  }
  const inverses = F.invertBatch(denominators);
  return pairs.map(([p, q], j) => {
    const kind = kinds[j]!;
    if (kind === Kind.Copy) return p ?? q;
    if (kind === Kind.Infinity) return null;
    const a = p!;
    const b = q!;
    let lambda: T;
    if (kind === Kind.Add) {
      lambda = F.mul(F.sub(b.y, a.y), inverses[j]!);
    } else {
      const xx = F.sqr(a.x);
      lambda = F.mul(F.add(F.add(xx, xx), xx), inverses[j]!);
    }
    const x = F.sub(F.sub(F.sqr(lambda), a.x), b.x);
    return { x, y: F.sub(F.mul(lambda, F.sub(a.x, x)), a.y) };
  });
}
