import { closeSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { StoreError, storeErrorFrom } from "../errors.js";
import { migrate } from "./migrations.js";

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
}

const SQLITE_MAGIC = Buffer.from("SQLite format 3\0", "latin1");

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
 * Opens (creating it and its directory when missing) the SQLite database at `path`, sets the
 * pragmas for `durability`, and migrates the schema. An existing file that is not an SQLite
 * database is refused and left byte-for-byte unchanged. Throws StoreError (`not_sqlite`,
 * `read_only`, `newer_schema`, `locked`) naming the path.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Database.Database {
  const durability = options.durability ?? "process";
  if (durability !== "process" && durability !== "machine") {
    throw new TypeError(`durability must be "process" or "machine", got ${JSON.stringify(durability)}`);
  }
  if (path !== ":memory:") checkFile(path);
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (e) {
    throw storeErrorFrom(path, e);
  }
  try {
    for (const pragma of journalPragmas(durability)) db.pragma(pragma);
    migrate(db, path);
  } catch (e) {
    db.close();
    throw storeErrorFrom(path, e);
  }
  return db;
}

/** Creates the parent directory; refuses an existing non-empty file that is not SQLite. */
function checkFile(path: string): void {
  try {
    mkdirSync(dirname(resolve(path)), { recursive: true });
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
      throw new StoreError("not_sqlite", `${path}: is a directory, not an SQLite database`, path);
    }
    const header = readHeader(path);
    if (header && header.length > 0 && !header.equals(SQLITE_MAGIC)) {
      throw new StoreError("not_sqlite", `${path}: not an SQLite database (refusing to touch it)`, path);
    }
  } catch (e) {
    throw storeErrorFrom(path, e);
  }
}

/** Up to the first 16 bytes of the file, or undefined when it does not exist. */
function readHeader(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    const buf = Buffer.alloc(16);
    return buf.subarray(0, readSync(fd, buf, 0, 16, 0));
  } finally {
    closeSync(fd);
  }
}
