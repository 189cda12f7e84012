import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { Address, Hex } from "viem";
import type { RefusalReason } from "./refusals.js";
import type { Liveness } from "./statement.js";

/**
 * The replica's database, one SQLite file (`downtime.db`) in the data dir. Every batch of the log
 * leaves exactly one row, in `events` (applied) or `refusals`, keyed by its log index, and moves
 * the resume point (`last_index`, `chain_hash`) in the same transaction: a crash leaves either
 * all of a batch or none of it, and a restart resumes after the last batch written, so nothing is
 * applied twice.
 */

export interface EventRow {
  readonly index: number;
  readonly subject: Hex;
  readonly state: Liveness;
  readonly observedAt: number;
  readonly epoch: number;
  /** statementDigest: what makes a replay recognisable. */
  readonly digest: Hex;
}

export interface RefusalRow {
  readonly index: number;
  readonly reason: RefusalReason;
  readonly detail: string;
}

export interface Position {
  readonly index: number;
  /** The log's chaining hash at `index` (undefined at 0: the SDK starts from genesis). */
  readonly chainHash: Hex | undefined;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  idx INTEGER PRIMARY KEY, subject TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('up', 'down')),
  observed_at INTEGER NOT NULL, epoch INTEGER NOT NULL, digest TEXT NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS events_subject ON events (subject, idx);
CREATE TABLE IF NOT EXISTS refusals (idx INTEGER PRIMARY KEY, reason TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS operators (
  operator_id TEXT PRIMARY KEY, address TEXT NOT NULL, since_idx INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** An operator the log knows: a member of the set of an event applied at `sinceIndex` (0: the static file's). */
export interface OperatorRow {
  readonly operatorId: Hex;
  readonly address: Address;
  readonly sinceIndex: number;
}

export class DowntimeDb {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  static open(dataDir: string): DowntimeDb {
    mkdirSync(dataDir, { recursive: true });
    const db = new DatabaseSync(join(dataDir, "downtime.db"));
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
    db.exec(SCHEMA);
    return new DowntimeDb(db);
  }

  #sql(text: string): StatementSync {
    let statement = this.#statements.get(text);
    if (statement === undefined) {
      statement = this.#db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  getMeta(key: string): string | undefined {
    const row = this.#sql("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.#sql(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ).run(key, value);
  }

  position(): Position {
    const index = Number(this.getMeta("last_index") ?? "0");
    const chainHash = this.getMeta("chain_hash") as Hex | undefined;
    return { index, chainHash };
  }

  #advance(index: number, chainHash: Hex): void {
    const { index: last } = this.position();
    // The SDK yields batches in order from last + 1; anything else is a bug that would corrupt the log.
    if (index !== last + 1) throw new RangeError(`batch ${index} does not follow the last applied ${last}`);
    this.setMeta("last_index", String(index));
    this.setMeta("chain_hash", chainHash);
  }

  #transaction(work: () => void): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      work();
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /**
   * Applies an event; `operators` (the members of the set its stake was counted in) become known
   * to the log from this index on, so that answers as of an index list the same operators on
   * every replica.
   */
  applyEvent(
    row: EventRow,
    chainHash: Hex,
    operators: readonly { operatorId: Hex; address: Address }[] = [],
  ): void {
    this.#transaction(() => {
      this.#advance(row.index, chainHash);
      this.#sql(
        "INSERT INTO events (idx, subject, state, observed_at, epoch, digest) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(row.index, row.subject, row.state, row.observedAt, row.epoch, row.digest);
      this.#know(operators, row.index);
    });
  }

  /** The members of a static network, known from index 0 (every replica has the same file). */
  seedOperators(operators: readonly { operatorId: Hex; address: Address }[]): void {
    this.#transaction(() => this.#know(operators, 0));
  }

  #know(operators: readonly { operatorId: Hex; address: Address }[], index: number): void {
    const insert = this.#sql(
      "INSERT INTO operators (operator_id, address, since_idx) VALUES (?, ?, ?) ON CONFLICT (operator_id) DO NOTHING",
    );
    for (const op of operators) insert.run(op.operatorId.toLowerCase(), op.address, index);
  }

  /** Operators known to the log as of index `upTo`, by id. */
  operators(upTo: number): OperatorRow[] {
    return (
      this.#sql(
        "SELECT operator_id, address, since_idx FROM operators WHERE since_idx <= ? ORDER BY operator_id",
      ).all(upTo) as { operator_id: Hex; address: Address; since_idx: number }[]
    ).map((r) => ({ operatorId: r.operator_id, address: r.address, sinceIndex: r.since_idx }));
  }

  /** The id of the operator registered with `address`, if the log knows it. */
  operatorIdOf(address: Address): Hex | undefined {
    const row = this.#sql("SELECT operator_id FROM operators WHERE lower(address) = lower(?)").get(address) as
      | { operator_id: Hex }
      | undefined;
    return row?.operator_id;
  }

  refuse(row: RefusalRow, chainHash: Hex): void {
    this.#transaction(() => {
      this.#advance(row.index, chainHash);
      this.#sql("INSERT INTO refusals (idx, reason, detail) VALUES (?, ?, ?)").run(
        row.index,
        row.reason,
        row.detail,
      );
    });
  }

  /** The subject's latest applied event, if any. */
  lastEventOf(subject: Hex): EventRow | undefined {
    const row = this.#sql(
      "SELECT idx, subject, state, observed_at, epoch, digest FROM events WHERE subject = ? ORDER BY idx DESC LIMIT 1",
    ).get(subject);
    return row === undefined ? undefined : toEvent(row);
  }

  hasDigest(digest: Hex): boolean {
    return this.#sql("SELECT 1 FROM events WHERE digest = ?").get(digest) !== undefined;
  }

  /** The newest observation time among events applied up to `upTo` (0 when none): the log's clock. */
  logClock(upTo = Number.MAX_SAFE_INTEGER): number {
    const row = this.#sql("SELECT MAX(observed_at) AS t FROM events WHERE idx <= ?").get(upTo) as {
      t: number | null;
    };
    return row.t ?? 0;
  }

  /** Applied events up to index `upTo`, in log order (one subject, or all). */
  events(upTo: number, subject?: Hex): EventRow[] {
    const rows =
      subject === undefined
        ? this.#sql(
            "SELECT idx, subject, state, observed_at, epoch, digest FROM events WHERE idx <= ? ORDER BY idx",
          ).all(upTo)
        : this.#sql(
            "SELECT idx, subject, state, observed_at, epoch, digest FROM events WHERE subject = ? AND idx <= ? ORDER BY idx",
          ).all(subject, upTo);
    return rows.map(toEvent);
  }

  refusals(upTo: number): RefusalRow[] {
    return (
      this.#sql("SELECT idx, reason, detail FROM refusals WHERE idx <= ? ORDER BY idx").all(upTo) as {
        idx: number;
        reason: RefusalReason;
        detail: string;
      }[]
    ).map((r) => ({ index: r.idx, reason: r.reason, detail: r.detail }));
  }

  counts(): { applied: number; refused: number } {
    const applied = (this.#sql("SELECT COUNT(*) AS n FROM events").get() as { n: number }).n;
    const refused = (this.#sql("SELECT COUNT(*) AS n FROM refusals").get() as { n: number }).n;
    return { applied, refused };
  }

  /**
   * sha256 over every row up to index `upTo` (events, then refusals' index and reason), in log
   * order: two replicas with the same digest at the same index hold the same database.
   */
  digest(upTo: number): Hex {
    const hash = createHash("sha256");
    for (const e of this.events(upTo))
      hash.update(`e|${e.index}|${e.subject}|${e.state}|${e.observedAt}|${e.epoch}|${e.digest}\n`);
    for (const r of this.refusals(upTo)) hash.update(`r|${r.index}|${r.reason}\n`);
    return `0x${hash.digest("hex")}`;
  }

  close(): void {
    this.#db.close();
  }
}

function toEvent(row: unknown): EventRow {
  const r = row as {
    idx: number;
    subject: Hex;
    state: Liveness;
    observed_at: number;
    epoch: number;
    digest: Hex;
  };
  return {
    index: r.idx,
    subject: r.subject,
    state: r.state,
    observedAt: r.observed_at,
    epoch: r.epoch,
    digest: r.digest,
  };
}
