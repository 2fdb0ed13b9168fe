import type { SqliteDatabase } from "./driver.js";
import type { NewStepLogLine, StepLogLine, StepLogQuery, StepLogStream } from "../../engine/journal.js";
import { unknownRun } from "../errors.js";
import { isForeignKeyError } from "./constraints.js";

/**
 * Steps' output (stdout, stderr and stageflow's notes), bounded and masked by the engine before
 * it gets here. Deleting a run deletes its lines (ON DELETE CASCADE), so `prune` need not know
 * this table.
 */
export const STEP_LOGS_V1 = `
CREATE TABLE step_logs (
  seq     INTEGER PRIMARY KEY,
  run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  stream  TEXT NOT NULL,
  at      INTEGER NOT NULL,
  text    TEXT NOT NULL
);
CREATE INDEX step_logs_by_run ON step_logs (run_id, seq);
`;

interface StepLogRow {
  seq: number;
  run_id: string;
  step_id: string;
  attempt: number;
  stream: StepLogStream;
  at: number;
  text: string;
}

const toLine = (r: StepLogRow): StepLogLine => ({
  seq: r.seq,
  runId: r.run_id,
  stepId: r.step_id,
  attempt: r.attempt,
  stream: r.stream,
  at: r.at,
  text: r.text,
});

/** The step_logs table's prepared statements, behind typed methods. */
export function stepLogTable(db: SqliteDatabase) {
  const insert = db.prepare(
    "INSERT INTO step_logs (run_id, step_id, attempt, stream, at, text) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const all = db.prepare("SELECT * FROM step_logs WHERE run_id = ? AND seq > ? ORDER BY seq");
  const ofStep = db.prepare(
    "SELECT * FROM step_logs WHERE run_id = ? AND seq > ? AND step_id = ? ORDER BY seq",
  );
  return {
    append(lines: readonly NewStepLogLine[]): void {
      for (const l of lines) {
        try {
          insert.run(l.runId, l.stepId, l.attempt, l.stream, l.at, l.text);
        } catch (err) {
          throw isForeignKeyError(err) ? unknownRun(l.runId) : err;
        }
      }
    },
    list(runId: string, q: StepLogQuery = {}): StepLogLine[] {
      const after = q.afterSeq ?? 0;
      const rows = q.stepId === undefined ? all.all(runId, after) : ofStep.all(runId, after, q.stepId);
      return (rows as StepLogRow[]).map(toLine);
    },
  };
}
