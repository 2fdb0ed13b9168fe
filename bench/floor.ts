/**
 * The floor: what the disk and SQLite allow with nothing of stageflow in the way. Raw
 * better-sqlite3, one prepared single-row INSERT per transaction (BEGIN IMMEDIATE … COMMIT, as
 * the journal's group commit begins its batches), on a real file with the journal's pragmas for
 * the same durability (`journalPragmas`): WAL + synchronous NORMAL ('process') or FULL ('machine'),
 * the same checkpoint interval and WAL size limit.
 */
import Database from "better-sqlite3";
import { type Durability, journalPragmas } from "../src/store/index.js";
import { tempDir } from "./workload.js";

export interface FloorResult {
  durability: Durability;
  transactions: number;
  elapsedMs: number;
  txPerSec: number;
}

/**
 * Commits single-row transactions for at least `minMs` (and at least `minTx` of them), in
 * chunks, on a fresh database; returns the rate.
 */
export function measureFloor(durability: Durability, minMs = 500, minTx = 500): FloorResult {
  const tmp = tempDir(`floor-${durability}`);
  const db = new Database(tmp.file("floor.db"));
  try {
    // Exactly the journal's pragmas: WAL, synchronous, checkpoint interval, WAL size limit.
    for (const pragma of journalPragmas(durability)) db.pragma(pragma);
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT NOT NULL)");
    const insert = db.prepare("INSERT INTO t (x) VALUES (?)");
    const tx = db.transaction((x: string) => insert.run(x));
    const chunk = durability === "machine" ? 50 : 500;
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < minMs || n < minTx) {
      for (let i = 0; i < chunk; i++, n++) tx.immediate(`row ${n}`);
      elapsed = performance.now() - start;
    }
    return { durability, transactions: n, elapsedMs: elapsed, txPerSec: n / (elapsed / 1000) };
  } finally {
    db.close();
    tmp.cleanup();
  }
}
