import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { StoreError, storeErrorFrom } from "../errors.js";
import { backupDatabase, connect, type SqliteDatabase, type SqliteDriver } from "./driver.js";
import { inspectJournalFile, JOURNAL_DIR_MODE, JOURNAL_FILE_MODE } from "./journal-file.js";

/** A snapshot written: its path and its size in bytes. */
export interface JournalSnapshot {
  path: string;
  bytes: number;
}

/**
 * Writes a consistent copy of the open database `db` (at `source`) to `dest`, with SQLite's
 * online backup API (never a copy of the live file and its WAL): into a temporary file beside
 * `dest` (0600), switched to a rollback journal so that it is one self-contained file, then
 * renamed over `dest`. `dest` may be missing or an earlier snapshot; anything else there (a
 * foreign file, a directory, a database with a `-wal` beside it, the journal itself) is refused
 * with StoreError naming it.
 */
export async function writeSnapshot(
  db: SqliteDatabase,
  driver: SqliteDriver,
  source: string,
  dest: string,
): Promise<JournalSnapshot> {
  refuseDestination(source, dest);
  const temp = `${dest}.${process.pid}-${Date.now().toString(36)}.partial`;
  try {
    mkdirSync(dirname(resolve(dest)), { recursive: true, mode: JOURNAL_DIR_MODE });
    closeSync(openSync(temp, "wx", JOURNAL_FILE_MODE));
    await backupDatabase(db, temp);
    const copy = connect(driver, temp, {});
    try {
      copy.pragma("journal_mode = DELETE");
    } finally {
      copy.close();
    }
    chmodSync(temp, JOURNAL_FILE_MODE);
    renameSync(temp, dest);
    return { path: dest, bytes: statSync(dest).size };
  } catch (e) {
    for (const suffix of ["", "-journal", "-wal", "-shm"]) rmSync(temp + suffix, { force: true });
    throw storeErrorFrom(dest, e);
  }
}

function refuseDestination(source: string, dest: string): void {
  const refuse = (why: string) =>
    new StoreError("bad_path", `cannot write a snapshot to ${dest}: ${why}; choose another path`, dest);
  if (source !== ":memory:" && resolve(source) === resolve(dest)) throw refuse("it is the journal itself");
  inspectJournalFile(dest); // a directory, a device or a file that is not SQLite: refused
  if (existsSync(`${dest}-wal`)) throw refuse(`${dest}-wal exists: it may be a database in use`);
}
