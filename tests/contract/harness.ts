import type { Journal } from "../../src/engine/journal.js";

/** What a Journal implementation hands the conformance suite for each test. */
export interface JournalFixture {
  journal: Journal;
  /** Closes the journal and opens the same storage again (durable implementations only). */
  reopen?: () => Promise<Journal>;
  cleanup: () => Promise<void>;
  /**
   * Damages the stored data from outside (as a disk or a person could) and opens it again; for
   * implementations whose storage can be damaged. The suite expects `storage_corrupt` from it (or
   * from reading the journal it returns).
   */
  corrupt?: () => Promise<Journal>;
}

/** The suite's view of the implementation under test, valid inside a test. */
export interface JournalHarness {
  /** The journal under test; a new object after reopen(). */
  readonly journal: Journal;
  /** Reopens the storage when the implementation can; otherwise keeps the same journal. */
  reopen(): Promise<Journal>;
  /** Damages the storage and opens it again (see JournalFixture.corrupt); undefined when it cannot. */
  corrupt(): Promise<Journal | undefined>;
}
