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
import { checkpoint, newRun } from "../../src/testing/contract/builders.js";
import { tempDir } from "./temp.js";

const tables = (db: Database.Database) =>
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

  it("migrates a v1 journal to v2: each definition moves to the definitions table, once", async () => {
    const path = join(await tempDir(), "state.db");
    const v1 = new Database(path);
    v1.pragma("journal_mode = WAL");
    v1.exec(MIGRATIONS[0]?.sql ?? "");
    v1.pragma("user_version = 1");
    const insert = v1.prepare(
      `INSERT INTO runs (id, workflow, definition, definition_hash, trigger, correlation_id, inputs,
         status, created_at, updated_at) VALUES (?, 'w', ?, ?, '{"kind":"cli"}', ?, '{}', 'succeeded', 1, 1)`,
    );
    insert.run("r1", '{"name":"w","v":1}', "h1", "r1");
    insert.run("r2", '{"name":"w","v":1}', "h1", "r2");
    insert.run("r3", '{"name":"w","v":2}', "h2", "r3");
    v1.close();

    const journal = createSqliteJournal({ path });
    try {
      expect((await journal.getRun("r1"))?.definition).toEqual({ name: "w", v: 1 });
      expect((await journal.getRun("r2"))?.definition).toEqual({ name: "w", v: 1 });
      expect((await journal.getRun("r3"))?.definition).toEqual({ name: "w", v: 2 });
      expect(journal.db.prepare("SELECT COUNT(*) AS n FROM definitions").get()).toEqual({ n: 2 });
      expect(journal.db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      await journal.close();
    }
  });

  it("migrates a v2 journal to v3: its attempts and checkpoints read as before", async () => {
    const path = join(await tempDir(), "state.db");
    const v2 = new Database(path);
    v2.pragma("journal_mode = WAL");
    for (const m of MIGRATIONS.slice(0, 2)) v2.exec(m.sql);
    v2.pragma("user_version = 2");
    v2.prepare(`INSERT INTO definitions (hash, body) VALUES ('h1', '{"name":"w"}');`).run();
    v2.exec(`INSERT INTO runs (id, workflow, definition_hash, trigger, correlation_id, inputs, status, created_at,
               updated_at) VALUES ('r1', 'w', 'h1', '{"kind":"cli"}', 'r1', '{}', 'succeeded', 1, 1);
             INSERT INTO attempts (run_id, step_id, stage_id, attempt, status, reason, started_at, finished_at, outputs)
               VALUES ('r1', 'a', 'build', 1, 'succeeded', 'succeeded', 10, 20, '{"ok":true}');
             INSERT INTO checkpoints (run_id, step_id, stage_id, identity, status, reason, outputs, attempts,
               started_at, finished_at, checksum)
               VALUES ('r1', 'a', 'build', 'i', 'succeeded', 'succeeded', '{"ok":true}', 1, 10, 20, 'c1:0');`);
    v2.close();

    const journal = createSqliteJournal({ path });
    try {
      expect(journal.db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
      expect(await journal.listAttempts("r1")).toMatchObject([
        { stepId: "a", attempt: 1, outputs: { ok: true } },
      ]);
      expect(await journal.listCheckpoints("r1")).toMatchObject([{ stepId: "a", attempts: 1 }]);
      expect(journal.db.prepare("SELECT inline_attempt FROM checkpoints").pluck().all()).toEqual([0]);
      // Replacing the old checkpoint keeps the attempt exactly once.
      await journal.putCheckpoint(checkpoint("r1", "a", "failed"), []);
      expect(await journal.listAttempts("r1")).toHaveLength(1);
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
