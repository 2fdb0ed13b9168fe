import type { ArgsOf, RunResult, SqliteDatabase, SqliteStatement, SqliteTransaction } from "./driver.js";

// The part of node:sqlite used here, typed locally (the project's @types/node is Node 20's).

type Row = Record<string, unknown>;

export interface StatementSync {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): Row | undefined;
  all(...params: unknown[]): Row[];
  iterate(...params: unknown[]): IterableIterator<Row>;
}

export interface DatabaseSync {
  readonly isOpen: boolean;
  readonly isTransaction: boolean;
  prepare(sql: string): StatementSync;
  exec(sql: string): void;
  close(): void;
}

export interface NodeSqliteModule {
  DatabaseSync: { new (path: string, options?: { readOnly?: boolean }): DatabaseSync; prototype: object };
  backup(source: DatabaseSync, path: string, options?: { rate?: number }): Promise<number>;
}

/** The first column's value of a row (a pluck()ed statement's result). */
function firstColumn(row: Row | undefined): unknown {
  if (row === undefined) return undefined;
  for (const key in row) return row[key];
  return undefined;
}

/**
 * A node:sqlite statement as the store uses it. node:sqlite binds `@name` parameters from an
 * object's bare keys by default (allowBareNamedParameters), refuses unknown keys as
 * better-sqlite3 does, and reads integers as numbers (readBigInts off).
 */
class NodeSqliteStatement implements SqliteStatement {
  private plucked = false;

  constructor(private readonly stmt: StatementSync) {}

  run(...params: unknown[]): RunResult {
    return this.stmt.run(...params);
  }
  get(...params: unknown[]): unknown {
    const row = this.stmt.get(...params);
    return this.plucked ? firstColumn(row) : row;
  }
  all(...params: unknown[]): unknown[] {
    const rows = this.stmt.all(...params);
    return this.plucked ? rows.map(firstColumn) : rows;
  }
  *iterate(...params: unknown[]): IterableIterator<unknown> {
    for (const row of this.stmt.iterate(...params)) yield this.plucked ? firstColumn(row) : row;
  }
  pluck(toggle = true): this {
    this.plucked = toggle;
    return this;
  }
}

/**
 * node:sqlite's DatabaseSync behind the SqliteDatabase seam: `pragma` through a prepared
 * `PRAGMA`, `transaction` as better-sqlite3 does it (BEGIN/COMMIT/ROLLBACK, or a savepoint when
 * a transaction is open already; no ROLLBACK when SQLite has rolled back by itself). Errors
 * pass through as node:sqlite throws them (`code: 'ERR_SQLITE_ERROR'`, `errcode`): see
 * sqliteCodeOf.
 */
export class NodeSqliteDatabase implements SqliteDatabase {
  private control?: {
    begin: Record<"deferred" | "immediate" | "exclusive", StatementSync>;
    commit: StatementSync;
    rollback: StatementSync;
    savepoint: StatementSync;
    release: StatementSync;
    rollbackTo: StatementSync;
  };

  constructor(
    /** The node:sqlite connection (for its module's backup()). */
    readonly raw: DatabaseSync,
    readonly name: string,
    readonly readonly: boolean,
  ) {}

  get open(): boolean {
    return this.raw.isOpen;
  }
  get inTransaction(): boolean {
    return this.raw.isTransaction;
  }

  prepare(sql: string): SqliteStatement {
    return new NodeSqliteStatement(this.raw.prepare(sql));
  }
  exec(sql: string): this {
    this.raw.exec(sql);
    return this;
  }
  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    const stmt = this.raw.prepare(`PRAGMA ${source}`);
    return options.simple ? firstColumn(stmt.get()) : stmt.all();
  }
  close(): this {
    if (this.raw.isOpen) this.raw.close();
    return this;
  }

  transaction<F extends (...args: never[]) => unknown>(fn: F): SqliteTransaction<F> {
    const variant =
      (mode: "deferred" | "immediate" | "exclusive") =>
      (...args: ArgsOf<F>): ReturnType<F> =>
        this.inTransactionRun(
          mode,
          () => (fn as unknown as (...a: unknown[]) => unknown)(...args) as ReturnType<F>,
        );
    return Object.assign(variant("deferred"), {
      deferred: variant("deferred"),
      immediate: variant("immediate"),
      exclusive: variant("exclusive"),
    });
  }

  private inTransactionRun<T>(mode: "deferred" | "immediate" | "exclusive", work: () => T): T {
    const c = (this.control ??= {
      begin: {
        deferred: this.raw.prepare("BEGIN DEFERRED"),
        immediate: this.raw.prepare("BEGIN IMMEDIATE"),
        exclusive: this.raw.prepare("BEGIN EXCLUSIVE"),
      },
      commit: this.raw.prepare("COMMIT"),
      rollback: this.raw.prepare("ROLLBACK"),
      savepoint: this.raw.prepare('SAVEPOINT "\t_stageflow\t"'),
      release: this.raw.prepare('RELEASE "\t_stageflow\t"'),
      rollbackTo: this.raw.prepare('ROLLBACK TO "\t_stageflow\t"'),
    });
    const nested = this.raw.isTransaction;
    const [before, after, undo] = nested
      ? [c.savepoint, c.release, c.rollbackTo]
      : [c.begin[mode], c.commit, c.rollback];
    before.run();
    try {
      const result = work();
      if (result && typeof (result as { then?: unknown }).then === "function") {
        throw new TypeError("a transaction's function cannot return a promise");
      }
      after.run();
      return result;
    } catch (e) {
      if (this.raw.isTransaction) {
        undo.run();
        if (nested) after.run();
      }
      throw e;
    }
  }
}
