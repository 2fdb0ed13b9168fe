import type { SqliteDatabase } from "./driver.js";
import type { CheckpointRecord } from "../../engine/journal.js";
import { checksumProblems, type UnreadableCheckpoint } from "../checksums.js";

interface ForeignKeyProblem {
  table: string;
  rowid: number | null;
  parent: string;
}

/**
 * Storage-level integrity: SQLite's integrity_check and foreign_key_check, plus every
 * checkpoint's checksum recomputed from its stored content.
 */
export function verifyDatabase(
  db: SqliteDatabase,
  checkpoints: Iterable<CheckpointRecord | UnreadableCheckpoint>,
): { ok: boolean; problems: string[] } {
  const problems: string[] = [];
  for (const line of db.pragma("integrity_check") as { integrity_check: string }[]) {
    if (line.integrity_check !== "ok") problems.push(`integrity_check: ${line.integrity_check}`);
  }
  for (const fk of db.pragma("foreign_key_check") as ForeignKeyProblem[]) {
    problems.push(
      `foreign_key_check: ${fk.table} ${fk.rowid === null ? "row" : `row ${fk.rowid}`} names a missing ${fk.parent} row`,
    );
  }
  problems.push(...checksumProblems(checkpoints));
  return { ok: problems.length === 0, problems };
}
