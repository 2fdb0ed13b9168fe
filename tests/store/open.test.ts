import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase, SCHEMA_VERSION, StoreError } from "../../src/store/index.js";
import { tempDir } from "./temp.js";

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("openDatabase", () => {
  it.each([
    ["process", 1],
    ["machine", 2],
  ] as const)(
    "opens with WAL, foreign keys, a busy timeout and synchronous for '%s'",
    async (durability, sync) => {
      const path = join(await tempDir(), "a", "b", "state.db");
      const db = openDatabase(path, { durability });
      try {
        expect(db.pragma("synchronous", { simple: true })).toBe(sync);
        expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
        expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
        expect(db.pragma("busy_timeout", { simple: true })).toBe(5000);
        expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(10000);
        expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
      } finally {
        db.close();
      }
    },
  );

  it("defaults to 'process' durability and refuses an unknown one", async () => {
    const path = join(await tempDir(), "state.db");
    const db = openDatabase(path);
    expect(db.pragma("synchronous", { simple: true })).toBe(1);
    db.close();
    expect(() => openDatabase(path, { durability: "disk" as never })).toThrow(TypeError);
    expect(() => openDatabase(path, { durability: "disk" as never })).toThrow(/"disk"/);
  });

  it("refuses a file that is not SQLite, naming it and leaving it byte-for-byte unchanged", async () => {
    const dir = await tempDir();
    const path = join(dir, "state.db");
    writeFileSync(path, "name: deploy\nstages: []\n".repeat(40));
    const before = sha(path);
    let error: unknown;
    try {
      openDatabase(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({
      code: "not_sqlite",
      reason: "storage_corrupt",
      message: `${path}: not an SQLite database (refusing to touch it)`,
    });
    expect(sha(path)).toBe(before);
  });

  it("refuses a short non-SQLite file and a directory", async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, "short.db"), "hi");
    mkdirSync(join(dir, "folder.db"));
    expect(() => openDatabase(join(dir, "short.db"))).toThrow(/short\.db: not an SQLite database/);
    expect(readFileSync(join(dir, "short.db"), "utf8")).toBe("hi");
    expect(() => openDatabase(join(dir, "folder.db"))).toThrow(/folder\.db: is a directory/);
  });

  it("opens an empty file as a new database", async () => {
    const path = join(await tempDir(), "empty.db");
    writeFileSync(path, "");
    const db = openDatabase(path);
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });
});
