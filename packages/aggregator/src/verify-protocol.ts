import { G1, type G1Point, G2, type G2Point } from "@avskit/bls";
import type { Hex } from "viem";

/** Signatures over one digest, to be checked together. */
export interface DigestGroup {
  readonly digest: Hex;
  /** Each item judged on its own: the verifier may not answer for the group as a set. */
  readonly individually?: boolean;
  readonly items: readonly {
    readonly publicKey: G2Point;
    readonly signature: G1Point;
    /** Its weight in the aggregate that will be submitted (1 when omitted). */
    readonly weight?: number;
  }[];
}

/**
 * A group as it crosses to a worker thread: noble's points are class instances, which structured
 * clone would strip to plain objects, so they travel as affine bigint coordinates (structured
 * clone copies BigInt), seven per item: the key's x.c0, x.c1, y.c0, y.c1, the signature's x, y,
 * then the item's weight.
 */
export interface WireGroup {
  readonly digest: Hex;
  readonly individually: boolean;
  readonly coordinates: readonly bigint[];
}

export const COORDINATES_PER_ITEM = 7;

/**
 * A verifier's verdict on a digest group: the indices of the invalid items, and whether the
 * others are valid only as a set (`setOnly`: their weighted plain aggregate verifies; see
 * @avskit/bls aggregate-first.ts) rather than each on its own.
 */
export interface GroupVerdict {
  readonly invalid: readonly number[];
  readonly setOnly: boolean;
  /** With `setOnly`: the weighted sums the check verified (see SetAggregate). */
  readonly aggregate?: SetAggregate;
}

/**
 * The weighted sums a set verdict rests on, Σ k_i·pk_i and Σ k_i·σ_i: exactly what the set adds
 * to its task's aggregate, so the service adds two points per set rather than two per signature.
 */
export interface SetAggregate {
  readonly publicKey: G2Point;
  readonly signature: G1Point;
}

/** A verifier's answer as a GroupVerdict; a `setOnly` answer to an `individually` request is refused. */
export function groupVerdict(answer: readonly number[] | GroupVerdict, individually: boolean): GroupVerdict {
  const verdict = Array.isArray(answer)
    ? { invalid: answer as readonly number[], setOnly: false }
    : (answer as GroupVerdict);
  if (verdict.setOnly && (individually || verdict.invalid.length > 0))
    throw new Error("the verifier answered for a set where it had to judge each signature");
  if (verdict.setOnly && verdict.aggregate === undefined)
    throw new Error("the verifier answered for a set without the sums it verified");
  return verdict;
}

/** A set's sums as they cross back from a worker: the key's x.c0, x.c1, y.c0, y.c1, the signature's x, y. */
export function encodeAggregate(aggregate: SetAggregate): bigint[] {
  const key = aggregate.publicKey.toAffine();
  const sig = aggregate.signature.toAffine();
  return [key.x.c0, key.x.c1, key.y.c0, key.y.c1, sig.x, sig.y];
}

/** Rebuilt unchecked: the worker computed them from points it had checked. */
export function decodeAggregate(c: readonly bigint[]): SetAggregate {
  return {
    publicKey: G2.fromAffine({ x: { c0: c[0]!, c1: c[1]! }, y: { c0: c[2]!, c1: c[3]! } }),
    signature: G1.fromAffine({ x: c[4]!, y: c[5]! }),
  };
}

export interface VerifyRequest {
  readonly id: number;
  readonly groups: readonly WireGroup[];
}

export type WorkerMessage =
  | { readonly kind: "ready" }
  | {
      readonly kind: "verdict";
      readonly id: number;
      /** Per group, the indices of its invalid items. */
      readonly invalid: readonly (readonly number[])[];
      /** Per group, null, or the coordinates of the sums its set verdict rests on (see GroupVerdict). */
      readonly aggregates: readonly (readonly bigint[] | null)[];
      /** CPU of the worker thread for this request (decoding and verifying). */
      readonly cpuMs: number;
      /** Wall time inside the worker for this request, from receipt to reply. */
      readonly workMs: number;
    }
  | { readonly kind: "failed"; readonly id: number; readonly message: string };

export function encodeGroup(group: DigestGroup): WireGroup {
  const coordinates: bigint[] = [];
  for (const { publicKey, signature, weight } of group.items) {
    // toAffine() of infinity is (0, 0), which fromAffine turns back into infinity: the verifier
    // then refuses it exactly as it would have on this thread.
    const key = publicKey.toAffine();
    const sig = signature.toAffine();
    coordinates.push(key.x.c0, key.x.c1, key.y.c0, key.y.c1, sig.x, sig.y, BigInt(weight ?? 1));
  }
  return { digest: group.digest, individually: group.individually === true, coordinates };
}

/**
 * Rebuilt keys, by coordinates. Points rebuilt from coordinates have not been validated, and the
 * verifier checks each (G2's subgroup test costs ~2.4 ms here); noble remembers a passed check
 * per instance, so reusing the instance makes an operator's key cost that once per worker, not
 * once per signature. Signatures are on G1 (cofactor 1): their check is a curve equation.
 */
export class KeyCache {
  readonly #keys = new Map<string, G2Point>();
  readonly #limit: number;

  constructor(limit = 16_384) {
    this.#limit = limit;
  }

  get size(): number {
    return this.#keys.size;
  }

  key(c: readonly bigint[], at: number): G2Point {
    const id = `${c[at]!.toString(16)}.${c[at + 1]!.toString(16)}.${c[at + 2]!.toString(16)}.${c[at + 3]!.toString(16)}`;
    let point = this.#keys.get(id);
    if (point === undefined) {
      point = G2.fromAffine({ x: { c0: c[at]!, c1: c[at + 1]! }, y: { c0: c[at + 2]!, c1: c[at + 3]! } });
      // Oldest first out: operator sets change slowly, so recent keys are the ones reused.
      if (this.#keys.size >= this.#limit) this.#keys.delete(this.#keys.keys().next().value!);
      this.#keys.set(id, point);
    }
    return point;
  }
}

export function decodeGroup(group: WireGroup, keys: KeyCache): DigestGroup {
  const c = group.coordinates;
  if (c.length % COORDINATES_PER_ITEM !== 0) throw new Error(`a group of ${c.length} coordinates`);
  const items: { publicKey: G2Point; signature: G1Point; weight: number }[] = [];
  for (let at = 0; at < c.length; at += COORDINATES_PER_ITEM) {
    items.push({
      publicKey: keys.key(c, at),
      signature: G1.fromAffine({ x: c[at + 4]!, y: c[at + 5]! }),
      weight: Number(c[at + 6]!),
    });
  }
  return { digest: group.digest, individually: group.individually, items };
}

/**
 * CPU time of the calling thread, in ms. process.cpuUsage() counts every thread of the process,
 * so around work on one thread it would also count the others; Node < 22.19 has no per-thread
 * figure, and there the wall time stands in (the work is a pairing computation, CPU-bound).
 */
export function threadCpuMs(): number {
  const usage = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.();
  return usage === undefined ? performance.now() : (usage.user + usage.system) / 1000;
}
