import type { SqliteDatabase, SqliteStatement } from "./driver.js";
import { TERMINAL_RUN_STATUSES } from "../../engine/journal.js";

/**
 * Deletes a finished run with everything recorded for it: the rows of every table that has a
 * `run_id` column (attempts, checkpoints, events, and whatever later migrations add), the run,
 * and its definition when no other run shares it. A table is emptied before the tables it
 * references, so foreign keys hold after each statement. Run it inside a write transaction.
 *
 * Events are otherwise never deleted: a seq handed out after this is still above every seq of
 * the runs that remain, so tailing another run with `afterSeq` misses nothing.
 */
export function runDeleter(db: SqliteDatabase) {
  const status = db.prepare("SELECT status, definition_hash FROM runs WHERE id = ?");
  const deleteRun = db.prepare("DELETE FROM runs WHERE id = ?");
  const deleteDefinition = db.prepare(
    "DELETE FROM definitions WHERE hash = ? AND NOT EXISTS (SELECT 1 FROM runs WHERE definition_hash = ?)",
  );
  /** The tables holding a run's rows, in deletion order: read once (the schema is migrated by now). */
  let children: SqliteStatement[] | undefined;
  const childTables = (): string[] => {
    const tables = db
      .prepare(
        `SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c
         WHERE m.type = 'table' AND c.name = 'run_id' ORDER BY m.name`,
      )
      .pluck()
      .all() as string[];
    const refs = db.prepare('SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)').pluck();
    const references = new Map(tables.map((t) => [t, new Set(refs.all(t) as string[])]));
    // Referencing tables first: repeatedly take a table that no remaining table references.
    const order: string[] = [];
    const left = new Set(tables);
    while (left.size > 0) {
      const next =
        [...left].find((t) => ![...left].some((o) => o !== t && references.get(o)?.has(t))) ?? [...left][0];
      order.push(next as string);
      left.delete(next as string);
    }
    return order;
  };

  /** False, deleting nothing, when the run is unknown or not finished. */
  return (runId: string): boolean => {
    const row = status.get(runId) as { status: string; definition_hash: string } | undefined;
    if (!row || !(TERMINAL_RUN_STATUSES as readonly string[]).includes(row.status)) return false;
    children ??= childTables().map((table) =>
      db.prepare(`DELETE FROM "${table.replace(/"/g, '""')}" WHERE run_id = ?`),
    );
    for (const stmt of children) stmt.run(runId);
    deleteRun.run(runId);
    deleteDefinition.run(row.definition_hash, row.definition_hash);
    return true;
  };
}
