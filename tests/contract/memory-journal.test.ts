import { MemoryJournal } from "../../src/store/index.js";
import { describeJournalContract } from "./journal-contract.js";

describeJournalContract("MemoryJournal", async () => ({
  journal: new MemoryJournal(),
  cleanup: async () => {},
}));
