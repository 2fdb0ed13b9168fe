/**
 * The resource sampler's samples (src/observe/samples.ts) in the journal's SQLite file, on a
 * connection of their own: WAL and the journal's pragmas, like the app's store. Their tables have
 * a schema version of their own (table `observe_schema`), apart from the journal's migrations and
 * its `user_version`; every name starts with `observe_`. Append only, CREATE only.
 *
 * Samples are best effort: an append waits at most `busyTimeoutMs` for the write lock (the
 * sampler runs on the event loop the engine runs on) and its failure is the sampler's to count.
 * Old samples are pruned by age and by count every `pruneEvery` appends.
 */
import type { HostSample, SampleReader, SampleSink } from "../../observe/samples.js";
import { StoreError, storeErrorFrom } from "../errors.js";
import {
  checkDriver,
  connect,
  type SqliteDatabase,
  type SqliteDriver,
  type SqliteStatement,
} from "./driver.js";
import { inspectJournalFile, prepareJournalFile } from "./journal-file.js";
import { type Durability, journalPragmas } from "./open.js";
import {
  hasTable,
  migrateSideSchema,
  refuseNewerSideSchema,
  type SideSchema,
  sideSchemaLatest,
  sideSchemaVersion,
} from "./side-schema.js";

export const OBSERVE_SAMPLES_V1 = `
CREATE TABLE observe_samples (
  id               INTEGER PRIMARY KEY,
  at               INTEGER NOT NULL,
  host             TEXT NOT NULL,
  active_runs      INTEGER NOT NULL,
  rss_bytes        INTEGER NOT NULL,
  heap_used_bytes  INTEGER NOT NULL,
  heap_total_bytes INTEGER NOT NULL,
  lag_mean_ms      REAL,
  lag_p99_ms       REAL,
  lag_max_ms       REAL
);
CREATE INDEX observe_samples_at ON observe_samples (at);
`;

/** In order; append only once released. */
export const OBSERVE_MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  { version: 1, name: "samples", sql: OBSERVE_SAMPLES_V1 },
];

const OBSERVE_SCHEMA: SideSchema = {
  table: "observe_schema",
  migrations: OBSERVE_MIGRATIONS,
  what: "the resource samples' tables",
  advice: "upgrade stageflow",
};

export const OBSERVE_SCHEMA_VERSION = sideSchemaLatest(OBSERVE_SCHEMA);

export interface SqliteSampleStoreOptions {
  /** The database file (normally the journal's); created with its directory when missing (writable). */
  path: string;
  /**
   * Only read: nothing is created or written; a file without the samples' tables (older, or never
   * sampled) reads as no samples. A missing file is StoreError `missing`. @default false
   */
  readOnly?: boolean;
  /** Samples kept at most (the oldest pruned first). @default 100000 */
  maxRows?: number;
  /** Samples older than this, by the newest sample's time, are pruned. @default 14 days */
  maxAgeMs?: number;
  /** Prune at the first append and then every this many appends. @default 500 */
  pruneEvery?: number;
  /** The longest an append waits for the write lock. @default 250 */
  busyTimeoutMs?: number;
  /** @default "process" */
  durability?: Durability;
  /** @default "better-sqlite3" */
  driver?: SqliteDriver;
}

export interface SqliteSampleStore extends SampleSink, SampleReader {
  readonly path: string;
  /** The connection (for pragmas the host sets, e.g. the app's checkpoints). */
  readonly db: SqliteDatabase;
  /** Deletes samples older than `maxAgeMs` before `now` and all but the newest `maxRows`; returns how many. */
  prune(now: number): number;
  /** Deletes every sample taken before `at` (ms since the epoch); returns how many (`stageflow prune`). */
  deleteBefore(at: number): number;
  /** Samples stored. */
  count(): number;
  close(): void;
}

interface SampleRow {
  at: number;
  host: string;
  active_runs: number;
  rss_bytes: number;
  heap_used_bytes: number;
  heap_total_bytes: number;
  lag_mean_ms: number | null;
  lag_p99_ms: number | null;
  lag_max_ms: number | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Opens the sample store at `path` (creating its tables unless `readOnly`). Throws StoreError naming the path. */
export function createSqliteSampleStore(options: SqliteSampleStoreOptions): SqliteSampleStore {
  const { path, readOnly = false } = options;
  const maxRows = positive("maxRows", options.maxRows ?? 100_000);
  const maxAgeMs = positive("maxAgeMs", options.maxAgeMs ?? 14 * DAY_MS);
  const pruneEvery = positive("pruneEvery", options.pruneEvery ?? 500);
  const busyTimeoutMs = Math.max(0, options.busyTimeoutMs ?? 250);
  const driver = checkDriver(options.driver);
  if (readOnly) {
    if (path === ":memory:") throw new TypeError("a read-only sample store needs a file, not :memory:");
    if (inspectJournalFile(path) !== "sqlite") {
      throw new StoreError("missing", `no journal at ${path} (nothing has run with this --db yet)`, path);
    }
  } else if (path !== ":memory:") prepareJournalFile(path);
  let db: SqliteDatabase;
  try {
    db = connect(driver, path, readOnly ? { readonly: true, fileMustExist: true } : {});
  } catch (e) {
    throw storeErrorFrom(path, e);
  }
  try {
    if (readOnly) {
      db.pragma("busy_timeout = 5000");
      refuseNewerSideSchema(OBSERVE_SCHEMA, sideSchemaVersion(db, OBSERVE_SCHEMA), path);
    } else {
      for (const pragma of journalPragmas(options.durability ?? "process")) db.pragma(pragma);
      migrateSideSchema(db, OBSERVE_SCHEMA, path);
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    }
    return new Store(db, path, readOnly, { maxRows, maxAgeMs, pruneEvery });
  } catch (e) {
    db.close();
    throw storeErrorFrom(path, e);
  }
}

class Store implements SqliteSampleStore {
  private insert: SqliteStatement | undefined;
  private select: SqliteStatement | undefined;
  private appends = 0;
  private closed = false;

  constructor(
    readonly db: SqliteDatabase,
    readonly path: string,
    private readonly readOnly: boolean,
    private readonly limits: { maxRows: number; maxAgeMs: number; pruneEvery: number },
  ) {
    if (!readOnly) this.prepare();
  }

  /** As `open`, and refuses a store opened read-only. */
  private openWritable(): void {
    this.open();
    if (this.readOnly) {
      throw new StoreError("read_only", `the sample store at ${this.path} was opened read-only`, this.path);
    }
  }

  append(sample: HostSample): void {
    this.openWritable();
    try {
      this.insert!.run(
        Math.round(sample.at),
        sample.host,
        sample.activeRuns,
        sample.rssBytes,
        sample.heapUsedBytes,
        sample.heapTotalBytes,
        sample.loopLagMs?.mean ?? null,
        sample.loopLagMs?.p99 ?? null,
        sample.loopLagMs?.max ?? null,
      );
      if (this.appends++ % this.limits.pruneEvery === 0) this.prune(sample.at);
    } catch (e) {
      throw storeErrorFrom(this.path, e);
    }
  }

  between(from: number, to: number): HostSample[] {
    this.open();
    // Read-only: the tables may be created after the open (or never: an older file).
    if (!this.select && !this.prepare()) return [];
    try {
      return (this.select!.all(from, to) as SampleRow[]).map(sampleOf);
    } catch (e) {
      throw storeErrorFrom(this.path, e);
    }
  }

  prune(now: number): number {
    this.open();
    const { maxAgeMs, maxRows } = this.limits;
    return this.db.transaction(() => {
      let deleted = this.db.prepare("DELETE FROM observe_samples WHERE at < ?").run(now - maxAgeMs).changes;
      deleted += this.db
        .prepare(
          "DELETE FROM observe_samples WHERE id <= (SELECT id FROM observe_samples ORDER BY id DESC LIMIT 1 OFFSET ?)",
        )
        .run(maxRows).changes;
      return deleted;
    })();
  }

  deleteBefore(at: number): number {
    this.openWritable();
    try {
      return this.db.prepare("DELETE FROM observe_samples WHERE at < ?").run(Math.round(at)).changes;
    } catch (e) {
      throw storeErrorFrom(this.path, e);
    }
  }

  count(): number {
    this.open();
    if (!this.select && !this.prepare()) return 0;
    return this.db.prepare("SELECT count(*) FROM observe_samples").pluck().get() as number;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  /** Prepares the statements; false when the samples' table does not exist (read-only). */
  private prepare(): boolean {
    if (!hasTable(this.db, "observe_samples")) return false;
    this.select = this.db.prepare(
      "SELECT at, host, active_runs, rss_bytes, heap_used_bytes, heap_total_bytes, lag_mean_ms, lag_p99_ms, lag_max_ms " +
        "FROM observe_samples WHERE at >= ? AND at <= ? ORDER BY at, id",
    );
    if (!this.readOnly) {
      this.insert = this.db.prepare(
        "INSERT INTO observe_samples (at, host, active_runs, rss_bytes, heap_used_bytes, heap_total_bytes, " +
          "lag_mean_ms, lag_p99_ms, lag_max_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      );
    }
    return true;
  }

  private open(): void {
    if (this.closed) throw new StoreError("closed", `the sample store at ${this.path} is closed`, this.path);
  }
}

const sampleOf = (r: SampleRow): HostSample => ({
  at: r.at,
  host: r.host,
  activeRuns: r.active_runs,
  rssBytes: r.rss_bytes,
  heapUsedBytes: r.heap_used_bytes,
  heapTotalBytes: r.heap_total_bytes,
  loopLagMs:
    r.lag_mean_ms === null || r.lag_p99_ms === null || r.lag_max_ms === null
      ? null
      : { mean: r.lag_mean_ms, p99: r.lag_p99_ms, max: r.lag_max_ms },
});

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new TypeError(`sample store ${name}: expected a positive number, got ${value}`);
  return value;
}
