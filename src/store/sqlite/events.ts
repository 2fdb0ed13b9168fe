import type { SqliteDatabase } from "./driver.js";
import { eventHash } from "../../engine/canonical.js";
import type { EventRecord, NewEvent } from "../../engine/events.js";
import type { EventQuery } from "../../engine/journal.js";
import { unknownRun } from "../errors.js";
import { isForeignKeyError } from "./constraints.js";

export const EVENTS_V1 = `
-- AUTOINCREMENT: seq never goes back, even after \`prune\` deleted the runs holding the newest
-- events (a plain rowid would be reused then, and a host catching up from a seq would skip the
-- new events). It costs the sqlite_sequence page once per commit. The dedupe index leads with
-- run_id so one run's inserts touch few pages.
CREATE TABLE events (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id         TEXT NOT NULL REFERENCES runs (id),
  correlation_id TEXT NOT NULL,
  type           TEXT NOT NULL,
  at             INTEGER NOT NULL,
  payload        TEXT NOT NULL,
  dedupe_key     TEXT,
  hash           TEXT NOT NULL,
  UNIQUE (run_id, hash)
);
`;

interface EventRow {
  seq: number;
  run_id: string;
  correlation_id: string;
  type: EventRecord["type"];
  at: number;
  payload: string;
  dedupe_key: string | null;
  hash: string;
}

/**
 * An event with a dedupe key is stored with hash `type|key` (see eventHash) and no separate
 * `dedupe_key` (one column less to bind and store per event); rows written before carry both.
 */
function keyOfHash(type: string, hash: string): string | undefined {
  return hash.startsWith(`${type}|`) ? hash.slice(type.length + 1) : undefined;
}

function toRecord(r: EventRow): EventRecord {
  const record = {
    runId: r.run_id,
    correlationId: r.correlation_id,
    type: r.type,
    at: r.at,
    payload: JSON.parse(r.payload),
    seq: r.seq,
    hash: r.hash,
  } as EventRecord;
  const dedupeKey = r.dedupe_key ?? keyOfHash(r.type, r.hash);
  if (dedupeKey !== undefined) record.dedupeKey = dedupeKey;
  return record;
}

/** The events table's prepared statements, behind typed methods. */
export function eventTable(db: SqliteDatabase) {
  const insert = db.prepare(
    `INSERT OR IGNORE INTO events (run_id, correlation_id, type, at, payload, hash)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const last = db.prepare("SELECT coalesce(max(seq), 0) AS seq FROM events");
  const list = db.prepare("SELECT * FROM events WHERE run_id = ? AND seq > ? ORDER BY seq");

  return {
    /**
     * Appends events; one whose hash (runId, type, dedupeKey or payload) is already stored is
     * ignored; each one stored gets its `seq` set (see NewEvent.seq). Throws a StoreError `unknown_run` when an event names a run that does not exist.
     */
    append(events: readonly NewEvent[]): void {
      for (const e of events) {
        try {
          const row = insert.run(
            e.runId,
            e.correlationId,
            e.type,
            e.at,
            JSON.stringify(e.payload),
            eventHash(e),
          );
          if (row.changes > 0) e.seq = Number(row.lastInsertRowid);
        } catch (err) {
          throw isForeignKeyError(err) ? unknownRun(e.runId) : err;
        }
      }
    },
    last: (): number => (last.get() as { seq: number }).seq,
    list: (runId: string, afterSeq = 0): EventRecord[] =>
      (list.all(runId, afterSeq) as EventRow[]).map(toRecord),
    /**
     * A page of events after `afterSeq` (see Journal.listEventsAfter). Walks the rowid (seq)
     * from `afterSeq`; no index of its own, so appending an event costs what it did.
     */
    after(afterSeq: number, query: EventQuery = {}): EventRecord[] {
      const where = ["seq > ?"];
      const params: unknown[] = [afterSeq];
      if (query.runId !== undefined) {
        where.push("run_id = ?");
        params.push(query.runId);
      }
      if (query.types !== undefined) {
        if (query.types.length === 0) return [];
        where.push(`type IN (${query.types.map(() => "?").join(", ")})`);
        params.push(...query.types);
      }
      let sql = `SELECT * FROM events WHERE ${where.join(" AND ")} ORDER BY seq`;
      if (query.limit !== undefined) {
        sql += " LIMIT ?";
        params.push(query.limit);
      }
      return (db.prepare(sql).all(...params) as EventRow[]).map(toRecord);
    },
  };
}

export type EventTable = ReturnType<typeof eventTable>;
