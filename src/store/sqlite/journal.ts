import type { EventRecord, NewEvent } from "../../engine/events.js";
import type * as J from "../../engine/journal.js";
import { closedJournal, openedReadOnly, storeErrorFrom, unknownAttempt, unknownRun } from "../errors.js";
import { checkedEventQuery } from "../event-query.js";
import { acquire } from "../lease.js";
import { attemptTable } from "./attempts.js";
import { breakerTable } from "./breakers.js";
import { checkpointTable, inlineable } from "./checkpoints.js";
import { inserting } from "./constraints.js";
import { runDeleter } from "./delete-run.js";
import { eventTable } from "./events.js";
import { GroupCommit } from "./group-commit.js";
import type { SqliteDatabase, SqliteDriver } from "./driver.js";
import { type Durability, openDatabase } from "./open.js";
import { type JournalSnapshot, writeSnapshot } from "./snapshot.js";
import { processTable } from "./processes.js";
import { runTable } from "./runs.js";
import { signalTables } from "./signals.js";
import { stepLogTable } from "./step-logs.js";
import { verifyDatabase } from "./verify.js";

/** An attempt start queued in the batch being filled; a finish in the same batch joins it. */
interface QueuedStart {
  start: J.AttemptStart;
  /**
   * Set when the finish joins: the finish's unit then writes the attempt, final at once (or the
   * checkpoint that holds it).
   */
  finish: J.AttemptFinish | null;
}

const attemptKey = (a: { runId: string; stepId: string; attempt: number }) =>
  `${a.runId}\n${a.stepId}\n${a.attempt}`;

export interface SqliteJournalOptions {
  /** The database file; it and its directory are created when missing. `:memory:` for a throwaway. */
  path: string;
  /** What a committed write survives: see docs/durability.md. @default "process" */
  durability?: Durability;
  /**
   * Only read: the file must exist with the current schema; nothing is created, migrated or
   * locked, so reading never waits for a running engine; every write rejects (`read_only`).
   * @default false
   */
  readOnly?: boolean;
  /**
   * The SQLite binding: `node:sqlite` (Node >= 22.16, no native addon; for the Action's bundle)
   * or better-sqlite3. Both read and write the same file. @default "better-sqlite3"
   */
  driver?: SqliteDriver;
}

/**
 * Opens (creating and migrating, unless `readOnly`) the journal at `path`. Throws StoreError
 * naming the path.
 */
export function createSqliteJournal(options: SqliteJournalOptions): SqliteJournal {
  const { path, durability, readOnly = false, driver } = options;
  const db = openDatabase(path, { durability, readOnly, driver });
  try {
    return new SqliteJournal(db, path, driver);
  } catch (e) {
    // Preparing the statements reads the schema: the first place a damaged file can show.
    db.close();
    throw storeErrorFrom(path, e);
  }
}

/** The Journal on SQLite: every write goes through group commit; reads see committed data. */
export class SqliteJournal implements J.Journal {
  private readonly queue: GroupCommit;
  private readonly runs: ReturnType<typeof runTable>;
  private readonly attempts: ReturnType<typeof attemptTable>;
  private readonly checkpoints: ReturnType<typeof checkpointTable>;
  private readonly events: ReturnType<typeof eventTable>;
  private readonly breakers: ReturnType<typeof breakerTable>;
  private readonly deleter: ReturnType<typeof runDeleter>;
  private readonly stepLog: ReturnType<typeof stepLogTable>;
  private readonly processes: ReturnType<typeof processTable>;
  private readonly signals: ReturnType<typeof signalTables>;
  private closed = false;
  /** Snapshots being written: close() waits for them before closing the database. */
  private readonly snapshots = new Set<Promise<unknown>>();
  /** Starts queued in the batch numbered `startsBatch` (the one being filled), by attempt. */
  private readonly starts = new Map<string, QueuedStart>();
  private startsBatch = -1;

  constructor(
    /** The open database, for stores that share the file (write to it only through `write`). */
    readonly db: SqliteDatabase,
    readonly path: string,
    /** The binding `db` was opened with. */
    readonly driver: SqliteDriver = "better-sqlite3",
  ) {
    this.queue = new GroupCommit(db, (e) => storeErrorFrom(path, e));
    this.runs = runTable(db);
    this.attempts = attemptTable(db);
    this.checkpoints = checkpointTable(db);
    this.events = eventTable(db);
    this.breakers = breakerTable(db);
    this.deleter = runDeleter(db);
    this.stepLog = stepLogTable(db);
    this.processes = processTable(db);
    this.signals = signalTables(db);
  }

  /** Commits so far, and the writes they held (writes / commits = mean group size). */
  stats(): { commits: number; writes: number } {
    return this.queue.stats();
  }

  /** Runs `work` as one unit of the next group commit: all of it is written, or none of it. */
  write<T>(work: (db: SqliteDatabase) => T): Promise<T> {
    if (this.closed) return Promise.reject(closedJournal(this.path));
    if (this.db.readonly) return Promise.reject(openedReadOnly(this.path));
    return this.queue.enqueue(() => work(this.db));
  }

  private read<T>(query: () => T): Promise<T> {
    if (this.closed) return Promise.reject(closedJournal(this.path));
    try {
      return Promise.resolve(query());
    } catch (e) {
      return Promise.reject(storeErrorFrom(this.path, e));
    }
  }

  private leaseOf(runId: string) {
    const lease = this.runs.lease(runId);
    if (!lease) throw unknownRun(runId);
    return lease;
  }

  createRun(run: J.NewRun, events: NewEvent[]): Promise<J.CreateRunOutcome> {
    return this.write(() => {
      let outcome: J.CreateRunOutcome = { created: true };
      inserting(run.id, `run '${run.id}'`, () => {
        outcome = this.runs.insert(run);
      });
      if (outcome.created) this.events.append(events);
      return outcome;
    });
  }
  getRun(runId: string): Promise<J.RunRecord | undefined> {
    return this.read(() => this.runs.get(runId));
  }
  listRuns(query?: J.RunQuery): Promise<J.RunRecord[]> {
    return this.read(() => this.runs.list(query));
  }
  deleteRun(runId: string): Promise<boolean> {
    return this.write(() => this.deleter(runId));
  }

  /** The read, the check and the write are one unit of a `BEGIN IMMEDIATE` transaction: a compare-and-set. */
  acquireLease(
    runId: string,
    owner: string,
    expiresAt: number,
    now: number,
    options: { takeOverFrom?: string } = {},
  ): Promise<J.LeaseOutcome> {
    return this.write(() =>
      acquire(this.leaseOf(runId), { owner, expiresAt, now, takeOverFrom: options.takeOverFrom }, (o, e) =>
        this.runs.setLease(runId, o, e),
      ),
    );
  }
  renewLease(runId: string, owner: string, expiresAt: number) {
    return this.write(() => {
      const { leaseOwner, cancelRequested } = this.leaseOf(runId);
      const held = leaseOwner === owner;
      if (held) this.runs.setLease(runId, owner, expiresAt);
      return { held, cancelRequested };
    });
  }
  releaseLease(runId: string, owner: string): Promise<void> {
    return this.write(() => {
      if (this.leaseOf(runId).leaseOwner === owner) this.runs.setLease(runId, null, null);
    });
  }
  leaseStates(runIds: readonly string[]): Promise<J.LeaseState[]> {
    return this.read(() => (runIds.length === 0 ? [] : this.runs.leaseStates(runIds)));
  }

  updateRun(runId: string, patch: J.RunPatch, events: NewEvent[]): Promise<void> {
    return this.write(() => {
      if (!this.runs.update(runId, patch)) throw unknownRun(runId);
      if (patch.status !== undefined && patch.status !== "waiting") this.signals.setWake(runId, null);
      else if (patch.wake !== undefined) this.signals.setWake(runId, patch.wake);
      this.events.append(events);
    });
  }
  requestCancel(runId: string, events: NewEvent[]): Promise<void> {
    return this.write(() => {
      if (!this.runs.requestCancel(runId)) throw unknownRun(runId);
      this.events.append(events);
    });
  }

  /** The starts queued in the batch being filled (forgets those of batches already taken). */
  private queuedStarts(): Map<string, QueuedStart> {
    if (this.startsBatch !== this.queue.batchNo) {
      this.starts.clear();
      this.startsBatch = this.queue.batchNo;
    }
    return this.starts;
  }

  startAttempt(a: J.AttemptStart, events: NewEvent[]): Promise<void> {
    const queued: QueuedStart = { start: a, finish: null };
    const done = this.write(() => {
      if (!queued.finish) this.insertAttempt(a, () => this.attempts.start(a));
      this.events.append(events);
    });
    if (!this.closed) this.queuedStarts().set(attemptKey(a), queued);
    return done;
  }
  /**
   * When the attempt's start is still queued in the same batch (a fast step), the attempt is
   * written once, here, with its final state — one row inserted instead of inserted and then
   * updated — together with the checkpoint and events, as always in one unit. A fast first
   * attempt that succeeded is not even a row of its own: its checkpoint holds it (`inlineable`).
   */
  finishAttempt(a: J.AttemptFinish, checkpoint: J.NewCheckpoint | null, events: NewEvent[]): Promise<void> {
    const starts = this.queuedStarts();
    const key = attemptKey(a);
    const queued = starts.get(key);
    if (queued) {
      starts.delete(key);
      queued.finish = a;
    }
    const inline = queued !== undefined && checkpoint !== null && inlineable(queued.start, a, checkpoint);
    return this.write(() => {
      if (inline) {
        this.insertAttempt(queued.start, () => this.checkpoints.putInline(checkpoint));
      } else {
        if (queued) this.insertAttempt(queued.start, () => this.attempts.startFinished(queued.start, a));
        else if (!this.attempts.finish(a)) throw unknownAttempt(a.runId, a.stepId, a.attempt);
        if (checkpoint) inserting(checkpoint.runId, "checkpoint", () => this.checkpoints.put(checkpoint));
      }
      this.events.append(events);
    });
  }
  private insertAttempt(a: J.AttemptStart, insert: () => void): void {
    inserting(a.runId, () => `attempt ${a.attempt} of step '${a.stepId}' in run '${a.runId}'`, insert);
  }
  putCheckpoint(checkpoint: J.NewCheckpoint, events: NewEvent[]): Promise<void> {
    return this.write(() => {
      inserting(checkpoint.runId, "checkpoint", () => this.checkpoints.put(checkpoint));
      this.events.append(events);
    });
  }
  replaceDefinition(runId: string, r: J.DefinitionReplacement, events: NewEvent[]): Promise<void> {
    return this.write(() => {
      if (!this.runs.redefine(runId, r)) throw unknownRun(runId);
      for (const stepId of r.dropCheckpoints) this.checkpoints.remove(runId, stepId);
      this.events.append(events);
    });
  }
  clearFailedCheckpoints(runId: string): Promise<void> {
    return this.write(() => {
      this.leaseOf(runId);
      this.checkpoints.clearFailed(runId);
    });
  }
  appendEvents(events: NewEvent[]): Promise<void> {
    return this.write(() => this.events.append(events));
  }

  recordProcess(p: J.ProcessRecord): Promise<void> {
    return this.write(() => inserting(p.runId, "process record", () => this.processes.put(p)));
  }
  listProcesses(runId: string): Promise<J.ProcessRecord[]> {
    return this.read(() => this.processes.list(runId));
  }

  recordSignal(signal: J.NewSignal, events: NewEvent[]): Promise<J.SignalRecord> {
    return this.write(() => {
      const record = inserting(signal.runId, "signal", () => this.signals.record(signal));
      this.events.append(events);
      return record;
    });
  }
  listSignals(runId: string): Promise<J.SignalRecord[]> {
    return this.read(() => this.signals.list(runId));
  }
  consumeSignal(
    runId: string,
    name: string,
    consumer: string,
    at: number,
  ): Promise<J.SignalRecord | undefined> {
    return this.write(() => this.signals.consume(runId, name, consumer, at));
  }
  fixDeadline(runId: string, key: string, deadline: number): Promise<number> {
    return this.write(() =>
      inserting(runId, "deadline", () => this.signals.fixDeadline(runId, key, deadline)),
    );
  }
  listParked(): Promise<J.ParkedRun[]> {
    return this.read(() => this.signals.parked());
  }

  listAttempts(runId: string): Promise<J.AttemptRecord[]> {
    return this.read(() => this.attempts.list(runId));
  }
  listCheckpoints(runId: string): Promise<J.CheckpointRecord[]> {
    return this.read(() => this.checkpoints.list(runId));
  }
  listEvents(runId: string, afterSeq?: number): Promise<EventRecord[]> {
    return this.read(() => this.events.list(runId, afterSeq));
  }
  lastEventSeq(): Promise<number> {
    return this.read(() => this.events.last());
  }
  listEventsAfter(afterSeq: number, query?: J.EventQuery): Promise<EventRecord[]> {
    return this.read(() => this.events.after(afterSeq, checkedEventQuery(query)));
  }

  appendStepLog(lines: J.NewStepLogLine[]): Promise<void> {
    return this.write(() => this.stepLog.append(lines));
  }
  listStepLog(runId: string, query?: J.StepLogQuery): Promise<J.StepLogLine[]> {
    return this.read(() => this.stepLog.list(runId, query));
  }

  saveBreaker(dependency: string, state: J.BreakerSnapshot): Promise<void> {
    return this.write(() => this.breakers.save(dependency, state));
  }
  loadBreakers(): Promise<Record<string, J.BreakerSnapshot>> {
    return this.read(() => this.breakers.load());
  }

  verify(): Promise<{ ok: boolean; problems: string[] }> {
    return this.read(() => verifyDatabase(this.db, this.checkpoints.each()));
  }
  /**
   * Writes a consistent copy of the journal to `dest` (created, or replacing an earlier
   * snapshot) and returns its path and size. Writes enqueued before the call are committed first
   * and are in it; writes go on meanwhile, and the copy, made with SQLite's online backup API
   * (see backupDatabase), holds whole transactions only. It is one self-contained file (no -wal,
   * mode 0600) that opens read-only with either driver: check a downloaded one with
   * verifyJournalSnapshot. Throws StoreError naming `dest` (`bad_path`, `not_sqlite`,
   * `read_only`, `full`, ...), or `closed`. close() waits for a snapshot being written.
   */
  async snapshot(dest: string): Promise<JournalSnapshot> {
    if (this.closed) throw closedJournal(this.path);
    this.queue.flush();
    const written = writeSnapshot(this.db, this.driver, this.path, dest);
    this.snapshots.add(written);
    try {
      return await written;
    } finally {
      this.snapshots.delete(written);
    }
  }

  /** Commits pending writes, then closes the database. A second call does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.flush();
    await Promise.allSettled(this.snapshots);
    this.db.close();
  }
}
