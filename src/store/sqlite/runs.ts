import type { SqliteDatabase } from "./driver.js";
import type {
  CreateRunOutcome,
  DefinitionReplacement,
  LeaseState,
  NewRun,
  RunPatch,
  RunQuery,
  RunRecord,
} from "../../engine/journal.js";
import type { LeaseHolder } from "../lease.js";

/**
 * The runs and their definitions. A definition is stored once per version (keyed by its hash), not
 * in each run's row: every run of a workflow version shares the same few kilobytes of JSON, which
 * in the runs row made each run a page of its own, rewritten on every status or lease change.
 */
export const RUNS_V1 = `
CREATE TABLE runs (
  id               TEXT PRIMARY KEY,
  workflow         TEXT NOT NULL,
  definition_hash  TEXT NOT NULL,
  source           TEXT,
  trigger          TEXT NOT NULL,
  correlation_id   TEXT NOT NULL,
  inputs           TEXT NOT NULL,
  -- The run's idempotency key, unique among runs that have one (the index decides a race between
  -- processes starting one key), and the host's metadata (plain JSON, '{}' for none).
  run_key          TEXT,
  metadata         TEXT NOT NULL DEFAULT '{}',
  status           TEXT NOT NULL,
  reason           TEXT,
  error            TEXT,
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  finished_at      INTEGER
);
CREATE INDEX runs_status ON runs (status);
CREATE INDEX runs_created_at ON runs (created_at);
CREATE UNIQUE INDEX runs_key ON runs (run_key) WHERE run_key IS NOT NULL;
CREATE TABLE definitions (
  hash TEXT PRIMARY KEY,
  body TEXT NOT NULL
) WITHOUT ROWID;
`;

/** Runs with their definitions, as every read wants them. */
const RUNS =
  "SELECT runs.*, definitions.body AS definition FROM runs JOIN definitions ON definitions.hash = runs.definition_hash";

interface RunRow {
  id: string;
  workflow: string;
  definition: string;
  definition_hash: string;
  source: string | null;
  trigger: string;
  correlation_id: string;
  inputs: string;
  run_key: string | null;
  metadata: string;
  status: RunRecord["status"];
  reason: RunRecord["reason"];
  error: string | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  cancel_requested: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

const toRecord = (r: RunRow): RunRecord => ({
  id: r.id,
  workflow: r.workflow,
  definition: JSON.parse(r.definition),
  definitionHash: r.definition_hash,
  source: r.source,
  trigger: JSON.parse(r.trigger),
  correlationId: r.correlation_id,
  inputs: JSON.parse(r.inputs),
  key: r.run_key,
  metadata: JSON.parse(r.metadata),
  status: r.status,
  reason: r.reason,
  error: r.error === null ? null : JSON.parse(r.error),
  leaseOwner: r.lease_owner,
  leaseExpiresAt: r.lease_expires_at,
  cancelRequested: r.cancel_requested !== 0,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
});

const has = (value: unknown): number => (value === undefined ? 0 : 1);

/** The runs table's prepared statements, behind typed methods. */
export function runTable(db: SqliteDatabase) {
  const insertDefinition = db.prepare("INSERT INTO definitions (hash, body) VALUES (?, ?)");
  const hasDefinition = db.prepare("SELECT 1 FROM definitions WHERE hash = ?").pluck();
  const insert = db.prepare(
    `INSERT INTO runs (id, workflow, definition_hash, source, trigger, correlation_id, inputs,
       run_key, metadata, status, lease_owner, lease_expires_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)`,
  );
  const byKey = db.prepare("SELECT id FROM runs WHERE run_key = ?").pluck();
  const get = db.prepare(`${RUNS} WHERE runs.id = ?`);
  /** `byKey`: the key is given, and looked up in its index (an `IS NULL OR` would scan every run). */
  const listing = (byKey: boolean) =>
    db.prepare(
      `${RUNS}
     WHERE ${byKey ? "run_key = @key" : "1"}
       AND (@statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)))
       AND (@workflow IS NULL OR workflow = @workflow)
       AND (@since IS NULL OR runs.created_at >= @since)
       AND (@metadata IS NULL OR NOT EXISTS (
         SELECT 1 FROM json_each(@metadata) AS wanted
         WHERE NOT EXISTS (
           SELECT 1 FROM json_each(runs.metadata) AS has
           WHERE has.key = wanted.key AND has.type = wanted.type AND has.value IS wanted.value)))
     ORDER BY runs.created_at DESC, runs.rowid DESC LIMIT @limit`,
    );
  const list = listing(false);
  const listByKey = listing(true);
  const lease = db.prepare("SELECT lease_owner, lease_expires_at, cancel_requested FROM runs WHERE id = ?");
  const leaseStates = db.prepare(
    `SELECT id, lease_owner, lease_expires_at, cancel_requested FROM runs
     WHERE id IN (SELECT value FROM json_each(?))`,
  );
  const setLease = db.prepare("UPDATE runs SET lease_owner = ?, lease_expires_at = ? WHERE id = ?");
  const cancel = db.prepare("UPDATE runs SET cancel_requested = 1 WHERE id = ?");
  const redefine = db.prepare(
    "UPDATE runs SET workflow = ?, definition_hash = ?, inputs = ?, updated_at = ? WHERE id = ?",
  );
  const update = db.prepare(
    `UPDATE runs SET
       status = CASE WHEN @hasStatus THEN @status ELSE status END,
       reason = CASE WHEN @hasReason THEN @reason ELSE reason END,
       error = CASE WHEN @hasError THEN @error ELSE error END,
       finished_at = CASE WHEN @hasFinishedAt THEN @finishedAt ELSE finished_at END,
       lease_expires_at = CASE WHEN lease_owner = @releaseLeaseOf THEN NULL ELSE lease_expires_at END,
       lease_owner = CASE WHEN lease_owner = @releaseLeaseOf THEN NULL ELSE lease_owner END,
       updated_at = @updatedAt
     WHERE id = @id`,
  );

  return {
    /**
     * Inserts the run unless another run has its key (that run is named, nothing is written).
     * Called inside a write transaction, so the check and the insert are one step. Throws
     * SQLITE_CONSTRAINT_PRIMARYKEY when the id exists.
     */
    insert(run: NewRun): CreateRunOutcome {
      const key = run.key ?? null;
      const existing = key === null ? undefined : (byKey.get(key) as string | undefined);
      if (existing !== undefined) return { created: false, reason: "duplicate_key", existing };
      // Most runs start a version already stored: a lookup instead of serialising the definition.
      if (hasDefinition.get(run.definitionHash) === undefined) {
        insertDefinition.run(run.definitionHash, JSON.stringify(run.definition));
      }
      insert.run(
        run.id,
        run.workflow,
        run.definitionHash,
        run.source ?? null,
        JSON.stringify(run.trigger),
        run.correlationId,
        JSON.stringify(run.inputs),
        key,
        JSON.stringify(run.metadata ?? {}),
        run.lease.owner,
        run.lease.expiresAt,
        run.createdAt,
        run.createdAt,
      );
      return { created: true };
    },
    get: (id: string): RunRecord | undefined => {
      const row = get.get(id) as RunRow | undefined;
      return row && toRecord(row);
    },
    list: (q: RunQuery = {}): RunRecord[] =>
      (
        (q.key === undefined ? list : listByKey).all({
          statuses: q.status ? JSON.stringify(q.status) : null,
          workflow: q.workflow ?? null,
          since: q.createdSince ?? null,
          ...(q.key === undefined ? {} : { key: q.key }),
          metadata: q.metadata ? JSON.stringify(q.metadata) : null,
          limit: q.limit ?? -1,
        }) as RunRow[]
      ).map(toRecord),
    lease(id: string): (LeaseHolder & { cancelRequested: boolean }) | undefined {
      const row = lease.get(id) as
        Pick<RunRow, "lease_owner" | "lease_expires_at" | "cancel_requested"> | undefined;
      if (!row) return undefined;
      const { lease_owner, lease_expires_at, cancel_requested } = row;
      return {
        leaseOwner: lease_owner,
        leaseExpiresAt: lease_expires_at,
        cancelRequested: cancel_requested !== 0,
      };
    },
    leaseStates: (ids: readonly string[]): LeaseState[] =>
      (
        leaseStates.all(JSON.stringify(ids)) as Array<
          Pick<RunRow, "id" | "lease_owner" | "lease_expires_at" | "cancel_requested">
        >
      ).map((r) => ({
        runId: r.id,
        leaseOwner: r.lease_owner,
        leaseExpiresAt: r.lease_expires_at,
        cancelRequested: r.cancel_requested !== 0,
      })),
    setLease: (id: string, owner: string | null, expiresAt: number | null): void => {
      setLease.run(owner, expiresAt, id);
    },
    /** Returns false when no such run. */
    requestCancel: (id: string): boolean => cancel.run(id).changes > 0,
    /** The run's definition, workflow name and inputs replaced; false when no such run. */
    redefine(id: string, r: DefinitionReplacement): boolean {
      if (hasDefinition.get(r.definitionHash) === undefined) {
        insertDefinition.run(r.definitionHash, JSON.stringify(r.definition));
      }
      return (
        redefine.run(r.workflow, r.definitionHash, JSON.stringify(r.inputs), r.updatedAt, id).changes > 0
      );
    },
    /** Returns false when no such run. */
    update: (id: string, p: RunPatch): boolean =>
      update.run({
        id,
        hasStatus: has(p.status),
        status: p.status ?? null,
        hasReason: has(p.reason),
        reason: p.reason ?? null,
        hasError: has(p.error),
        error: p.error == null ? null : JSON.stringify(p.error),
        hasFinishedAt: has(p.finishedAt),
        finishedAt: p.finishedAt ?? null,
        updatedAt: p.updatedAt,
        releaseLeaseOf: p.releaseLeaseOf ?? null,
      }).changes > 0,
  };
}

export type RunTable = ReturnType<typeof runTable>;
