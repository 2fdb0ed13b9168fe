import type Database from "better-sqlite3";
import type { CheckpointRecord, NewCheckpoint } from "../../engine/journal.js";
import type { UnreadableCheckpoint } from "../checksums.js";

export const CHECKPOINTS_V1 = `
CREATE TABLE checkpoints (
  run_id      TEXT NOT NULL REFERENCES runs (id),
  step_id     TEXT NOT NULL,
  stage_id    TEXT NOT NULL,
  identity    TEXT NOT NULL,
  status      TEXT NOT NULL,
  reason      TEXT NOT NULL,
  outputs     TEXT NOT NULL,
  attempts    INTEGER NOT NULL,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  checksum    TEXT NOT NULL,
  PRIMARY KEY (run_id, step_id)
) WITHOUT ROWID;
`;

interface CheckpointRow {
  run_id: string;
  step_id: string;
  stage_id: string;
  identity: string;
  status: CheckpointRecord["status"];
  reason: CheckpointRecord["reason"];
  outputs: string;
  attempts: number;
  started_at: number;
  finished_at: number;
  checksum: string;
}

const toRecord = (r: CheckpointRow): CheckpointRecord => ({
  runId: r.run_id,
  stageId: r.stage_id,
  stepId: r.step_id,
  identity: r.identity,
  status: r.status,
  reason: r.reason,
  outputs: JSON.parse(r.outputs),
  attempts: r.attempts,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  checksum: r.checksum,
});

/** The checkpoints table's prepared statements, behind typed methods. */
export function checkpointTable(db: Database.Database) {
  const upsert = db.prepare(
    `INSERT INTO checkpoints
       (run_id, step_id, stage_id, identity, status, reason, outputs, attempts, started_at, finished_at, checksum)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, step_id) DO UPDATE SET
       stage_id = excluded.stage_id, identity = excluded.identity, status = excluded.status,
       reason = excluded.reason, outputs = excluded.outputs, attempts = excluded.attempts,
       started_at = excluded.started_at, finished_at = excluded.finished_at, checksum = excluded.checksum`,
  );
  const list = db.prepare("SELECT * FROM checkpoints WHERE run_id = ? ORDER BY finished_at, step_id");
  const all = db.prepare("SELECT * FROM checkpoints ORDER BY run_id, finished_at, step_id");
  const clearFailed = db.prepare("DELETE FROM checkpoints WHERE run_id = ? AND status <> 'succeeded'");

  return {
    /** Inserts or replaces the (run, step) checkpoint. Throws SQLITE_CONSTRAINT_FOREIGNKEY for an unknown run. */
    put(c: NewCheckpoint): void {
      upsert.run(
        c.runId,
        c.stepId,
        c.stageId,
        c.identity,
        c.status,
        c.reason,
        JSON.stringify(c.outputs),
        c.attempts,
        c.startedAt,
        c.finishedAt,
        c.checksum,
      );
    },
    list: (runId: string): CheckpointRecord[] => (list.all(runId) as CheckpointRow[]).map(toRecord),
    /** Every checkpoint, one at a time (for verify); one that cannot be read says why. */
    *each(): Generator<CheckpointRecord | UnreadableCheckpoint> {
      for (const row of all.iterate() as IterableIterator<CheckpointRow>) {
        try {
          yield toRecord(row);
        } catch (e) {
          yield { runId: row.run_id, stepId: row.step_id, unreadable: String(e) };
        }
      }
    },
    clearFailed: (runId: string): void => {
      clearFailed.run(runId);
    },
  };
}

export type CheckpointTable = ReturnType<typeof checkpointTable>;
