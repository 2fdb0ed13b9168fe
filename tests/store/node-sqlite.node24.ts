/**
 * The SQLite journal on node:sqlite, under Node 24 (the Action's runtime): the Journal contract,
 * the snapshot and group-commit suites, the adapter's transactions and errors, and snapshots across drivers.
 * tests/store/node-sqlite.test.ts runs this file with Node 24 and STAGEFLOW_SQLITE_DRIVER=node:sqlite
 * (vitest.config.ts includes it only then: it is not a `.test.ts` of the ordinary Node 20 run).
 */
import { createRequire } from "node:module";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describeJournalContract } from "stageflow/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSqliteJournal, sqliteCodeOf, verifyJournalSnapshot } from "../../src/store/index.js";
import { checkpoint, newRun, stepSucceeded } from "../../src/testing/contract/builders.js";
import { sqliteFixture } from "../contract/sqlite-fixture.js";
import { describeGroupCommit } from "./group-commit-suite.js";
import { describeSnapshots, journalFile } from "./snapshot-suite.js";
import { tempDir } from "./temp.js";
// tests/store/node-sqlite.test.ts counts the tests below (NODE24_ONLY_TESTS): 5.
const env = process.env;
if (env.STAGEFLOW_SQLITE_DRIVER !== "node:sqlite") {
  throw new Error(
    "run by tests/store/node-sqlite.test.ts under Node 24 with STAGEFLOW_SQLITE_DRIVER=node:sqlite",
  );
}
{
  describeJournalContract("SqliteJournal (file, node:sqlite)", () => sqliteFixture("node:sqlite"), {
    describe,
    it,
    expect,
    beforeEach,
    afterEach,
  });
  describeSnapshots("node:sqlite");
  describeGroupCommit("node:sqlite");

  describe("the node:sqlite driver", () => {
    it("nests transactions in savepoints, rolls back only the inner one, and knows when SQLite rolled back", async () => {
      const journal = createSqliteJournal({ path: join(await tempDir(), "state.db"), driver: "node:sqlite" });
      const { db } = journal;
      db.exec("CREATE TABLE t (v INTEGER PRIMARY KEY)");
      const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
      const inner = db.transaction((v: number) => {
        insert.run(v);
        if (v < 0) throw new Error("inner fails");
      });
      const outer = db.transaction(() => {
        inner(1);
        expect(() => inner(-1)).toThrow("inner fails");
        expect(db.inTransaction).toBe(true);
        inner(2);
      });
      outer.immediate();
      expect(db.inTransaction).toBe(false);
      const values = db.prepare("SELECT v FROM t ORDER BY v").pluck();
      expect(values.all()).toEqual([1, 2]);
      expect(values.get()).toBe(1);
      expect([...values.iterate()]).toEqual([1, 2]);
      expect(() => db.transaction(() => insert.run(1))()).toThrow(/UNIQUE|PRIMARY KEY/);
      expect(db.inTransaction).toBe(false);
      expect(db.pragma("user_version", { simple: true })).toBe(1);
      expect(db.prepare("SELECT v FROM t WHERE v = @v").get({ v: 2 })).toEqual({ v: 2 });
      await journal.close();
      expect(db.open).toBe(false);
    });

    it("maps node:sqlite's numeric result codes to the codes and StoreErrors better-sqlite3's give", async () => {
      const path = join(await tempDir(), "state.db");
      const journal = createSqliteJournal({ path, driver: "node:sqlite" });
      await journal.createRun(newRun("r1"), []);
      const duplicate = (() => {
        try {
          journal.db.prepare("INSERT INTO definitions (hash, body) VALUES ('def-hash-1', '{}')").run();
        } catch (e) {
          return e;
        }
      })();
      expect(duplicate).toMatchObject({ code: "ERR_SQLITE_ERROR", errcode: 1555 });
      expect(sqliteCodeOf(duplicate)).toBe("SQLITE_CONSTRAINT_PRIMARYKEY");
      await expect(journal.createRun(newRun("r1"), [])).rejects.toMatchObject({ code: "duplicate" });
      await expect(journal.putCheckpoint(checkpoint("nope", "s"), [])).rejects.toMatchObject({
        code: "unknown_run",
      });

      // Another connection holds the write lock: the journal's write is `locked`, naming the path.
      const other = createSqliteJournal({ path, driver: "node:sqlite" });
      other.db.exec("BEGIN IMMEDIATE");
      journal.db.pragma("busy_timeout = 0");
      await expect(journal.appendEvents([stepSucceeded("r1", "s")])).rejects.toMatchObject({
        code: "locked",
        path,
        message: expect.stringMatching(/locked by another process \(SQLITE_BUSY/),
      });
      other.db.exec("ROLLBACK");
      await other.close();
      await journal.close();

      // An SQLite header over garbage: `corrupt`, naming the file.
      const damaged = join(await tempDir(), "damaged.db");
      await writeFile(damaged, Buffer.concat([Buffer.from("SQLite format 3\0"), Buffer.alloc(8192, 0x5a)]));
      expect(() => createSqliteJournal({ path: damaged, driver: "node:sqlite" })).toThrow(
        expect.objectContaining({ code: "corrupt", path: damaged }),
      );
    });

    it.runIf(env.STAGEFLOW_SNAPSHOT_IN)(
      "verifies and reads a snapshot written by better-sqlite3 under Node 20",
      async () => {
        const path = env.STAGEFLOW_SNAPSHOT_IN as string;
        expect(await verifyJournalSnapshot(path, { driver: "node:sqlite" })).toEqual({
          ok: true,
          problems: [],
        });
        const journal = createSqliteJournal({ path, readOnly: true, driver: "node:sqlite" });
        expect(await journal.listCheckpoints("r1")).toHaveLength(20);
        await journal.close();
      },
    );

    it.runIf(env.STAGEFLOW_SNAPSHOT_OUT)(
      "writes a snapshot for better-sqlite3 to verify under Node 20",
      async () => {
        const journal = createSqliteJournal({
          path: await journalFile("node:sqlite", 30),
          driver: "node:sqlite",
        });
        const pending = journal.putCheckpoint(checkpoint("r1", "last"), [stepSucceeded("r1", "last")]);
        const { path } = await journal.snapshot(env.STAGEFLOW_SNAPSHOT_OUT as string);
        await pending;
        await journal.close();
        expect(path).toBe(env.STAGEFLOW_SNAPSHOT_OUT);
      },
    );

    // Last: nothing above loaded the addon (built for Node 20, it would have thrown under Node 24).
    it("never loaded better-sqlite3", () => {
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((p) =>
        p.includes("better-sqlite3"),
      );
      expect(loaded).toEqual([]);
      expect(process.versions.node.split(".")[0]).toBe("24");
    });
  });
}
