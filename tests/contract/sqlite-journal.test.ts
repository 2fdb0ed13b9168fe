import { mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Journal } from "stageflow";
import { createSqliteJournal } from "stageflow/sqlite";
import { describeJournalContract } from "stageflow/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

describeJournalContract(
  "SqliteJournal (file)",
  async () => {
    const dir = await mkdtemp(join(tmpdir(), "stageflow-contract-"));
    const path = join(dir, "nested", "state.db");
    let journal: Journal = createSqliteJournal({ path });
    return {
      journal,
      async reopen() {
        await journal.close();
        journal = createSqliteJournal({ path });
        return journal;
      },
      async corrupt() {
        await journal.close();
        // Every page after the first (which holds the schema) overwritten: the tables' pages are damaged.
        const size = (await stat(path)).size;
        const file = await open(path, "r+");
        await file.write(Buffer.alloc(size - 4096, 0x5a), 0, size - 4096, 4096);
        await file.close();
        journal = createSqliteJournal({ path });
        return journal;
      },
      async cleanup() {
        await journal.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  { describe, it, expect, beforeEach, afterEach },
);
