/**
 * `stageflow/sqlite`: the embedded SQLite journal, on the native better-sqlite3 addon (the default,
 * loaded when a journal is opened) or on Node's built-in node:sqlite (`driver: "node:sqlite"`).
 *
 *   import { createSqliteJournal } from "stageflow/sqlite";
 *   const journal = createSqliteJournal({ path: ".stageflow/state.db" });
 */
export { type SqliteDatabase, type SqliteDriver } from "./store/sqlite/driver.js";
export { createSqliteJournal, SqliteJournal, type SqliteJournalOptions } from "./store/sqlite/journal.js";
export { type JournalSnapshot } from "./store/sqlite/snapshot.js";
export { verifyJournalSnapshot } from "./store/sqlite/verify-snapshot.js";
export {
  inspectJournalFile,
  JOURNAL_DIR_MODE,
  JOURNAL_FILE_MODE,
  type JournalFileState,
} from "./store/sqlite/journal-file.js";
export { SCHEMA_VERSION } from "./store/sqlite/migrations.js";
export { type Durability } from "./store/sqlite/open.js";
export { isStoreError, StoreError, type StoreErrorCode } from "./store/errors.js";
export {
  createSqliteSampleStore,
  type SqliteSampleStore,
  type SqliteSampleStoreOptions,
} from "./store/sqlite/samples.js";
