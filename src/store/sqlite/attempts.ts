import type { SqliteDatabase } from "./driver.js";
import type { AttemptFinish, AttemptRecord, AttemptStart } from "../../engine/journal.js";
import { INLINE_ATTEMPTS } from "./checkpoints.js";

export const ATTEMPTS_V1 = `
CREATE TABLE attempts (
  run_id      TEXT NOT NULL REFERENCES runs (id),
  step_id     TEXT NOT NULL,
  stage_id    TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  status      TEXT NOT NULL,
  reason      TEXT,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  outputs     TEXT,
  error       TEXT,
  decision    TEXT,
  PRIMARY KEY (run_id, step_id, attempt)
) WITHOUT ROWID;
`;

interface AttemptRow {
  run_id: string;
  step_id: string;
  stage_id: string;
  attempt: number;
  status: AttemptRecord["status"];
  reason: AttemptRecord["reason"];
  started_at: number;
  finished_at: number | null;
  outputs: string | null;
  error: string | null;
  decision: string | null;
}

const toRecord = (r: AttemptRow): AttemptRecord => ({
  runId: r.run_id,
  stageId: r.stage_id,
  stepId: r.step_id,
  attempt: r.attempt,
  status: r.status,
  reason: r.reason,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  outputs: r.outputs === null ? null : JSON.parse(r.outputs),
  error: r.error === null ? null : JSON.parse(r.error),
  decision: r.decision,
});

const jsonOrNull = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/** The attempts table's prepared statements, behind typed methods. */
export function attemptTable(db: SqliteDatabase) {
  const insert = db.prepare(
    `INSERT INTO attempts (run_id, step_id, stage_id, attempt, status, started_at)
     VALUES (?, ?, ?, ?, 'running', ?)`,
  );
  const insertFinished = db.prepare(
    `INSERT INTO attempts (run_id, step_id, stage_id, attempt, status, reason, started_at, finished_at, outputs, error, decision)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const finish = db.prepare(
    `UPDATE attempts SET status = ?, reason = ?, finished_at = ?, outputs = ?, error = ?, decision = ?
     WHERE run_id = ? AND step_id = ? AND attempt = ?`,
  );
  // With the attempts stored in their checkpoint (schema v3, see checkpoints.ts).
  const list = db.prepare(
    `SELECT run_id, step_id, stage_id, attempt, status, reason, started_at, finished_at, outputs, error, decision
     FROM attempts WHERE run_id = ?
     UNION ALL ${INLINE_ATTEMPTS}
     ORDER BY started_at, attempt, step_id`,
  );

  return {
    /** Throws SQLITE_CONSTRAINT_FOREIGNKEY (unknown run) or _PRIMARYKEY (attempt exists). */
    start(a: AttemptStart): void {
      insert.run(a.runId, a.stepId, a.stageId, a.attempt, a.startedAt);
    },
    /** An attempt that started and finished before either was written: one row, final at once. */
    startFinished(a: AttemptStart, f: AttemptFinish): void {
      insertFinished.run(
        a.runId,
        a.stepId,
        a.stageId,
        a.attempt,
        f.status,
        f.reason,
        a.startedAt,
        f.finishedAt,
        jsonOrNull(f.outputs),
        jsonOrNull(f.error),
        f.decision ?? null,
      );
    },
    /** Returns false when the attempt was never started. */
    finish: (a: AttemptFinish): boolean =>
      finish.run(
        a.status,
        a.reason,
        a.finishedAt,
        jsonOrNull(a.outputs),
        jsonOrNull(a.error),
        a.decision ?? null,
        a.runId,
        a.stepId,
        a.attempt,
      ).changes > 0,
    list: (runId: string): AttemptRecord[] => (list.all(runId, runId) as AttemptRow[]).map(toRecord),
  };
}

export type AttemptTable = ReturnType<typeof attemptTable>;
