import { mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Journal } from "stageflow";
import { createSqliteJournal, type SqliteDriver } from "stageflow/sqlite";
import type { JournalFixture } from "stageflow/testing";

/** A fresh SqliteJournal file on `driver` for each contract test (see describeJournalContract). */
export async function sqliteFixture(driver?: SqliteDriver): Promise<JournalFixture> {
  const dir = await mkdtemp(join(tmpdir(), "stageflow-contract-"));
  const path = join(dir, "nested", "state.db");
  let journal: Journal = createSqliteJournal({ path, driver });
  return {
    journal,
    async reopen() {
      await journal.close();
      journal = createSqliteJournal({ path, driver });
      return journal;
    },
    async corrupt() {
      await journal.close();
      // Every page after the first (which holds the schema) overwritten: the tables' pages are damaged.
      const size = (await stat(path)).size;
      const file = await open(path, "r+");
      await file.write(Buffer.alloc(size - 4096, 0x5a), 0, size - 4096, 4096);
      await file.close();
      journal = createSqliteJournal({ path, driver });
      return journal;
    },
    async cleanup() {
      await journal.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
