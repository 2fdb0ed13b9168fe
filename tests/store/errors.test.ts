import { describe, expect, it } from "vitest";
import { isStageflowError } from "../../src/engine/errors.js";
import { storeErrorFrom } from "../../src/store/errors.js";
import { createSqliteJournal, isStoreError, sqliteCodeOf, StoreError } from "../../src/store/index.js";

const sqliteError = (code: string) => Object.assign(new Error("database is locked"), { code });

describe("storeErrorFrom", () => {
  it.each([
    ["SQLITE_READONLY", "read_only"],
    ["SQLITE_READONLY_DIRECTORY", "read_only"],
    ["SQLITE_CANTOPEN", "read_only"],
    ["EACCES", "read_only"],
    ["EROFS", "read_only"],
    ["SQLITE_BUSY", "locked"],
    ["SQLITE_BUSY_SNAPSHOT", "locked"],
  ])("turns %s into a StoreError '%s' naming the path and --db", (code, expected) => {
    const error = storeErrorFrom("/srv/stageflow/state.db", sqliteError(code));
    expect(isStoreError(error)).toBe(true);
    expect(isStageflowError(error)).toBe(true);
    expect(error).toMatchObject({
      code: expected,
      reason: "storage_unavailable",
      path: "/srv/stageflow/state.db",
    });
    expect((error as StoreError).message).toMatch(/\/srv\/stageflow\/state\.db.*--db PATH/);
    expect((error as StoreError).cause).toBeInstanceOf(Error);
  });

  it("passes other errors through unchanged", () => {
    const other = sqliteError("SQLITE_CONSTRAINT_CHECK");
    expect(storeErrorFrom("/x.db", other)).toBe(other);
    expect(storeErrorFrom("/x.db", "text")).toBe("text");
    const store = new StoreError("closed", "closed");
    expect(storeErrorFrom("/x.db", store)).toBe(store);
  });
});

/** An error as node:sqlite throws it: a generic code, the extended result code as a number. */
const nodeSqliteError = (errcode: number, message: string) =>
  Object.assign(new Error(message), { code: "ERR_SQLITE_ERROR", errcode, errstr: message });

describe("errors of node:sqlite", () => {
  it.each([
    [5, "SQLITE_BUSY", "locked"],
    [517, "SQLITE_BUSY_SNAPSHOT", "locked"],
    [6, "SQLITE_LOCKED", "locked"],
    [262, "SQLITE_LOCKED_SHAREDCACHE", "locked"],
    [8, "SQLITE_READONLY", "read_only"],
    [1544, "SQLITE_READONLY_DIRECTORY", "read_only"],
    [14, "SQLITE_CANTOPEN", "read_only"],
    [3, "SQLITE_PERM", "read_only"],
    [11, "SQLITE_CORRUPT", "corrupt"],
    [779, "SQLITE_CORRUPT_INDEX", "corrupt"],
    [26, "SQLITE_NOTADB", "corrupt"],
    [13, "SQLITE_FULL", "full"],
    [10, "SQLITE_IOERR", "io"],
    [778, "SQLITE_IOERR_WRITE", "io"],
    [15, "SQLITE_PROTOCOL", "io"],
  ])("maps errcode %i (%s) to StoreError '%s', as better-sqlite3's code", (errcode, name, expected) => {
    const fromNode = nodeSqliteError(errcode, "database is locked");
    expect(sqliteCodeOf(fromNode)).toBe(name);
    const error = storeErrorFrom("/srv/state.db", fromNode);
    expect(error).toMatchObject({ code: expected, path: "/srv/state.db" });
    expect((error as StoreError).message).toContain(`(${name}: database is locked)`);
    expect((error as StoreError).cause).toBe(fromNode);
    expect(storeErrorFrom("/srv/state.db", sqliteError(name))).toMatchObject({ code: expected });
  });

  it.each([
    [1555, "SQLITE_CONSTRAINT_PRIMARYKEY"],
    [787, "SQLITE_CONSTRAINT_FOREIGNKEY"],
    [1811, "SQLITE_CONSTRAINT_TRIGGER"],
    [1, "SQLITE_ERROR"],
  ])(
    "names errcode %i %s and passes it through (constraints and SQL errors are no storage fault)",
    (errcode, name) => {
      const e = nodeSqliteError(errcode, "constraint failed");
      expect(sqliteCodeOf(e)).toBe(name);
      expect(storeErrorFrom("/x.db", e)).toBe(e);
    },
  );

  it("names an extended code it does not know by its primary code", () => {
    expect(sqliteCodeOf(nodeSqliteError(5 | (99 << 8), "busy"))).toBe("SQLITE_BUSY");
    expect(sqliteCodeOf({ code: "EACCES" })).toBe("EACCES");
    expect(sqliteCodeOf(new Error("plain"))).toBeUndefined();
    expect(sqliteCodeOf(null)).toBeUndefined();
  });
});

describe("the driver option", () => {
  it("is a clear TypeError when node:sqlite is asked for on a Node without it, or the driver is unknown", () => {
    const major = Number(process.versions.node.split(".")[0]);
    if (major < 22) {
      expect(() => createSqliteJournal({ path: ":memory:", driver: "node:sqlite" })).toThrow(
        new RegExp(`"node:sqlite" needs Node >= 22\\.16 .*this is Node ${process.versions.node}`),
      );
    }
    expect(() => createSqliteJournal({ path: ":memory:", driver: "sqlite3" as never })).toThrow(TypeError);
    expect(() => createSqliteJournal({ path: ":memory:", driver: "sqlite3" as never })).toThrow(
      'driver must be "better-sqlite3" or "node:sqlite", got "sqlite3"',
    );
  });
});
