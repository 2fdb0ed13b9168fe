/**
 * The app's tables in the journal's SQLite file, with a schema version of their own (table
 * `app_schema`), apart from the journal's migrations and its `user_version`: see
 * docs/decisions/0011-app-state-beside-the-journal.md. Every name starts with `app_`, so the two
 * schemas never meet. Append only, CREATE only (never ALTER), like the journal's migrations.
 */
import type Database from "better-sqlite3";
import { migrateSideSchema, type SideSchema, sideSchemaLatest } from "../../store/sqlite/side-schema.js";

/**
 * The inbox: one row per delivery, its payload in a table of its own, so that the worker's
 * status updates rewrite a small row and not the payload's pages (a payload is up to 25 MB;
 * a typical one 5-30 KB).
 */
export const APP_INBOX_V1 = `
CREATE TABLE app_inbox (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'ignored', 'failed')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  error       TEXT,
  finished_at INTEGER
);
CREATE INDEX app_inbox_pending ON app_inbox (received_at) WHERE status = 'pending';
CREATE TABLE app_inbox_payloads (
  id      TEXT PRIMARY KEY REFERENCES app_inbox (id) ON DELETE CASCADE,
  payload TEXT NOT NULL
);
`;

export const APP_REPORT_TARGETS_V1 = `
CREATE TABLE app_report_targets (
  run_id          TEXT PRIMARY KEY,
  installation_id INTEGER NOT NULL,
  owner           TEXT NOT NULL,
  repo            TEXT NOT NULL,
  issue_number    INTEGER NOT NULL,
  head_sha        TEXT,
  check_run_id    INTEGER,
  comment_id      INTEGER
);
`;

export const APP_DISPATCHES_V1 = `
CREATE TABLE app_dispatches (
  key             TEXT PRIMARY KEY,
  run_id          TEXT NOT NULL,
  step_id         TEXT NOT NULL,
  signal          TEXT NOT NULL,
  installation_id INTEGER,
  owner           TEXT NOT NULL,
  repo            TEXT NOT NULL,
  workflow        TEXT NOT NULL,
  workflow_run_id INTEGER NOT NULL,
  url             TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('waiting', 'completed')),
  created_at      INTEGER NOT NULL
);
CREATE INDEX app_dispatches_workflow_run ON app_dispatches (workflow_run_id);
CREATE INDEX app_dispatches_waiting ON app_dispatches (created_at) WHERE status = 'waiting';
`;

export const APP_CURSORS_V1 = `
CREATE TABLE app_cursors (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
`;

export interface AppMigration {
  version: number;
  name: string;
  sql: string;
}

/** In order; append only once released. */
export const APP_MIGRATIONS: readonly AppMigration[] = [
  {
    version: 1,
    name: "inbox, report targets, dispatches, cursors",
    sql: APP_INBOX_V1 + APP_REPORT_TARGETS_V1 + APP_DISPATCHES_V1 + APP_CURSORS_V1,
  },
];

export const APP_SCHEMA: SideSchema = {
  table: "app_schema",
  migrations: APP_MIGRATIONS,
  what: "the app's tables",
  advice: "upgrade stageflow, or set STAGEFLOW_DB to another file",
};

export const APP_SCHEMA_VERSION = sideSchemaLatest(APP_SCHEMA);

/** Brings the app's tables at `where` (a path, for messages) up to APP_SCHEMA_VERSION (migrateSideSchema). */
export const migrateAppSchema = (db: Database.Database, where: string): number =>
  migrateSideSchema(db, APP_SCHEMA, where);
