/**
 * `stageflow/sqlite`: the embedded SQLite journal (loads the native better-sqlite3 addon).
 *
 *   import { createSqliteJournal } from "stageflow/sqlite";
 *   const journal = createSqliteJournal({ path: ".stageflow/state.db" });
 */
export { createSqliteJournal, SqliteJournal, type SqliteJournalOptions } from "./store/sqlite/journal.js";
export {
  inspectJournalFile,
  JOURNAL_DIR_MODE,
  JOURNAL_FILE_MODE,
  type JournalFileState,
} from "./store/sqlite/journal-file.js";
export { SCHEMA_VERSION } from "./store/sqlite/migrations.js";
export { type Durability } from "./store/sqlite/open.js";
export { isStoreError, StoreError, type StoreErrorCode } from "./store/errors.js";
