/** A sustained rate with room for bursts: `perSecond` tokens flow in, at most `burst` are held. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per key (a client address). A key seen for the first time starts with a full
 * bucket. The keys are bounded: past `maxKeys` the least recently seen one is forgotten (a key
 * that comes back starts full again), so a flood of addresses costs memory once, not for ever.
 */
export class TokenBuckets {
  readonly limit: RateLimit;
  readonly #maxKeys: number;
  readonly #now: () => number;
  // A Map iterates in insertion order; re-inserting on every use keeps the stalest key first.
  readonly #buckets = new Map<string, Bucket>();

  constructor(limit: RateLimit, options: { maxKeys?: number; now?: () => number } = {}) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1))
      throw new RangeError(
        `a rate limit needs perSecond > 0 and burst ≥ 1 (got ${limit.perSecond}, ${limit.burst})`,
      );
    this.limit = limit;
    this.#maxKeys = options.maxKeys ?? 65_536;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Takes a token for `key`: 0 when there was one, else how many milliseconds until there is. */
  take(key: string): number {
    const now = this.#now();
    const { perSecond, burst } = this.limit;
    let bucket = this.#buckets.get(key);
    if (bucket) {
      this.#buckets.delete(key);
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) * perSecond) / 1000);
      bucket.at = now;
    } else {
      if (this.#buckets.size >= this.#maxKeys) {
        const stalest = this.#buckets.keys().next();
        if (!stalest.done) this.#buckets.delete(stalest.value);
      }
      bucket = { tokens: burst, at: now };
    }
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) * 1000) / perSecond);
  }

  /** How many keys are tracked. */
  get size(): number {
    return this.#buckets.size;
  }
}
