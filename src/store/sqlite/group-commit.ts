import type { SqliteDatabase, SqliteTransaction } from "./driver.js";

interface Unit {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  ok: boolean;
  value: unknown;
  error: unknown;
}

/**
 * Group commit: writes enqueued during one turn of the event loop are flushed together, on
 * setImmediate, in ONE transaction begun with BEGIN IMMEDIATE. Each unit runs in its own
 * savepoint, so a unit that throws writes nothing and rejects alone while the others commit.
 * No promise settles before the COMMIT that holds its write; when the COMMIT itself fails, every
 * unit of the batch rejects with that error.
 */
export class GroupCommit {
  private pending: Unit[] = [];
  private scheduled = false;
  private commits = 0;
  /** Batches taken so far: writes enqueued while this number is unchanged commit together. */
  private taken = 0;
  private writes = 0;
  private readonly batch: SqliteTransaction<(units: Unit[]) => void>;
  /** The common case: no unit fails, so no savepoint (two statements per unit) is needed. */
  private readonly fast: SqliteTransaction<(units: Unit[]) => void>;

  constructor(
    db: SqliteDatabase,
    /** Maps an error from SQLite (of a batch, or of one unit) before it reaches callers. */
    private readonly mapError: (e: unknown) => unknown = (e) => e,
  ) {
    const savepoint = db.transaction((work: () => unknown) => work());
    this.fast = db.transaction((units: Unit[]) => {
      for (const unit of units) {
        unit.value = unit.work();
        unit.ok = true;
      }
    });
    this.batch = db.transaction((units: Unit[]) => {
      const [only] = units;
      if (only && units.length === 1) {
        // Alone in its batch: the transaction itself isolates it, no savepoint needed.
        only.value = only.work();
        only.ok = true;
        return;
      }
      for (const unit of units) {
        try {
          unit.value = savepoint(unit.work);
          unit.ok = true;
        } catch (e) {
          // SQLite rolls back the whole transaction on some errors (disk full, I/O): fail the batch.
          if (!db.inTransaction) throw e;
          unit.error = this.mapError(e);
        }
      }
    });
  }

  /** Queues `work` (synchronous SQLite statements); resolves with its result once committed. */
  enqueue<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({
        work,
        resolve: resolve as (value: unknown) => void,
        reject,
        ok: false,
        value: undefined,
        error: undefined,
      });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  /** Commits everything queued so far, now. Safe to call at any time (close() does). */
  readonly flush = (): void => {
    this.scheduled = false;
    const units = this.pending;
    if (units.length === 0) return;
    this.pending = [];
    this.taken++;
    try {
      try {
        this.fast.immediate(units);
      } catch {
        // A unit threw and SQLite rolled the batch back: run it again, each unit in a savepoint,
        // so that the failing unit rejects alone. (Units are SQLite statements only: re-running
        // a rolled-back unit is safe.)
        for (const unit of units) unit.ok = false;
        this.batch.immediate(units);
      }
    } catch (e) {
      const error = this.mapError(e);
      for (const unit of units) unit.reject(error);
      return;
    }
    this.commits++;
    for (const unit of units) {
      if (unit.ok) {
        this.writes++;
        unit.resolve(unit.value);
      } else {
        unit.reject(unit.error);
      }
    }
  };

  /** Identifies the batch being filled: two enqueues that see the same value commit together. */
  get batchNo(): number {
    return this.taken;
  }

  /** Commits made, and writes (units) they held: writes / commits is the mean group size. */
  stats(): { commits: number; writes: number } {
    return { commits: this.commits, writes: this.writes };
  }
}
