import { describe, expect, it } from "vitest";
import { isStageflowError } from "../../src/engine/errors.js";
import { storeErrorFrom } from "../../src/store/errors.js";
import { isStoreError, StoreError } from "../../src/store/index.js";

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
