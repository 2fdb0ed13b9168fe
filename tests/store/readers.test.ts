import { statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { createSqliteJournal, MIGRATIONS, openDatabase, SCHEMA_VERSION } from "../../src/store/index.js";
import { newRun } from "../../src/testing/contract/builders.js";
import { tempDir } from "./temp.js";

const mode = (path: string) => statSync(path).mode & 0o777;

async function journalWithRun(path: string): Promise<void> {
  const journal = createSqliteJournal({ path });
  await journal.createRun(newRun("r1"), []);
  await journal.close();
}

describe("journal file modes", () => {
  it("creates the journal, its -wal and -shm 0600 and its directory 0700", async () => {
    const dir = join(await tempDir(), "state");
    const path = join(dir, "journal.db");
    const journal = createSqliteJournal({ path });
    await journal.createRun(newRun("r1"), []);
    expect(mode(dir)).toBe(0o700);
    expect(mode(path)).toBe(0o600);
    expect(mode(`${path}-wal`)).toBe(0o600);
    expect(mode(`${path}-shm`)).toBe(0o600);
    await journal.close();
  });
});

describe("opening a current journal", () => {
  it("writes nothing (the -wal file stays empty)", async () => {
    const path = join(await tempDir(), "state.db");
    await journalWithRun(path);
    const db = openDatabase(path);
    try {
      expect(statSync(`${path}-wal`).size).toBe(0);
    } finally {
      db.close();
    }
  });

  it("does not wait for a connection that holds the write lock, writable or read-only", async () => {
    const path = join(await tempDir(), "state.db");
    await journalWithRun(path);
    const holder = new Database(path);
    holder.pragma("busy_timeout = 0");
    holder.exec("BEGIN IMMEDIATE");
    holder.prepare("UPDATE runs SET workflow = 'uncommitted'").run();
    try {
      // Before, open rewrote user_version under the lock: 5 s of busy wait, then `locked`.
      for (const readOnly of [false, true]) {
        const journal = createSqliteJournal({ path, readOnly });
        expect((await journal.getRun("r1"))?.workflow).toBe("deploy");
        await journal.close();
      }
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
  });
});

describe("a read-only journal", () => {
  it("refuses writes, and a missing or older journal, creating and migrating nothing", async () => {
    const dir = await tempDir();
    const path = join(dir, "state.db");
    await journalWithRun(path);
    const journal = createSqliteJournal({ path, readOnly: true });
    await expect(journal.createRun(newRun("r2"), [])).rejects.toMatchObject({ code: "read_only" });
    await journal.close();

    expect(() => createSqliteJournal({ path: join(dir, "none.db"), readOnly: true })).toThrow(
      expect.objectContaining({ code: "missing" }),
    );
    expect(() => statSync(join(dir, "none.db"))).toThrow(/ENOENT/);

    const old = join(dir, "old.db");
    const raw = new Database(old);
    for (const m of MIGRATIONS.slice(0, -1)) raw.exec(m.sql);
    raw.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
    raw.close();
    expect(() => createSqliteJournal({ path: old, readOnly: true })).toThrow(
      expect.objectContaining({ code: "older_schema" }),
    );
    const check = new Database(old, { readonly: true });
    expect(check.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION - 1);
    check.close();
  });
});
