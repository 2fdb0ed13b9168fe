import { afterEach, describe, expect, it } from "vitest";
import { createSqliteJournal, type SqliteDriver, type SqliteJournal } from "../../src/store/index.js";
import { connect } from "../../src/store/sqlite/driver.js";
import {
  attemptFinish,
  attemptStart,
  checkpoint,
  newRun,
  started,
  stepSucceeded,
} from "../../src/testing/contract/builders.js";
import { tempDir } from "./temp.js";

/** Group commit on one driver: run by group-commit.test.ts (better-sqlite3) and under Node 24 (node:sqlite). */
export function describeGroupCommit(driver: SqliteDriver): void {
  const open: SqliteJournal[] = [];
  const journalAt = (path: string, durability: "process" | "machine" = "process") => {
    const journal = createSqliteJournal({ path, durability, driver });
    open.push(journal);
    return journal;
  };
  afterEach(async () => {
    for (const j of open.splice(0)) await j.close();
  });

  const delta = (
    before: { commits: number; writes: number },
    after: { commits: number; writes: number },
  ) => ({
    commits: after.commits - before.commits,
    writes: after.writes - before.writes,
  });

  describe(`SqliteJournal group commit (${driver})`, () => {
    it.each(["process", "machine"] as const)(
      "groups 100 concurrent finishAttempt calls into far fewer commits (%s)",
      async (durability) => {
        const path = `${await tempDir()}/state.db`;
        const journal = journalAt(path, durability);
        await journal.createRun(newRun("r1"), [started("r1")]);
        const steps = Array.from({ length: 100 }, (_, i) => `step-${i}`);
        await Promise.all(steps.map((s) => journal.startAttempt(attemptStart("r1", s), [])));

        const before = journal.stats();
        await Promise.all(
          steps.map((s) =>
            journal.finishAttempt(attemptFinish("r1", s), checkpoint("r1", s), [stepSucceeded("r1", s)]),
          ),
        );
        const { commits, writes } = delta(before, journal.stats());
        expect(writes).toBe(100);
        expect(commits).toBeLessThan(writes / 10);

        await journal.close();
        const reopened = journalAt(path);
        expect((await reopened.listAttempts("r1")).filter((a) => a.status === "succeeded")).toHaveLength(100);
        expect(await reopened.listCheckpoints("r1")).toHaveLength(100);
        expect(await reopened.listEvents("r1")).toHaveLength(101);
      },
    );

    it("rejects a failing unit alone; its batch-mates commit in the same transaction", async () => {
      const path = `${await tempDir()}/state.db`;
      const journal = journalAt(path);
      await journal.createRun(newRun("r1"), []);
      await journal.startAttempt(attemptStart("r1", "bad"), []);

      const before = journal.stats();
      const results = await Promise.allSettled([
        journal.putCheckpoint(checkpoint("r1", "a"), []),
        // Its attempt update and checkpoint run before its event fails: all three must roll back.
        journal.finishAttempt(attemptFinish("r1", "bad"), checkpoint("r1", "bad"), [
          stepSucceeded("ghost", "bad"),
        ]),
        journal.putCheckpoint(checkpoint("r1", "b"), []),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect(delta(before, journal.stats())).toEqual({ commits: 1, writes: 2 });

      await journal.close();
      const reopened = journalAt(path);
      expect((await reopened.listCheckpoints("r1")).map((c) => c.stepId)).toEqual(["a", "b"]);
      expect((await reopened.listAttempts("r1"))[0]?.status).toBe("running");
    });

    it("resolves a write only once another connection can see it committed", async () => {
      const path = `${await tempDir()}/state.db`;
      const journal = journalAt(path);
      await journal.createRun(newRun("r1"), []);
      const reader = connect(driver, path, { readonly: true });
      const count = () => (reader.prepare("SELECT count(*) AS n FROM events").get() as { n: number }).n;
      try {
        const write = journal.appendEvents([started("r1")]);
        expect(count()).toBe(0);
        await write;
        expect(count()).toBe(1);
      } finally {
        reader.close();
      }
    });

    it("commits pending writes on close, and names the path when used afterwards", async () => {
      const path = `${await tempDir()}/state.db`;
      const journal = journalAt(path);
      const write = journal.createRun(newRun("r1"), [started("r1")]);
      await journal.close();
      await write;
      await expect(journal.getRun("r1")).rejects.toThrow(`the journal at ${path} is closed`);
      expect(await journalAt(path).getRun("r1")).toMatchObject({ id: "r1" });
    });

    it("writes an attempt that starts and finishes in one batch once, already final", async () => {
      const path = `${await tempDir()}/state.db`;
      const journal = journalAt(path);
      await journal.createRun(newRun("r1"), []);
      await journal.startAttempt(attemptStart("r1", "slow"), []);
      const changes = journal.db.prepare("SELECT total_changes() AS n");
      const before = (changes.get() as { n: number }).n;

      // A fast step: its start and its finish are queued in the same turn.
      const fast = journal.startAttempt(attemptStart("r1", "fast"), []);
      const finished = journal.finishAttempt(attemptFinish("r1", "fast"), checkpoint("r1", "fast"), [
        stepSucceeded("r1", "fast"),
      ]);
      await Promise.all([fast, finished]);
      // One attempt row inserted (no update), one checkpoint, one event.
      expect((changes.get() as { n: number }).n - before).toBe(3);

      // A slow step: its start committed earlier, so its finish updates the row.
      await journal.finishAttempt(attemptFinish("r1", "slow"), checkpoint("r1", "slow"), []);
      expect((changes.get() as { n: number }).n - before).toBe(5);

      await journal.close();
      const attempts = await journalAt(path).listAttempts("r1");
      const fastRow = attempts.find((a) => a.stepId === "fast");
      expect(attempts.map((a) => [a.stepId, a.status]).sort()).toEqual([
        ["fast", "succeeded"],
        ["slow", "succeeded"],
      ]);
      expect(fastRow).toMatchObject({
        startedAt: attemptStart("r1", "fast").startedAt,
        finishedAt: attemptFinish("r1", "fast").finishedAt,
        outputs: attemptFinish("r1", "fast").outputs,
      });
    });

    it("stores a fast first attempt that succeeded in its checkpoint row, and refuses a second attempt 1", async () => {
      const path = `${await tempDir()}/state.db`;
      const journal = journalAt(path);
      await journal.createRun(newRun("r1"), []);
      const changes = journal.db.prepare("SELECT total_changes() AS n");
      const before = (changes.get() as { n: number }).n;
      const outputs = { ok: true, version: "1.2.3" };
      // A fast step as the engine writes it: start and finish queued in one turn, same outputs.
      const fastAttempt = (stepId: string) =>
        Promise.all([
          journal.startAttempt(attemptStart("r1", stepId), []),
          journal.finishAttempt(
            { ...attemptFinish("r1", stepId, 1, outputs), decision: undefined },
            checkpoint("r1", stepId, "succeeded", outputs),
            [stepSucceeded("r1", stepId)],
          ),
        ]);
      await fastAttempt("fast");
      // One checkpoint (standing for the attempt too) and one event.
      expect((changes.get() as { n: number }).n - before).toBe(2);
      const rows = (table: string) => journal.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
      expect(rows("attempts")).toBe(0);
      expect(journal.db.prepare("SELECT inline_attempt FROM checkpoints").pluck().all()).toEqual([1]);
      expect(await journal.listAttempts("r1")).toMatchObject([{ stepId: "fast", attempt: 1, outputs }]);

      // The same fast attempt 1 written again (it would replace the checkpoint holding the first).
      await expect(fastAttempt("fast")).rejects.toMatchObject({ code: "duplicate" });
      expect(await journal.listAttempts("r1")).toHaveLength(1);

      // Attempt 1 of another step already has a row: a fast attempt 1 of that step is a duplicate.
      await journal.startAttempt(attemptStart("r1", "slow"), []);
      await expect(fastAttempt("slow")).rejects.toMatchObject({ code: "duplicate" });
      expect(await journal.listCheckpoints("r1")).toHaveLength(1);
    });

    it("rejects a same-batch finish whose start cannot be written, and commits its batch-mates", async () => {
      const journal = journalAt(`${await tempDir()}/state.db`);
      await journal.createRun(newRun("r1"), []);
      const other = journal.startAttempt(attemptStart("r1", "other"), []);
      const start = journal.startAttempt(attemptStart("nope", "s"), []);
      const finish = journal.finishAttempt(attemptFinish("nope", "s"), null, []);
      await expect(start).resolves.toBeUndefined(); // no row of its own any more: the finish writes it
      await expect(finish).rejects.toMatchObject({ code: "unknown_run" });
      await other;
      expect((await journal.listAttempts("r1")).map((a) => a.stepId)).toEqual(["other"]);
    });

    it("reads an event's dedupe key from its hash, and from the column of rows written before", async () => {
      const journal = journalAt(`${await tempDir()}/state.db`);
      await journal.createRun(newRun("r1"), []);
      await journal.appendEvents([{ ...stepSucceeded("r1", "a"), dedupeKey: "a/1" }]);
      // A row as an earlier version wrote it: the key in its own column too.
      journal.db
        .prepare(
          `INSERT INTO events (run_id, correlation_id, type, at, payload, dedupe_key, hash)
         VALUES ('r1', 'r1', 'stage.warning', 5, '{}', 'old-key', 'stage.warning|old-key')`,
        )
        .run();
      const stored = journal.db.prepare("SELECT dedupe_key FROM events ORDER BY seq").pluck().all();
      expect(stored).toEqual([null, "old-key"]);
      const events = await journal.listEvents("r1");
      expect(events.map((e) => e.dedupeKey)).toEqual(["a/1", "old-key"]);
    });
  });
}
