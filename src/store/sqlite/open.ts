import { StoreError, storeErrorFrom } from "../errors.js";
import {
  type ConnectOptions,
  checkDriver,
  connect,
  type SqliteDatabase,
  type SqliteDriver,
} from "./driver.js";
import { inspectJournalFile, prepareJournalFile } from "./journal-file.js";
import { migrate, requireCurrentSchema } from "./migrations.js";

/**
 * What a committed write survives.
 * - `process`: WAL + synchronous=NORMAL. A killed or crashed process loses nothing committed;
 *   a power loss or kernel crash may lose the last few commits (never corrupts the file).
 * - `machine`: WAL + synchronous=FULL. Every commit waits for fsync, so it survives power loss.
 */
export type Durability = "process" | "machine";

export interface OpenOptions {
  /** @default "process" */
  durability?: Durability;
  /**
   * Open for reading only: nothing is created, migrated or written, and no lock is taken that a
   * running engine would wait for. A missing or empty file is StoreError `missing`; a journal
   * that needs a migration is `older_schema`.
   * @default false
   */
  readOnly?: boolean;
  /**
   * The SQLite binding: `node:sqlite` (Node >= 22.16, no native addon) for hosts that cannot
   * load better-sqlite3, such as the Action's bundle. Both read and write the same file format.
   * @default "better-sqlite3"
   */
  driver?: SqliteDriver;
}

/**
 * The pragmas an open journal runs with (busy_timeout first, so the WAL switch can wait).
 * Checkpointing every 10,000 WAL pages (~40 MB) instead of SQLite's 1,000 lets the many small
 * commits of a run rewrite the same hot pages in the WAL instead of copying them into the
 * database each time: about 1.5-2x more commits per second, measured. journal_size_limit
 * truncates the WAL file back after a checkpoint.
 */
export function journalPragmas(durability: Durability): string[] {
  return [
    "busy_timeout = 5000",
    "journal_mode = WAL",
    `synchronous = ${durability === "machine" ? "FULL" : "NORMAL"}`,
    "foreign_keys = ON",
    "wal_autocheckpoint = 10000",
    `journal_size_limit = ${64 * 1024 * 1024}`,
  ];
}

/**
 * Opens the SQLite database at `path`. Writable (the default): creates it (0600) and its
 * directory (0700) when missing, sets the pragmas for `durability` and migrates the schema,
 * writing only when a migration is due. `readOnly`: see OpenOptions. An existing file that is not
 * an SQLite database is refused and left byte-for-byte unchanged. Throws StoreError naming the
 * path (`not_sqlite`, `bad_path`, `read_only`, `newer_schema`, `locked`, `corrupt`, `full`, ...).
 */
export function openDatabase(path: string, options: OpenOptions = {}): SqliteDatabase {
  const durability = options.durability ?? "process";
  if (durability !== "process" && durability !== "machine") {
    throw new TypeError(`durability must be "process" or "machine", got ${JSON.stringify(durability)}`);
  }
  const driver = checkDriver(options.driver);
  if (options.readOnly) return openReadOnly(path, driver);
  if (path !== ":memory:") prepareJournalFile(path);
  const db = open(driver, path, {});
  try {
    for (const pragma of journalPragmas(durability)) db.pragma(pragma);
    migrate(db, path);
  } catch (e) {
    db.close();
    throw storeErrorFrom(path, e);
  }
  return db;
}

function openReadOnly(path: string, driver: SqliteDriver): SqliteDatabase {
  if (path === ":memory:") throw new TypeError("a read-only journal needs a file, not :memory:");
  if (inspectJournalFile(path) !== "sqlite") {
    throw new StoreError("missing", `no journal at ${path} (nothing has run with this --db yet)`, path);
  }
  const db = open(driver, path, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    requireCurrentSchema(db, path);
  } catch (e) {
    db.close();
    throw storeErrorFrom(path, e);
  }
  return db;
}

function open(driver: SqliteDriver, path: string, options: ConnectOptions): SqliteDatabase {
  try {
    return connect(driver, path, options);
  } catch (e) {
    throw storeErrorFrom(path, e);
  }
}
