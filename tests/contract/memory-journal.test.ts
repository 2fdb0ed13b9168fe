import { describeJournalContract, MemoryJournal } from "stageflow/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

describeJournalContract(
  "MemoryJournal",
  async () => ({ journal: new MemoryJournal(), cleanup: async () => {} }),
  { describe, it, expect, beforeEach, afterEach },
);
