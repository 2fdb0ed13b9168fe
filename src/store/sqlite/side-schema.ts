/**
 * Tables that live in the journal's SQLite file beside the journal's own, with a schema version
 * of their own (a one-row version table, apart from the journal's migrations and its
 * `user_version`): the app's (`app_schema`, src/app/state/schema.ts) and the resource samples'
 * (`observe_schema`, samples.ts). Append only, CREATE only, like the journal's migrations.
 */
import { StoreError } from "../errors.js";

/** What the migrations need of a connection (better-sqlite3's, or the driver seam's). */
interface SchemaDb {
  prepare(sql: string): { get(...params: unknown[]): unknown; run(...params: unknown[]): unknown };
  exec(sql: string): unknown;
  transaction(fn: () => void): { immediate(): void };
}

export interface SideSchema {
  /** The version table's name, e.g. `app_schema`. */
  table: string;
  /** In order; append only once released. */
  migrations: readonly { version: number; name: string; sql: string }[];
  /** The tables, as a newer-schema refusal names them (e.g. "the app's tables"). */
  what: string;
  /** What to do about a newer schema (e.g. "upgrade stageflow"). */
  advice: string;
}

/** The newest version the migrations reach. */
export const sideSchemaLatest = (schema: SideSchema): number => schema.migrations.at(-1)?.version ?? 0;

/** Whether `db` has a table of that name. */
export const hasTable = (db: Pick<SchemaDb, "prepare">, name: string): boolean =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;

/** The schema's version in `db`: 0 when it has none yet. */
export function sideSchemaVersion(db: SchemaDb, schema: SideSchema): number {
  if (!hasTable(db, schema.table)) return 0;
  const row = db.prepare(`SELECT version FROM ${schema.table} WHERE id = 1`).get() as
    { version: number } | undefined;
  return row?.version ?? 0;
}

/** StoreError `newer_schema` when `found` is past what this stageflow knows. */
export function refuseNewerSideSchema(schema: SideSchema, found: number, where: string): void {
  const latest = sideSchemaLatest(schema);
  if (found > latest) {
    throw new StoreError(
      "newer_schema",
      `${where}: ${schema.what} have schema version ${found}, but this stageflow knows only up to ` +
        `${latest}; ${schema.advice}`,
      where,
    );
  }
}

/**
 * Brings the tables at `where` (a path, for messages) up to the schema's latest version, one
 * `BEGIN IMMEDIATE` transaction per migration that re-reads the version under the write lock (two
 * processes opening a new file do not both apply it). Writes nothing when the schema is current.
 * Returns the version found.
 */
export function migrateSideSchema(db: SchemaDb, schema: SideSchema, where: string): number {
  const found = sideSchemaVersion(db, schema);
  refuseNewerSideSchema(schema, found, where);
  for (const m of schema.migrations) {
    if (m.version <= found) continue;
    db.transaction(() => {
      db.exec(`CREATE TABLE IF NOT EXISTS ${schema.table} (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
)`);
      if (sideSchemaVersion(db, schema) >= m.version) return;
      db.exec(m.sql);
      db.prepare(
        `INSERT INTO ${schema.table} (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version`,
      ).run(m.version);
    }).immediate();
  }
  return found;
}
