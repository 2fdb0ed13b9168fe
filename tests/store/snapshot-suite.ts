import { existsSync } from "node:fs";
import { copyFile, open, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createSqliteJournal,
  type SqliteDriver,
  type SqliteJournal,
  StoreError,
  verifyJournalSnapshot,
} from "../../src/store/index.js";
import { checkpoint, newRun, stepSucceeded } from "../../src/testing/contract/builders.js";
import { tempDir } from "./temp.js";

/** ~2 KB of outputs per checkpoint, so that a journal of a few thousand steps spans many pages. */
const outputs = (i: number) => ({ i, log: `step ${i} `.repeat(200) });

/**
 * Writes `count` checkpoints of run `runId`, each with its step.succeeded event in the same
 * unit: a consistent copy holds both or neither.
 */
const writeSteps = (journal: SqliteJournal, runId: string, from: number, count: number) =>
  Array.from({ length: count }, (_, k) =>
    journal.putCheckpoint(checkpoint(runId, `s${from + k}`, "succeeded", outputs(from + k)), [
      stepSucceeded(runId, `s${from + k}`),
    ]),
  );

/** Steps of `runId` whose checkpoint is in `journal`, and those whose event is. */
async function stepsIn(journal: SqliteJournal, runId: string) {
  const checkpoints = (await journal.listCheckpoints(runId)).map((c) => c.stepId).sort();
  const events = (await journal.listEvents(runId))
    .filter((e) => e.type === "step.succeeded")
    .map((e) => (e.payload as { stepId: string }).stepId)
    .sort();
  return { checkpoints, events };
}

/** A journal of one run with `steps` checkpoints, closed, and its path. */
export async function journalFile(driver: SqliteDriver, steps = 20): Promise<string> {
  const path = join(await tempDir(), "state.db");
  const journal = createSqliteJournal({ path, driver });
  await journal.createRun(newRun("r1"), []);
  await Promise.all(writeSteps(journal, "r1", 0, steps));
  await journal.close();
  return path;
}

/** Snapshot tests on one driver: run by snapshot.test.ts (better-sqlite3) and under Node 24 (node:sqlite). */
export function describeSnapshots(driver: SqliteDriver): void {
  describe(`SqliteJournal.snapshot and verifyJournalSnapshot (${driver})`, () => {
    it("copies a journal that keeps being written into one consistent file that verifies", async () => {
      const dir = await tempDir();
      const journal = createSqliteJournal({ path: join(dir, "state.db"), driver });
      try {
        await journal.createRun(newRun("r1"), []);
        await Promise.all(writeSteps(journal, "r1", 0, 1200)); // ~3 MB: a backup of several steps
        const queued = writeSteps(journal, "r1", 1200, 50); // enqueued, not yet committed
        let next = 1250;
        let copying = true;
        const writer = (async () => {
          while (copying && next < 2000) await Promise.all(writeSteps(journal, "r1", (next += 10) - 10, 10));
        })();
        const dest = join(dir, "snapshots", "state.snapshot.db");
        const snapshot = await journal.snapshot(dest);
        copying = false;
        await Promise.all([writer, ...queued]);

        expect(snapshot.path).toBe(dest);
        expect(snapshot.bytes).toBe((await stat(dest)).size);
        expect(snapshot.bytes).toBeGreaterThan(1200 * 2000);
        expect((await stat(dest)).mode & 0o777).toBe(0o600);
        // One self-contained file: a rollback journal (header bytes 18-19 = 1), no -wal beside it.
        expect([...(await readFile(dest)).subarray(18, 20)]).toEqual([1, 1]);
        expect(existsSync(`${dest}-wal`)).toBe(false);
        expect(await verifyJournalSnapshot(dest, { driver })).toEqual({ ok: true, problems: [] });

        const copy = createSqliteJournal({ path: dest, readOnly: true, driver });
        try {
          const { checkpoints, events } = await stepsIn(copy, "r1");
          expect(checkpoints).toEqual(events);
          expect(checkpoints.length).toBeGreaterThanOrEqual(1250); // everything enqueued before
          expect(checkpoints.length).toBeLessThanOrEqual(next);
        } finally {
          await copy.close();
        }
        // The journal goes on; a second snapshot replaces the first.
        await journal.putCheckpoint(checkpoint("r1", "after"), []);
        await journal.snapshot(dest);
        const again = createSqliteJournal({ path: dest, readOnly: true, driver });
        expect((await again.listCheckpoints("r1")).some((c) => c.stepId === "after")).toBe(true);
        await again.close();
      } finally {
        await journal.close();
      }
    });

    it("refuses to write a snapshot over the journal itself or over a file that is not SQLite", async () => {
      const path = await journalFile(driver, 1);
      const journal = createSqliteJournal({ path, driver });
      try {
        await expect(journal.snapshot(path)).rejects.toMatchObject({ code: "bad_path" });
        const foreign = join(await tempDir(), "notes.txt");
        await writeFile(foreign, "my notes, not a journal\n");
        await expect(journal.snapshot(foreign)).rejects.toMatchObject({ code: "not_sqlite" });
        expect(await readFile(foreign, "utf8")).toBe("my notes, not a journal\n");
      } finally {
        await journal.close();
      }
      await expect(journal.snapshot(join(await tempDir(), "x.db"))).rejects.toMatchObject({ code: "closed" });
    });

    it("finds a checkpoint changed in the file (checksum) and a damaged page (integrity_check)", async () => {
      const path = await journalFile(driver);
      const bytes = await readFile(path);
      // Same-length edits of step s7's outputs (every copy in the file, freed pages included), so
      // SQLite's structure stays intact: only the checksum can tell.
      const needle = Buffer.from("step 7 step 7");
      let edits = 0;
      for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1), edits++) {
        bytes.write("step 9", at, "latin1");
      }
      expect(edits).toBeGreaterThan(0);
      const edited = join(await tempDir(), "edited.db");
      await writeFile(edited, bytes);
      const result = await verifyJournalSnapshot(edited, { driver });
      expect(result.ok).toBe(false);
      expect(result.problems).toEqual([expect.stringMatching(/run 'r1' step 's7': checksum mismatch/)]);

      // The last page's b-tree header overwritten: SQLite's own checks find it.
      const damaged = join(await tempDir(), "damaged.db");
      await copyFile(path, damaged);
      const file = await open(damaged, "r+");
      const size = (await file.stat()).size;
      await file.write(Buffer.alloc(64, 0xa5), 0, 64, size - 4096);
      await file.close();
      const outcome = await verifyJournalSnapshot(damaged, { driver }).catch((e: unknown) => e);
      if (outcome instanceof StoreError) {
        expect(outcome).toMatchObject({ code: "corrupt", path: damaged });
        expect(outcome.message).toContain(damaged);
      } else {
        expect(outcome).toMatchObject({ ok: false });
        expect((outcome as { problems: string[] }).problems.join("\n")).toMatch(/integrity_check: /);
      }
    });

    it("refuses a file that is not a journal snapshot with a StoreError naming it", async () => {
      const dir = await tempDir();
      const foreign = join(dir, "report.pdf");
      await writeFile(foreign, "%PDF-1.7 not a database at all");
      await expect(verifyJournalSnapshot(foreign, { driver })).rejects.toMatchObject({
        code: "not_sqlite",
        path: foreign,
        message: expect.stringContaining(foreign),
      });
      const missing = join(dir, "none.db");
      await expect(verifyJournalSnapshot(missing, { driver })).rejects.toMatchObject({
        code: "missing",
        path: missing,
      });

      const newer = await journalFile(driver, 1);
      const journal = createSqliteJournal({ path: newer, driver });
      journal.db.pragma("user_version = 99");
      await journal.close();
      await expect(verifyJournalSnapshot(newer, { driver })).rejects.toMatchObject({
        code: "newer_schema",
        path: newer,
      });
    });
  });
}
