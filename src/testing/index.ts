/**
 * `stageflow/testing`: what tests of a host or of another Journal implementation need — a fake
 * clock, the in-memory journal, and (to come) the Journal contract suite.
 */
export { FakeClock } from "../engine/testing/fake-clock.js";
export { MemoryJournal } from "../store/memory/journal.js";
