/**
 * store/: the engine's Journal port on SQLite (better-sqlite3 or node:sqlite, group commit) and in memory.
 * Hosts construct a journal here and hand it to the engine; nothing else opens the database.
 */
export { checksumProblems } from "./checksums.js";
export { isStoreError, sqliteCodeOf, StoreError, type StoreErrorCode } from "./errors.js";
export { isExpired, mayAcquire } from "./lease.js";
export { MemoryJournal } from "./memory/journal.js";
export {
  type SqliteDatabase,
  type SqliteDriver,
  type SqliteStatement,
  type SqliteTransaction,
} from "./sqlite/driver.js";
export { createSqliteJournal, SqliteJournal, type SqliteJournalOptions } from "./sqlite/journal.js";
export { type JournalSnapshot } from "./sqlite/snapshot.js";
export { verifyJournalSnapshot } from "./sqlite/verify-snapshot.js";
export {
  inspectJournalFile,
  JOURNAL_DIR_MODE,
  JOURNAL_FILE_MODE,
  type JournalFileState,
} from "./sqlite/journal-file.js";
export {
  MIGRATIONS,
  type Migration,
  migrate,
  requireCurrentSchema,
  SCHEMA_VERSION,
} from "./sqlite/migrations.js";
export { type Durability, journalPragmas, type OpenOptions, openDatabase } from "./sqlite/open.js";
export {
  createSqliteSampleStore,
  type SqliteSampleStore,
  type SqliteSampleStoreOptions,
} from "./sqlite/samples.js";
