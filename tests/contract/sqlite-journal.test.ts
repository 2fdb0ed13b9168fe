import { describeJournalContract } from "stageflow/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sqliteFixture } from "./sqlite-fixture.js";

// On node:sqlite, under Node 24: tests/store/node-sqlite.node24.ts.
describeJournalContract("SqliteJournal (file)", () => sqliteFixture(), {
  describe,
  it,
  expect,
  beforeEach,
  afterEach,
});
