/**
 * The AppStore on SQLite, in the same file as the engine's journal (`STAGEFLOW_DB`), on a
 * connection of its own: WAL, `busy_timeout`, the journal's pragmas. Every write is one
 * autocommitted statement (or one transaction), committed before its promise resolves: a
 * recorded delivery survives a crash of the process the moment `recordDelivery` resolves.
 */
import Database from "better-sqlite3";
import type { DispatchRecord } from "../../steps/github/dispatch-registry.js";
import { StoreError, storeErrorFrom } from "../../store/errors.js";
import { prepareJournalFile } from "../../store/sqlite/journal-file.js";
import { type Durability, journalPragmas } from "../../store/sqlite/open.js";
import { migrateAppSchema } from "./schema.js";
import type { AppStore, DeliveryStatus, InboxEntry, ReportTarget } from "./types.js";

export interface SqliteAppStoreOptions {
  /** The database file (normally the journal's); it and its directory are created when missing. */
  path: string;
  /** What a committed write survives (see the journal's `durability`). @default "process" */
  durability?: Durability;
  /**
   * Whether this connection checkpoints the WAL itself when it grows (SQLite's automatic
   * checkpoint, at the journal's threshold). The app turns it off and checkpoints in a thread
   * (see checkpointer.ts). @default true
   */
  autoCheckpoint?: boolean;
}

/** The AppStore on SQLite, with its connection (for pragmas the host sets, e.g. checkpoints). */
export interface SqliteAppStoreHandle extends AppStore {
  readonly db: Database.Database;
}

interface InboxRow {
  id: string;
  name: string;
  payload: string;
  received_at: number;
  status: DeliveryStatus;
  attempts: number;
  error: string | null;
  finished_at: number | null;
}

interface DispatchRow {
  key: string;
  run_id: string;
  step_id: string;
  signal: string;
  installation_id: number | null;
  owner: string;
  repo: string;
  workflow: string;
  workflow_run_id: number;
  url: string;
  status: "waiting" | "completed";
  created_at: number;
}

interface TargetRow {
  run_id: string;
  installation_id: number;
  owner: string;
  repo: string;
  issue_number: number;
  head_sha: string | null;
  check_run_id: number | null;
  comment_id: number | null;
}

const FINISHED: ReadonlySet<string> = new Set(["done", "ignored", "failed"]);

/**
 * Opens (creating and migrating the app's tables) the AppStore at `path`. Throws StoreError
 * naming the path (`not_sqlite`, `bad_path`, `newer_schema`, `locked`, ...).
 */
export function createSqliteAppStore(options: SqliteAppStoreOptions): SqliteAppStoreHandle {
  const { path, durability = "process", autoCheckpoint = true } = options;
  if (path !== ":memory:") prepareJournalFile(path);
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (e) {
    throw storeErrorFrom(path, e);
  }
  try {
    for (const pragma of journalPragmas(durability)) db.pragma(pragma);
    if (!autoCheckpoint) db.pragma("wal_autocheckpoint = 0");
    migrateAppSchema(db, path);
    return new SqliteAppStore(db, path);
  } catch (e) {
    db.close();
    throw storeErrorFrom(path, e);
  }
}

const entryOf = (r: InboxRow): InboxEntry => ({
  id: r.id,
  name: r.name,
  payload: r.payload,
  receivedAt: r.received_at,
  status: r.status,
  attempts: r.attempts,
  error: r.error,
  finishedAt: r.finished_at,
});

const dispatchOf = (r: DispatchRow): DispatchRecord => ({
  key: r.key,
  runId: r.run_id,
  stepId: r.step_id,
  signal: r.signal,
  installationId: r.installation_id,
  owner: r.owner,
  repo: r.repo,
  workflow: r.workflow,
  workflowRunId: r.workflow_run_id,
  url: r.url,
  status: r.status,
  createdAt: r.created_at,
});

const targetOf = (r: TargetRow): ReportTarget => ({
  runId: r.run_id,
  installationId: r.installation_id,
  owner: r.owner,
  repo: r.repo,
  issueNumber: r.issue_number,
  headSha: r.head_sha,
  checkRunId: r.check_run_id,
  commentId: r.comment_id,
});

class SqliteAppStore implements SqliteAppStoreHandle {
  private closed = false;
  private readonly sql;
  /** One transaction: the delivery's row and, when it is new, its payload. */
  private readonly recordTx: (d: {
    id: string;
    name: string;
    payload: string;
    receivedAt: number;
  }) => boolean;

  constructor(
    readonly db: Database.Database,
    private readonly path: string,
  ) {
    const p = (s: string) => db.prepare(s);
    this.sql = {
      record: p("INSERT OR IGNORE INTO app_inbox (id, name, received_at) VALUES (@id, @name, @receivedAt)"),
      recordPayload: p("INSERT INTO app_inbox_payloads (id, payload) VALUES (@id, @payload)"),
      pending: p(
        "SELECT i.*, p.payload FROM app_inbox i JOIN app_inbox_payloads p ON p.id = i.id " +
          "WHERE i.status = 'pending' ORDER BY i.received_at, i.rowid LIMIT ?",
      ),
      start: p("UPDATE app_inbox SET attempts = attempts + 1 WHERE id = ?"),
      finish: p("UPDATE app_inbox SET status = @status, error = @error, finished_at = @at WHERE id = @id"),
      noteFailure: p("UPDATE app_inbox SET error = @error WHERE id = @id AND status = 'pending'"),
      getDelivery: p(
        "SELECT i.*, p.payload FROM app_inbox i JOIN app_inbox_payloads p ON p.id = i.id WHERE i.id = ?",
      ),
      stats: p(
        "SELECT (SELECT count(*) FROM app_inbox WHERE status = 'pending') AS pending, " +
          "(SELECT min(received_at) FROM app_inbox WHERE status = 'pending') AS oldest, " +
          "(SELECT count(*) FROM app_inbox) AS total",
      ),
      target: p("SELECT * FROM app_report_targets WHERE run_id = ?"),
      saveTarget: p(
        "INSERT INTO app_report_targets (run_id, installation_id, owner, repo, issue_number, head_sha, check_run_id, comment_id) " +
          "VALUES (@runId, @installationId, @owner, @repo, @issueNumber, @headSha, @checkRunId, @commentId) " +
          "ON CONFLICT (run_id) DO UPDATE SET installation_id = excluded.installation_id, owner = excluded.owner, " +
          "repo = excluded.repo, issue_number = excluded.issue_number, head_sha = excluded.head_sha, " +
          "check_run_id = excluded.check_run_id, comment_id = excluded.comment_id",
      ),
      cursor: p("SELECT value FROM app_cursors WHERE name = ?"),
      setCursor: p(
        "INSERT INTO app_cursors (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
      ),
      getDispatch: p("SELECT * FROM app_dispatches WHERE key = ?"),
      putDispatch: p(
        "INSERT OR REPLACE INTO app_dispatches (key, run_id, step_id, signal, installation_id, owner, repo, workflow, " +
          "workflow_run_id, url, status, created_at) VALUES (@key, @runId, @stepId, @signal, @installationId, @owner, " +
          "@repo, @workflow, @workflowRunId, @url, @status, @createdAt)",
      ),
      byWorkflowRun: p(
        "SELECT * FROM app_dispatches WHERE workflow_run_id = ? AND status = 'waiting' ORDER BY created_at, key",
      ),
      waiting: p("SELECT * FROM app_dispatches WHERE status = 'waiting' ORDER BY created_at, key"),
      complete: p("UPDATE app_dispatches SET status = 'completed' WHERE key = ?"),
    };
    const record = db.transaction((d: { id: string; name: string; payload: string; receivedAt: number }) => {
      if (this.sql.record.run(d).changes !== 1) return false;
      this.sql.recordPayload.run(d);
      return true;
    });
    this.recordTx = (d) => record.immediate(d);
  }

  /** Runs `fn` now (better-sqlite3 is synchronous: a write is committed when it returns). */
  private run<T>(fn: () => T): Promise<T> {
    if (this.closed)
      return Promise.reject(new StoreError("closed", `${this.path}: the app store is closed`, this.path));
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(storeErrorFrom(this.path, e));
    }
  }

  recordDelivery(d: { id: string; name: string; payload: string; receivedAt: number }): Promise<boolean> {
    return this.run(() => this.recordTx(d));
  }
  pendingDeliveries(limit: number): Promise<InboxEntry[]> {
    return this.run(() => (this.sql.pending.all(limit) as InboxRow[]).map(entryOf));
  }
  startDelivery(id: string): Promise<void> {
    return this.run(() => {
      if (this.sql.start.run(id).changes === 0) throw unknownDelivery(id);
    });
  }
  noteFailedAttempt(id: string, failure: { error: string; at: number }): Promise<void> {
    return this.run(() => {
      if (this.sql.noteFailure.run({ id, error: failure.error }).changes === 0) throw unknownDelivery(id);
    });
  }
  finishDelivery(
    id: string,
    outcome: { status: Exclude<DeliveryStatus, "pending">; error?: string; at: number },
  ): Promise<void> {
    return this.run(() => {
      if (!FINISHED.has(outcome.status)) {
        throw new TypeError(
          `finishDelivery: status must be done, ignored or failed, got ${JSON.stringify(outcome.status)}`,
        );
      }
      const changes = this.sql.finish.run({
        id,
        status: outcome.status,
        error: outcome.error ?? null,
        at: outcome.at,
      }).changes;
      if (changes === 0) throw unknownDelivery(id);
    });
  }
  getDelivery(id: string): Promise<InboxEntry | undefined> {
    return this.run(() => {
      const row = this.sql.getDelivery.get(id) as InboxRow | undefined;
      return row && entryOf(row);
    });
  }
  inboxStats(): Promise<{ pending: number; oldestPendingAt: number | null; total: number }> {
    return this.run(() => {
      const r = this.sql.stats.get() as { pending: number; oldest: number | null; total: number };
      return { pending: r.pending, oldestPendingAt: r.oldest, total: r.total };
    });
  }

  reportTarget(runId: string): Promise<ReportTarget | undefined> {
    return this.run(() => {
      const row = this.sql.target.get(runId) as TargetRow | undefined;
      return row && targetOf(row);
    });
  }
  saveReportTarget(target: ReportTarget): Promise<void> {
    return this.run(() => {
      this.sql.saveTarget.run(target);
    });
  }

  cursor(name: string): Promise<number> {
    return this.run(() => (this.sql.cursor.get(name) as { value: number } | undefined)?.value ?? 0);
  }
  setCursor(name: string, value: number): Promise<void> {
    return this.run(() => {
      this.sql.setCursor.run(name, value);
    });
  }

  get(key: string): Promise<DispatchRecord | undefined> {
    return this.run(() => {
      const row = this.sql.getDispatch.get(key) as DispatchRow | undefined;
      return row && dispatchOf(row);
    });
  }
  put(record: DispatchRecord): Promise<void> {
    return this.run(() => {
      this.sql.putDispatch.run(record);
    });
  }
  byWorkflowRun(workflowRunId: number): Promise<DispatchRecord[]> {
    return this.run(() => (this.sql.byWorkflowRun.all(workflowRunId) as DispatchRow[]).map(dispatchOf));
  }
  waiting(): Promise<DispatchRecord[]> {
    return this.run(() => (this.sql.waiting.all() as DispatchRow[]).map(dispatchOf));
  }
  complete(key: string): Promise<void> {
    return this.run(() => {
      this.sql.complete.run(key);
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.db.close();
    return Promise.resolve();
  }
}

const unknownDelivery = (id: string) => new TypeError(`no delivery '${id}' in the inbox`);
