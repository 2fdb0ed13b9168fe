import { StoreError, storeErrorFrom } from "../errors.js";
import type { SqliteDriver } from "./driver.js";
import { createSqliteJournal } from "./journal.js";
import { inspectJournalFile } from "./journal-file.js";

/**
 * Checks a journal snapshot (from SqliteJournal.snapshot, e.g. one downloaded from an earlier
 * job) before it is trusted: opened read-only with `driver` (nothing is written, no -wal or
 * -shm is left behind), it must be an SQLite database with this stageflow's schema, pass
 * SQLite's integrity_check and foreign_key_check, and every checkpoint's checksum must match its
 * content. Resolves `{ ok: true, problems: [] }`, or `ok: false` with one line per problem
 * found (damaged pages, checksum mismatch). Throws StoreError naming `path` when the file cannot
 * be read as a journal at all: `missing` (no file, or empty), `not_sqlite`, `bad_path`,
 * `newer_schema` / `older_schema`, `corrupt` (SQLite refused to read it).
 */
export async function verifyJournalSnapshot(
  path: string,
  options: { driver?: SqliteDriver } = {},
): Promise<{ ok: boolean; problems: string[] }> {
  if (inspectJournalFile(path) !== "sqlite") {
    throw new StoreError("missing", `no journal snapshot at ${path} (the file is missing or empty)`, path);
  }
  const journal = createSqliteJournal({ path, readOnly: true, driver: options.driver });
  try {
    return await journal.verify();
  } catch (e) {
    throw storeErrorFrom(path, e);
  } finally {
    await journal.close();
  }
}
