import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import {
  createSqliteJournal,
  MIGRATIONS,
  migrate,
  openDatabase,
  SCHEMA_VERSION,
} from "../../src/store/index.js";
import type { SqliteDatabase } from "../../src/store/index.js";
import { checkpoint, newRun } from "../../src/testing/contract/builders.js";
import { tempDir } from "./temp.js";

const tables = (db: SqliteDatabase) =>
  (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  )
    .map((r) => r.name)
    .filter((name) => !name.startsWith("sqlite_"));

describe("migrations", () => {
  it("numbers migrations 1, 2, ... and ends at SCHEMA_VERSION", () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it("creates the latest schema on a new file and applies nothing twice", async () => {
    const path = join(await tempDir(), "state.db");
    openDatabase(path).close();
    const db = openDatabase(path);
    try {
      expect(tables(db)).toEqual([
        "attempts",
        "breakers",
        "checkpoints",
        "deadlines",
        "definitions",
        "events",
        "processes",
        "runs",
        "signals",
        "step_logs",
        "wakes",
      ]);
      expect(migrate(db, path)).toBe(SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });

  it("version 1 creates the whole schema at once: no table is altered by a later migration", () => {
    expect(MIGRATIONS[0]).toMatchObject({ version: 1, name: "initial" });
    for (const m of MIGRATIONS) expect(m.sql).not.toMatch(/ALTER TABLE|DROP COLUMN/i);
  });

  it("brings a journal at an older version up to SCHEMA_VERSION, and its runs read as before", async () => {
    const path = join(await tempDir(), "state.db");
    const old = new Database(path);
    old.pragma("journal_mode = WAL");
    for (const m of MIGRATIONS.slice(0, -1)) old.exec(m.sql);
    old.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
    old.close();

    const journal = createSqliteJournal({ path });
    try {
      expect(journal.db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
      await journal.createRun(newRun("r1"), []);
      await journal.putCheckpoint(checkpoint("r1", "build"), []);
      expect((await journal.getRun("r1"))?.id).toBe("r1");
      expect((await journal.listCheckpoints("r1")).map((c) => c.stepId)).toEqual(["build"]);
    } finally {
      await journal.close();
    }
  });

  it("refuses a database with a newer schema, naming the path and changing nothing", async () => {
    const path = join(await tempDir(), "state.db");
    const journal = createSqliteJournal({ path });
    await journal.createRun(newRun("r1"), []);
    await journal.close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();

    expect(() => createSqliteJournal({ path })).toThrow(
      expect.objectContaining({ code: "newer_schema", message: expect.stringContaining(path) }),
    );
    const check = new Database(path, { readonly: true });
    expect(check.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION + 1);
    expect(check.prepare("SELECT id FROM runs").all()).toEqual([{ id: "r1" }]);
    check.close();
  });
});
