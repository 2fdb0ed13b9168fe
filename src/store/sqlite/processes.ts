import type { SqliteDatabase } from "./driver.js";
import type { ProcessRecord } from "../../engine/journal.js";

/**
 * What step handlers started outside the engine, one row per attempt (Journal.recordProcess):
 * e.g. the `run` kind's process group. `process` is the handler's JSON, never read here.
 */
export const PROCESSES_V1 = `
CREATE TABLE processes (
  run_id      TEXT NOT NULL REFERENCES runs (id),
  step_id     TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  kind        TEXT NOT NULL,
  process     TEXT NOT NULL,
  recorded_at INTEGER NOT NULL,
  UNIQUE (run_id, step_id, attempt)
);
`;

interface ProcessRow {
  run_id: string;
  step_id: string;
  attempt: number;
  kind: string;
  process: string;
  recorded_at: number;
}

/** The processes table's prepared statements, behind typed methods. */
export function processTable(db: SqliteDatabase) {
  const upsert = db.prepare(
    `INSERT INTO processes (run_id, step_id, attempt, kind, process, recorded_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, step_id, attempt) DO UPDATE
       SET kind = excluded.kind, process = excluded.process, recorded_at = excluded.recorded_at`,
  );
  const byRun = db.prepare("SELECT * FROM processes WHERE run_id = ? ORDER BY rowid");

  return {
    put(p: ProcessRecord): void {
      upsert.run(p.runId, p.stepId, p.attempt, p.kind, JSON.stringify(p.process ?? null), p.recordedAt);
    },
    list(runId: string): ProcessRecord[] {
      return (byRun.all(runId) as ProcessRow[]).map((r) => ({
        runId: r.run_id,
        stepId: r.step_id,
        attempt: r.attempt,
        kind: r.kind,
        process: JSON.parse(r.process),
        recordedAt: r.recorded_at,
      }));
    },
  };
}
