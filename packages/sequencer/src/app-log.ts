import {
  type Certificate,
  certificateFromJson,
  certificateToJson,
  compareLocks,
  genesisHash,
  nextChainHash,
} from "@avskit/sequencer-protocol";
import { type Hex, hexToBytes } from "viem";
import type { SequencerStore, StoredApp, StoredEntry } from "./store.js";

/** An entry as rounds carry it. */
export interface Entry {
  readonly id: Hex;
  readonly body: Uint8Array;
}

export interface Tip {
  readonly index: number;
  readonly chainHash: Hex;
}

/**
 * One app's log as the node sees it: chain hashes by index (for signing checks and mismatch
 * answers), ids (dedup), the lock and the finality points. Bodies stay in the store. Indexes are
 * JavaScript numbers here (a log never reaches 2^53 entries); the wire's bigints are converted at
 * the edges. Every change is written to the store before it is visible here.
 */
export class AppLog {
  readonly app: string;
  readonly genesis: Hex;
  readonly #store: SequencerStore;
  /** chain hash of index i at [i - 1]. */
  #hashes: Hex[] = [];
  #ids: Hex[] = [];
  readonly #indexOfId = new Map<Hex, number>();
  /** When each entry was appended here (ms; in memory only, for the finality timeout). */
  #appendedAt: number[] = [];
  #lock: Certificate | null = null;
  #finality: Certificate | null = null;
  /** Indexes of the finality points kept, ascending. */
  #finalityPoints: number[] = [];
  /** When finality last moved here (ms; in memory, start-up counts as a move). */
  #finalityMovedAt = Date.now();

  constructor(app: string, store: SequencerStore, stored?: StoredApp, now = Date.now()) {
    this.app = app;
    this.genesis = genesisHash(app);
    this.#store = store;
    if (stored) {
      for (const e of stored.entries) {
        this.#hashes.push(e.chainHash);
        this.#ids.push(e.id);
        this.#indexOfId.set(e.id, this.#ids.length);
        this.#appendedAt.push(now);
      }
      this.#lock = stored.lockJson ? certificateFromJson(JSON.parse(stored.lockJson)) : null;
      this.#finalityPoints = stored.finality.map((f) => f.index);
      const last = stored.finality.at(-1);
      this.#finality = last ? certificateFromJson(JSON.parse(last.json)) : null;
    }
  }

  get tip(): Tip {
    const index = this.#hashes.length;
    return { index, chainHash: this.hashAt(index)! };
  }

  /** h_index (genesis for 0), or undefined past the tip. */
  hashAt(index: number): Hex | undefined {
    if (index === 0) return this.genesis;
    return this.#hashes[index - 1];
  }

  idAt(index: number): Hex | undefined {
    return this.#ids[index - 1];
  }

  indexOf(id: Hex): number | undefined {
    return this.#indexOfId.get(id);
  }

  has(id: Hex): boolean {
    return this.#indexOfId.has(id);
  }

  appendedAt(index: number): number | undefined {
    return this.#appendedAt[index - 1];
  }

  get lock(): Certificate | null {
    return this.#lock;
  }

  get finality(): Certificate | null {
    return this.#finality;
  }

  get finalizedIndex(): number {
    return this.#finality ? Number(this.#finality.index) : 0;
  }

  /** The chain hashes `entries` would give after the tip (nothing is changed). */
  chainOf(entries: readonly Entry[], from: Tip = this.tip): StoredEntry[] {
    let hash = from.chainHash;
    let index = from.index;
    return entries.map((e) => {
      hash = nextChainHash(hash, hexToBytes(e.id), e.body);
      index++;
      return { index, id: e.id, body: e.body, chainHash: hash };
    });
  }

  /** Appends entries whose chain `chainOf` computed from the current tip; persists first. */
  append(entries: readonly StoredEntry[], now = Date.now()): void {
    if (entries.length === 0) return;
    if (entries[0]!.index !== this.#hashes.length + 1) throw new Error("append does not start at the tip");
    this.#store.appendEntries(this.app, entries);
    for (const e of entries) {
      this.#hashes.push(e.chainHash);
      this.#ids.push(e.id);
      this.#indexOfId.set(e.id, e.index);
      this.#appendedAt.push(now);
    }
  }

  /** Drops the entries after `index` (never below the finalized index: the caller checks). */
  truncateAfter(index: number): number {
    if (index >= this.#hashes.length) return 0;
    this.#store.truncateAfter(this.app, index);
    const dropped = this.#ids.splice(index);
    for (const id of dropped) this.#indexOfId.delete(id);
    this.#hashes.length = index;
    this.#appendedAt.length = index;
    this.#finalityPoints = this.#finalityPoints.filter((i) => i <= index);
    return dropped.length;
  }

  /** Keeps `cert` as the lock when it is higher than the one held; true if it was. */
  setLock(cert: Certificate): boolean {
    if (compareLocks(cert, this.#lock) <= 0) return false;
    this.#store.putLock(this.app, JSON.stringify(certificateToJson(cert)));
    this.#lock = cert;
    return true;
  }

  /**
   * Makes `cert` (a new view's base, or none) the lock, even when the one held is higher. A
   * higher lock than the base of a justified new view was reported by no member of that view's
   * quorum, so no quorum finalized it (PROTOCOL.md "Leader change"), and its entries have just
   * been truncated: reporting it in a later vote would make a base whose entries nobody holds.
   */
  resetLock(cert: Certificate | null): void {
    if (cert === null) this.#store.deleteLock(this.app);
    else this.#store.putLock(this.app, JSON.stringify(certificateToJson(cert)));
    this.#lock = cert;
  }

  /** Keeps a finality point when it is beyond the finalized index; true if it was. */
  addFinality(cert: Certificate): boolean {
    const index = Number(cert.index);
    if (index <= this.finalizedIndex) return false;
    this.#store.putFinality(this.app, index, JSON.stringify(certificateToJson(cert)));
    this.#finality = cert;
    this.#finalityPoints.push(index);
    this.#finalityMovedAt = Date.now();
    return true;
  }

  /** Entries (after, after + limit] with at most `maxBytes` of bodies (at least one entry). */
  read(after: number, limit: number, maxBytes = Number.POSITIVE_INFINITY): StoredEntry[] {
    const rows = this.#store.readEntries(this.app, after, limit);
    let bytes = 0;
    const out: StoredEntry[] = [];
    for (const row of rows) {
      bytes += row.body.length + 64;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(row);
    }
    return out;
  }

  /**
   * Where a page of finalized batches after `after` ends: the last finality point within
   * `after + limit`, else the first one beyond `after` (a page never ends between two points).
   */
  pageEnd(after: number, limit: number): { index: number; finality: Certificate } | undefined {
    const points = this.#finalityPoints;
    let chosen: number | undefined;
    for (const p of points) {
      if (p <= after) continue;
      if (p <= after + limit) chosen = p;
      else {
        chosen ??= p;
        break;
      }
    }
    if (chosen === undefined) return undefined;
    const finality =
      chosen === this.finalizedIndex && this.#finality
        ? this.#finality
        : certificateFromJson(JSON.parse(this.#store.finalityAt(this.app, chosen)!));
    return { index: chosen, finality };
  }

  get finalityMovedAt(): number {
    return this.#finalityMovedAt;
  }

  /**
   * The highest finality point at or below `index` (what a follower that will hold entries up
   * to `index` can check and keep), or null.
   */
  finalityAtOrBelow(index: number): Certificate | null {
    if (this.#finality && this.finalizedIndex <= index) return this.#finality;
    const points = this.#finalityPoints;
    let lo = 0;
    let hi = points.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (points[mid]! <= index) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return null;
    const json = this.#store.finalityAt(this.app, points[found]!);
    return json ? certificateFromJson(JSON.parse(json)) : null;
  }

  /** The oldest entry appended but not final: when it was appended. */
  oldestUnfinalAt(): number | undefined {
    return this.#appendedAt[this.finalizedIndex];
  }
}
