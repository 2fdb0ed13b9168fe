import type { SqliteDatabase } from "./driver.js";
import type { AttemptFinish, AttemptStart, CheckpointRecord, NewCheckpoint } from "../../engine/journal.js";
import type { UnreadableCheckpoint } from "../checksums.js";
import { DUPLICATE_ATTEMPT } from "./constraints.js";

/**
 * A step that succeeded at its first attempt, started and finished within one group commit, is
 * stored once. Its checkpoint row says so (`inline_attempt = 1`) and stands for attempt 1 too
 * (`listAttempts` reads it from here); the attempts table holds every other attempt. SQLite itself
 * keeps the two tables one set of attempts, whatever statement changes them:
 * - replacing or deleting such a checkpoint first moves its attempt into the attempts table;
 * - attempt 1 of a step cannot be both an attempts row and inline (`duplicate attempt`).
 * Decision record 0007.
 */
const KEEP_INLINE_ATTEMPT = `
  INSERT INTO attempts (run_id, step_id, stage_id, attempt, status, reason, started_at, finished_at, outputs)
  VALUES (old.run_id, old.step_id, old.stage_id, 1, old.status, old.reason, old.started_at, old.finished_at, old.outputs);`;

/** The checkpoints, and the triggers that keep an inlined first attempt (see above). */
export const CHECKPOINTS_V1 = `
CREATE TABLE checkpoints (
  run_id         TEXT NOT NULL REFERENCES runs (id),
  step_id        TEXT NOT NULL,
  stage_id       TEXT NOT NULL,
  identity       TEXT NOT NULL,
  status         TEXT NOT NULL,
  reason         TEXT NOT NULL,
  outputs        TEXT NOT NULL,
  attempts       INTEGER NOT NULL,
  started_at     INTEGER NOT NULL,
  finished_at    INTEGER NOT NULL,
  checksum       TEXT NOT NULL,
  inline_attempt INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, step_id)
) WITHOUT ROWID;
CREATE TRIGGER checkpoints_keep_attempt_on_update AFTER UPDATE ON checkpoints WHEN old.inline_attempt
BEGIN ${KEEP_INLINE_ATTEMPT}
END;
CREATE TRIGGER checkpoints_keep_attempt_on_delete AFTER DELETE ON checkpoints WHEN old.inline_attempt
BEGIN ${KEEP_INLINE_ATTEMPT}
END;
CREATE TRIGGER checkpoints_inline_attempt_is_new BEFORE INSERT ON checkpoints
WHEN new.inline_attempt AND EXISTS (
  SELECT 1 FROM attempts WHERE run_id = new.run_id AND step_id = new.step_id AND attempt = 1)
BEGIN
  SELECT RAISE(ABORT, '${DUPLICATE_ATTEMPT}');
END;
CREATE TRIGGER attempts_not_inline BEFORE INSERT ON attempts
WHEN new.attempt = 1 AND EXISTS (
  SELECT 1 FROM checkpoints WHERE run_id = new.run_id AND step_id = new.step_id AND inline_attempt)
BEGIN
  SELECT RAISE(ABORT, '${DUPLICATE_ATTEMPT}');
END;
`;

/**
 * The columns an attempt inlined in its checkpoint is read from (those of the attempts table, in
 * its order). Its error and decision are null: only a first attempt that succeeded is inlined.
 */
export const INLINE_ATTEMPTS = `
SELECT run_id, step_id, stage_id, 1 AS attempt, status, reason, started_at, finished_at, outputs,
       NULL AS error, NULL AS decision
FROM checkpoints WHERE run_id = ? AND inline_attempt = 1`;

/**
 * Whether `start` + `finish` can be stored as the checkpoint's inline attempt: attempt 1, which
 * succeeded, with no error or decision, and whose every field the checkpoint already holds.
 */
export function inlineable(start: AttemptStart, finish: AttemptFinish, c: NewCheckpoint): boolean {
  return (
    start.attempt === 1 &&
    c.attempts === 1 &&
    finish.status === "succeeded" &&
    c.status === "succeeded" &&
    finish.reason === c.reason &&
    start.stageId === c.stageId &&
    start.startedAt === c.startedAt &&
    finish.finishedAt === c.finishedAt &&
    finish.outputs === c.outputs &&
    finish.error == null &&
    finish.decision == null
  );
}

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
export function checkpointTable(db: SqliteDatabase) {
  const upsert = (values: string) =>
    db.prepare(
      `INSERT INTO checkpoints
         (run_id, step_id, stage_id, identity, status, reason, outputs, attempts, started_at, finished_at, checksum,
          inline_attempt)
       VALUES (${values})
       ON CONFLICT (run_id, step_id) DO UPDATE SET
         stage_id = excluded.stage_id, identity = excluded.identity, status = excluded.status,
         reason = excluded.reason, outputs = excluded.outputs, attempts = excluded.attempts,
         started_at = excluded.started_at, finished_at = excluded.finished_at, checksum = excluded.checksum,
         inline_attempt = excluded.inline_attempt`,
    );
  const put = upsert("?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0");
  // What `inlineable` guarantees is written as constants: fewer values to bind on the hot path.
  const putInline = upsert("?, ?, ?, ?, 'succeeded', 'succeeded', ?, 1, ?, ?, ?, 1");
  const list = db.prepare("SELECT * FROM checkpoints WHERE run_id = ? ORDER BY finished_at, step_id");
  const all = db.prepare("SELECT * FROM checkpoints ORDER BY run_id, finished_at, step_id");
  const clearFailed = db.prepare("DELETE FROM checkpoints WHERE run_id = ? AND status <> 'succeeded'");
  const remove = db.prepare("DELETE FROM checkpoints WHERE run_id = ? AND step_id = ?");

  return {
    /** Inserts or replaces the (run, step) checkpoint. Throws SQLITE_CONSTRAINT_FOREIGNKEY for an unknown run. */
    put(c: NewCheckpoint): void {
      put.run(
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
    /** `put`, the checkpoint standing for the step's attempt 1 too: only when `inlineable`. */
    putInline(c: NewCheckpoint): void {
      putInline.run(
        c.runId,
        c.stepId,
        c.stageId,
        c.identity,
        JSON.stringify(c.outputs),
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
    /** Deletes one step's checkpoint (an inlined attempt moves to the attempts table). */
    remove: (runId: string, stepId: string): void => {
      remove.run(runId, stepId);
    },
  };
}

export type CheckpointTable = ReturnType<typeof checkpointTable>;
