import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { Hex } from "viem";

/**
 * The node's durable state, one SQLite file in the data directory (`sequencer.db`).
 *
 * Durability: the database runs in WAL mode. With `synchronous=NORMAL` (the default) a committed
 * transaction survives a crash of the process (the WAL is in the OS page cache, which the kernel
 * writes out), but the last transactions before a power loss or kernel crash may be lost. With
 * `--fsync` (`synchronous=FULL`) every commit is fsynced first and survives those too, at the
 * cost of one fsync per round and per acknowledged client request.
 *
 * Certificates and the new view are kept as the library's JSON (the store does not interpret
 * them); entries and pending batches as their raw columns.
 */

export interface StoredEntry {
  readonly index: number;
  readonly id: Hex;
  readonly body: Uint8Array;
  readonly chainHash: Hex;
}

export interface PendingRow {
  readonly app: string;
  readonly id: Hex;
  readonly body: Uint8Array;
  readonly receivedAt: number;
  readonly forwardedAt: number | null;
}

/** What restart loads for one app. */
export interface StoredApp {
  readonly app: string;
  /** id and chain hash of every entry, index 1 first. */
  readonly entries: { id: Hex; chainHash: Hex }[];
  readonly lockJson: string | null;
  /** Every finality point kept, ascending by index. */
  readonly finality: { index: number; json: string }[];
}

export interface StoreOptions {
  /** synchronous=FULL instead of NORMAL: commits survive power loss, not only a process crash. */
  readonly fsync?: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  app TEXT NOT NULL, idx INTEGER NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL, chain_hash TEXT NOT NULL,
  PRIMARY KEY (app, idx), UNIQUE (app, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending (
  app TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL, received_at INTEGER NOT NULL, forwarded_at INTEGER,
  PRIMARY KEY (app, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS locks (app TEXT PRIMARY KEY, cert TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS finality (
  app TEXT NOT NULL, idx INTEGER NOT NULL, cert TEXT NOT NULL, PRIMARY KEY (app, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

export class SequencerStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #insertEntry: StatementSync;
  readonly #deleteEntriesAfter: StatementSync;
  readonly #deleteFinalityAfter: StatementSync;
  readonly #readEntries: StatementSync;
  readonly #insertPending: StatementSync;
  readonly #deletePending: StatementSync;
  readonly #markForwarded: StatementSync;
  readonly #putLock: StatementSync;
  readonly #deleteLock: StatementSync;
  readonly #putFinality: StatementSync;
  readonly #getFinality: StatementSync;
  readonly #putMeta: StatementSync;
  readonly #getMeta: StatementSync;
  #depth = 0;
  #closed = false;

  private constructor(path: string, options: StoreOptions) {
    this.path = path;
    this.#db = new DatabaseSync(path);
    this.#db.exec("PRAGMA journal_mode = WAL");
    this.#db.exec(`PRAGMA synchronous = ${options.fsync ? "FULL" : "NORMAL"}`);
    this.#db.exec(SCHEMA);
    this.#insertEntry = this.#db.prepare(
      "INSERT INTO entries (app, idx, id, body, chain_hash) VALUES (?, ?, ?, ?, ?)",
    );
    this.#deleteEntriesAfter = this.#db.prepare("DELETE FROM entries WHERE app = ? AND idx > ?");
    this.#deleteFinalityAfter = this.#db.prepare("DELETE FROM finality WHERE app = ? AND idx > ?");
    this.#readEntries = this.#db.prepare(
      "SELECT idx, id, body, chain_hash FROM entries WHERE app = ? AND idx > ? ORDER BY idx LIMIT ?",
    );
    this.#insertPending = this.#db.prepare(
      "INSERT OR IGNORE INTO pending (app, id, body, received_at, forwarded_at) VALUES (?, ?, ?, ?, NULL)",
    );
    this.#deletePending = this.#db.prepare("DELETE FROM pending WHERE app = ? AND id = ?");
    this.#markForwarded = this.#db.prepare("UPDATE pending SET forwarded_at = ? WHERE app = ? AND id = ?");
    this.#putLock = this.#db.prepare("INSERT OR REPLACE INTO locks (app, cert) VALUES (?, ?)");
    this.#deleteLock = this.#db.prepare("DELETE FROM locks WHERE app = ?");
    this.#putFinality = this.#db.prepare("INSERT OR REPLACE INTO finality (app, idx, cert) VALUES (?, ?, ?)");
    this.#getFinality = this.#db.prepare("SELECT cert FROM finality WHERE app = ? AND idx = ?");
    this.#putMeta = this.#db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    this.#getMeta = this.#db.prepare("SELECT value FROM meta WHERE key = ?");
  }

  /** Opens (creating it if needed) `<dataDir>/sequencer.db`. */
  static open(dataDir: string, options: StoreOptions = {}): SequencerStore {
    mkdirSync(dataDir, { recursive: true });
    return new SequencerStore(join(dataDir, "sequencer.db"), options);
  }

  /** Records a new view that moved the log onto a new operator set (GET /v1/network-changes serves them). */
  addNetworkChange(newViewJson: string): void {
    this.setMeta("network_changes", JSON.stringify([...this.networkChanges(), JSON.parse(newViewJson)]));
  }

  /** The new views that changed the operator set, oldest first (as JSON values). */
  networkChanges(): unknown[] {
    const raw = this.getMeta("network_changes");
    return raw === undefined ? [] : (JSON.parse(raw) as unknown[]);
  }

  /** Runs `work` in one transaction (nested calls join the outer one). */
  transaction<T>(work: () => T): T {
    if (this.#depth > 0) return work();
    this.#db.exec("BEGIN IMMEDIATE");
    this.#depth++;
    try {
      const result = work();
      this.#depth--;
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      this.#depth--;
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Everything a restart needs, per app. */
  loadApps(): StoredApp[] {
    const apps = new Set<string>();
    for (const table of ["entries", "locks", "finality"]) {
      for (const row of this.#db.prepare(`SELECT DISTINCT app FROM ${table}`).all())
        apps.add(String(row.app));
    }
    const entriesOf = this.#db.prepare("SELECT id, chain_hash FROM entries WHERE app = ? ORDER BY idx");
    const lockOf = this.#db.prepare("SELECT cert FROM locks WHERE app = ?");
    const finalityOf = this.#db.prepare("SELECT idx, cert FROM finality WHERE app = ? ORDER BY idx");
    return [...apps].sort().map((app) => {
      const lock = lockOf.get(app);
      return {
        app,
        entries: entriesOf
          .all(app)
          .map((row) => ({ id: String(row.id) as Hex, chainHash: String(row.chain_hash) as Hex })),
        lockJson: lock ? String(lock.cert) : null,
        finality: finalityOf.all(app).map((row) => ({ index: Number(row.idx), json: String(row.cert) })),
      };
    });
  }

  appendEntries(app: string, entries: readonly StoredEntry[]): void {
    this.transaction(() => {
      for (const e of entries) this.#insertEntry.run(app, e.index, e.id, e.body, e.chainHash);
    });
  }

  /** Drops the entries after `index` (a new view's base), and finality points above it (there are none when safe). */
  truncateAfter(app: string, index: number): void {
    this.transaction(() => {
      this.#deleteEntriesAfter.run(app, index);
      this.#deleteFinalityAfter.run(app, index);
    });
  }

  readEntries(app: string, after: number, limit: number): StoredEntry[] {
    return this.#readEntries.all(app, after, limit).map((row) => ({
      index: Number(row.idx),
      id: String(row.id) as Hex,
      body: row.body as Uint8Array,
      chainHash: String(row.chain_hash) as Hex,
    }));
  }

  putLock(app: string, json: string): void {
    this.#putLock.run(app, json);
  }

  deleteLock(app: string): void {
    this.#deleteLock.run(app);
  }

  putFinality(app: string, index: number, json: string): void {
    this.#putFinality.run(app, index, json);
  }

  finalityAt(app: string, index: number): string | undefined {
    const row = this.#getFinality.get(app, index);
    return row ? String(row.cert) : undefined;
  }

  /** Stores client batches as pending; ids already pending are left as they are. */
  addPending(app: string, batches: readonly { id: Hex; body: Uint8Array }[], now: number): void {
    this.transaction(() => {
      for (const b of batches) this.#insertPending.run(app, b.id, b.body, now);
    });
  }

  removePending(app: string, ids: Iterable<Hex>): void {
    this.transaction(() => {
      for (const id of ids) this.#deletePending.run(app, id);
    });
  }

  markForwarded(app: string, ids: Iterable<Hex>, at: number | null): void {
    this.transaction(() => {
      for (const id of ids) this.#markForwarded.run(at, app, id);
    });
  }

  listPending(): PendingRow[] {
    return this.#db
      .prepare("SELECT app, id, body, received_at, forwarded_at FROM pending ORDER BY received_at")
      .all()
      .map((row) => ({
        app: String(row.app),
        id: String(row.id) as Hex,
        body: row.body as Uint8Array,
        receivedAt: Number(row.received_at),
        forwardedAt: row.forwarded_at === null ? null : Number(row.forwarded_at),
      }));
  }

  getMeta(key: string): string | undefined {
    const row = this.#getMeta.get(key);
    return row ? String(row.value) : undefined;
  }

  setMeta(key: string, value: string): void {
    this.#putMeta.run(key, value);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
