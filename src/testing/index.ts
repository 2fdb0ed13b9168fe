/**
 * `stageflow/testing`: what tests of a host or of another Journal implementation need — a fake
 * clock, the in-memory journal, and the Journal contract suite (independent of any test
 * framework: pass it your framework's `describe`, `it`, `expect`, `beforeEach`, `afterEach`).
 */
export { FakeClock } from "../engine/testing/fake-clock.js";
export { MemoryJournal } from "../store/memory/journal.js";
export {
  describeJournalContract,
  type ContractExpect,
  type ContractMatchers,
  type ContractTestApi,
  type JournalFixture,
  type JournalHarness,
} from "./contract/journal-contract.js";
