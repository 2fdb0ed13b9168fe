import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createSqliteJournal } from "../../src/store/index.js";
import { checkpoint, newRun } from "../../src/testing/contract/builders.js";
import { tempDir } from "./temp.js";

async function journalWithCheckpoints() {
  const journal = createSqliteJournal({ path: join(await tempDir(), "state.db") });
  await journal.createRun(newRun("r1"), []);
  await journal.putCheckpoint(checkpoint("r1", "compile", "succeeded", { artifact: "a.tgz" }), []);
  await journal.putCheckpoint(checkpoint("r1", "test"), []);
  return journal;
}

describe("SqliteJournal.verify", () => {
  it("reports a checkpoint whose outputs were changed behind the journal's back", async () => {
    const journal = await journalWithCheckpoints();
    try {
      expect(await journal.verify()).toEqual({ ok: true, problems: [] });
      journal.db
        .prepare("UPDATE checkpoints SET outputs = ? WHERE run_id = ? AND step_id = ?")
        .run(JSON.stringify({ artifact: "evil.tgz" }), "r1", "compile");
      const result = await journal.verify();
      expect(result.ok).toBe(false);
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]).toMatch(/run 'r1' step 'compile': checksum mismatch/);
    } finally {
      await journal.close();
    }
  });

  it("reports a checkpoint that cannot be parsed, and a row whose run is missing", async () => {
    const journal = await journalWithCheckpoints();
    try {
      journal.db.prepare("UPDATE checkpoints SET outputs = '{broken' WHERE step_id = 'test'").run();
      journal.db.pragma("foreign_keys = OFF");
      journal.db.prepare("UPDATE checkpoints SET run_id = 'gone' WHERE step_id = 'compile'").run();
      journal.db.pragma("foreign_keys = ON");
      const { ok, problems } = await journal.verify();
      expect(ok).toBe(false);
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^foreign_key_check: checkpoints row names a missing runs row$/),
          expect.stringMatching(/run 'r1' step 'test': unreadable/),
          expect.stringMatching(/run 'gone' step 'compile': checksum mismatch/),
        ]),
      );
    } finally {
      await journal.close();
    }
  });
});
