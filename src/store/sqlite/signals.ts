import type { SqliteDatabase } from "./driver.js";
import type { NewSignal, ParkedRun, RunWake, SignalRecord } from "../../engine/journal.js";

/**
 * Durable signals and timers (issue 10): three tables of their own.
 * `signals`: what `engine.signal` journaled, and which step took each. `deadlines`: the deadline
 * a waiting step fixed on its first execution. `wakes`: a parked run's wake condition, kept
 * while the run is `waiting`.
 */
export const SIGNALS_V1 = `
CREATE TABLE signals (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id      TEXT NOT NULL REFERENCES runs (id),
  name        TEXT NOT NULL,
  payload     TEXT NOT NULL,
  sender      TEXT,
  at          INTEGER NOT NULL,
  consumed_by TEXT,
  consumed_at INTEGER
);
CREATE INDEX signals_run_name ON signals (run_id, name);
CREATE TABLE deadlines (
  run_id   TEXT NOT NULL REFERENCES runs (id),
  key      TEXT NOT NULL,
  deadline INTEGER NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE TABLE wakes (
  run_id  TEXT PRIMARY KEY REFERENCES runs (id),
  wake_at INTEGER,
  signals TEXT NOT NULL
) WITHOUT ROWID;
`;

interface SignalRow {
  seq: number;
  run_id: string;
  name: string;
  payload: string;
  sender: string | null;
  at: number;
  consumed_by: string | null;
  consumed_at: number | null;
}

const toRecord = (r: SignalRow): SignalRecord => ({
  runId: r.run_id,
  name: r.name,
  payload: JSON.parse(r.payload),
  sender: r.sender,
  at: r.at,
  seq: r.seq,
  consumedBy: r.consumed_by,
  consumedAt: r.consumed_at,
});

/** The signals, deadlines and wakes tables' prepared statements, behind typed methods. */
export function signalTables(db: SqliteDatabase) {
  const insert = db.prepare(
    "INSERT INTO signals (run_id, name, payload, sender, at) VALUES (?, ?, ?, ?, ?) RETURNING *",
  );
  const byRun = db.prepare("SELECT * FROM signals WHERE run_id = ? ORDER BY seq");
  const takenBy = db.prepare(
    "SELECT * FROM signals WHERE run_id = ? AND name = ? AND consumed_by = ? ORDER BY seq LIMIT 1",
  );
  const take = db.prepare(
    `UPDATE signals SET consumed_by = ?, consumed_at = ?
     WHERE seq = (SELECT seq FROM signals WHERE run_id = ? AND name = ? AND consumed_by IS NULL
                  ORDER BY seq LIMIT 1)
     RETURNING *`,
  );
  const fixDeadline = db.prepare(
    "INSERT INTO deadlines (run_id, key, deadline) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
  );
  const deadlineOf = db.prepare("SELECT deadline FROM deadlines WHERE run_id = ? AND key = ?").pluck();
  const putWake = db.prepare(
    `INSERT INTO wakes (run_id, wake_at, signals) VALUES (?, ?, ?)
     ON CONFLICT (run_id) DO UPDATE SET wake_at = excluded.wake_at, signals = excluded.signals`,
  );
  const dropWake = db.prepare("DELETE FROM wakes WHERE run_id = ?");
  const parked = db.prepare(
    "SELECT wakes.* FROM wakes JOIN runs ON runs.id = wakes.run_id WHERE runs.status = 'waiting'",
  );

  return {
    record(s: NewSignal): SignalRecord {
      const row = insert.get(s.runId, s.name, JSON.stringify(s.payload ?? null), s.sender, s.at);
      return toRecord(row as SignalRow);
    },
    list(runId: string): SignalRecord[] {
      return (byRun.all(runId) as SignalRow[]).map(toRecord);
    },
    consume(runId: string, name: string, consumer: string, at: number): SignalRecord | undefined {
      const before = takenBy.get(runId, name, consumer) as SignalRow | undefined;
      if (before) return toRecord(before);
      const row = take.get(consumer, at, runId, name) as SignalRow | undefined;
      return row ? toRecord(row) : undefined;
    },
    fixDeadline(runId: string, key: string, deadline: number): number {
      fixDeadline.run(runId, key, deadline);
      return deadlineOf.get(runId, key) as number;
    },
    /** Writes (or, with null, drops) the run's wake condition. */
    setWake(runId: string, wake: RunWake | null): void {
      if (wake) putWake.run(runId, wake.at, JSON.stringify(wake.signals));
      else dropWake.run(runId);
    },
    parked(): ParkedRun[] {
      return (parked.all() as Array<{ run_id: string; wake_at: number | null; signals: string }>).map(
        (r) => ({
          runId: r.run_id,
          wake: { at: r.wake_at, signals: JSON.parse(r.signals) as string[] },
        }),
      );
    },
  };
}
