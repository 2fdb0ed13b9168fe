import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { NodeSqliteDatabase, type NodeSqliteModule } from "./node-sqlite.js";

/**
 * Which SQLite binding a journal runs on:
 * - `better-sqlite3` (the default): the native addon, built for the running Node's ABI;
 * - `node:sqlite`: Node's built-in module (Node >= 22.16), for hosts that cannot carry a native
 *   addon, such as the GitHub Action's single-file bundle.
 */
export type SqliteDriver = "better-sqlite3" | "node:sqlite";

export const SQLITE_DRIVERS: readonly SqliteDriver[] = ["better-sqlite3", "node:sqlite"];

/** `run()`'s result: rows changed, and the rowid of the last row inserted. */
export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** The part of a prepared statement the store uses (better-sqlite3's Statement is one). */
export interface SqliteStatement {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** From now on, rows are their first column's value (default: an object by column name). */
  pluck(toggle?: boolean): this;
}

/**
 * `fn` run in a transaction: BEGIN (or SAVEPOINT when one is open already) before, COMMIT (or
 * RELEASE) after, ROLLBACK (TO the savepoint) when it throws. The variants choose the BEGIN.
 */
export interface SqliteTransaction<F extends (...args: never[]) => unknown> {
  (...args: ArgsOf<F>): ReturnType<F>;
  deferred(...args: ArgsOf<F>): ReturnType<F>;
  immediate(...args: ArgsOf<F>): ReturnType<F>;
  exclusive(...args: ArgsOf<F>): ReturnType<F>;
}

export type ArgsOf<F> = F extends (...args: infer A) => unknown ? A : never;

/**
 * The part of a database connection the store uses: better-sqlite3's Database as it is, or
 * node:sqlite's DatabaseSync behind NodeSqliteDatabase. Rows are plain objects by column name;
 * integers are numbers; named parameters (`@name`) bind from an object's keys without the `@`.
 */
export interface SqliteDatabase {
  /** The path it was opened with. */
  readonly name: string;
  readonly open: boolean;
  readonly readonly: boolean;
  readonly inTransaction: boolean;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): this;
  /** `PRAGMA <source>`: its rows, or with `simple` the first column of the first row. */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<F extends (...args: never[]) => unknown>(fn: F): SqliteTransaction<F>;
  close(): this;
}

export interface ConnectOptions {
  readonly?: boolean;
  fileMustExist?: boolean;
}

/** Pages copied per step of better-sqlite3's online backup (1 MB at the default page size). */
const BACKUP_PAGES_PER_STEP = 256;

// Both bindings are loaded on first use, not imported: a host on one of them never loads the
// other (under Node 24, better-sqlite3's addon built for Node 20 would throw), and a bundle
// leaves both out.
const load = createRequire(import.meta.url);
let betterSqlite3: typeof BetterSqlite3 | undefined;
let nodeSqlite: NodeSqliteModule | undefined;

function loadNodeSqlite(): NodeSqliteModule {
  if (nodeSqlite) return nodeSqlite;
  let module: NodeSqliteModule | undefined;
  try {
    module = load("node:sqlite") as NodeSqliteModule;
  } catch {
    throw nodeTooOld("no node:sqlite");
  }
  if (typeof module.backup !== "function") throw nodeTooOld("node:sqlite without backup()");
  nodeSqlite = module;
  return module;
}

const nodeTooOld = (what: string) =>
  new TypeError(
    `the SQLite driver "node:sqlite" needs Node >= 22.16 (node:sqlite with backup() and isTransaction); ` +
      `this is Node ${process.versions.node} (${what}): run on a newer Node, or use the driver "better-sqlite3"`,
  );

/** Throws TypeError unless `driver` is a SqliteDriver (undefined: the default). */
export function checkDriver(driver: unknown): SqliteDriver {
  if (driver === undefined) return "better-sqlite3";
  if (driver === "better-sqlite3" || driver === "node:sqlite") return driver;
  throw new TypeError(`driver must be "better-sqlite3" or "node:sqlite", got ${JSON.stringify(driver)}`);
}

/** Opens the database at `path` with `driver`. SQLite's errors pass through (see storeErrorFrom). */
export function connect(driver: SqliteDriver, path: string, options: ConnectOptions = {}): SqliteDatabase {
  if (driver === "node:sqlite") {
    const { DatabaseSync } = loadNodeSqlite();
    // node:sqlite opens read-only files only if they exist: fileMustExist holds for readOnly.
    const raw = new DatabaseSync(path, { readOnly: options.readonly ?? false });
    if ((raw as { isTransaction?: unknown }).isTransaction === undefined) {
      raw.close();
      throw nodeTooOld("node:sqlite without isTransaction");
    }
    return new NodeSqliteDatabase(raw, path, options.readonly ?? false);
  }
  betterSqlite3 ??= load("better-sqlite3") as typeof BetterSqlite3;
  return new betterSqlite3(path, options);
}

/**
 * Copies the database open as `db` into the file `dest` with SQLite's online backup API, so the
 * copy holds committed transactions only, never half of one:
 * - better-sqlite3: from `db` itself, a few pages per step between turns of the event loop;
 *   writes made through `db` meanwhile are copied too (the copy is as of the end).
 * - node:sqlite: its backup() steps on a worker thread, and a write made meanwhile through the
 *   same connection can fail it ("not an error", seen on Node 24.22). So the copy is read through
 *   a second, read-only connection in one step: one read transaction, the copy as of the start,
 *   while writes on `db` go on (WAL). A `:memory:` database has no file to reopen: copied from
 *   `db`, in one step.
 */
export async function backupDatabase(db: SqliteDatabase, dest: string): Promise<void> {
  if (db instanceof NodeSqliteDatabase) {
    const { backup, DatabaseSync } = loadNodeSqlite();
    if (db.name === ":memory:" || db.name === "") {
      await backup(db.raw, dest, { rate: ALL_PAGES });
      return;
    }
    const reader = new DatabaseSync(db.name, { readOnly: true });
    try {
      reader.exec("PRAGMA busy_timeout = 5000");
      await backup(reader, dest, { rate: ALL_PAGES });
    } finally {
      reader.close();
    }
    return;
  }
  await (db as unknown as BetterSqlite3.Database).backup(dest, { progress: () => BACKUP_PAGES_PER_STEP });
}

/** node:sqlite's largest `rate`: every page in one step. */
const ALL_PAGES = 2 ** 31 - 1;
