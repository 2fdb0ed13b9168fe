import type { SqliteDatabase } from "./driver.js";
import { StoreError } from "../errors.js";
import { ATTEMPTS_V1 } from "./attempts.js";
import { BREAKERS_V1 } from "./breakers.js";
import { CHECKPOINTS_V1 } from "./checkpoints.js";
import { EVENTS_V1 } from "./events.js";
import { PROCESSES_V1 } from "./processes.js";
import { RUNS_V1 } from "./runs.js";
import { SIGNALS_V1 } from "./signals.js";
import { STEP_LOGS_V1 } from "./step-logs.js";

/** One schema change. `version` is what PRAGMA user_version holds once it is applied. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * In order; append only once released. Nothing has been released yet: version 1 creates the whole
 * schema as it is today (the development history v1-v5 was squashed into it), and a journal file
 * from before the squash (user_version above 1 with older tables) is not supported.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial",
    sql:
      RUNS_V1 +
      ATTEMPTS_V1 +
      CHECKPOINTS_V1 +
      EVENTS_V1 +
      BREAKERS_V1 +
      STEP_LOGS_V1 +
      PROCESSES_V1 +
      SIGNALS_V1,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

const userVersion = (db: SqliteDatabase): number => db.pragma("user_version", { simple: true }) as number;

/**
 * Brings the schema at `where` (a path, for messages) up to SCHEMA_VERSION, one transaction per
 * migration. Each transaction re-reads the version under the write lock, so two processes opening
 * the same new file do not both apply a migration. Writes (and locks) nothing when the schema is
 * current, so opening a journal never waits for an engine that is writing to it.
 * Returns the version found before migrating.
 */
export function migrate(db: SqliteDatabase, where: string): number {
  const found = userVersion(db);
  refuseNewer(found, where);
  for (const m of MIGRATIONS) {
    if (m.version <= found) continue;
    db.transaction(() => {
      if (userVersion(db) >= m.version) return;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return found;
}

/** For a read-only open, which cannot migrate: the schema must be SCHEMA_VERSION already. */
export function requireCurrentSchema(db: SqliteDatabase, where: string): void {
  const found = userVersion(db);
  refuseNewer(found, where);
  if (found < SCHEMA_VERSION) {
    throw new StoreError(
      "older_schema",
      `${where}: the journal has schema version ${found} and this stageflow uses ${SCHEMA_VERSION}; ` +
        "commands that only read do not upgrade it: run `stageflow resume --all` (or any run) once to upgrade it",
      where,
    );
  }
}

function refuseNewer(found: number, where: string): void {
  if (found > SCHEMA_VERSION) {
    throw new StoreError(
      "newer_schema",
      `${where}: the journal has schema version ${found}, but this stageflow knows only up to ` +
        `${SCHEMA_VERSION}; upgrade stageflow, or choose another location with --db PATH`,
      where,
    );
  }
}
