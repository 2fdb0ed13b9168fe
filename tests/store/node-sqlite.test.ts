import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describeJournalContract } from "stageflow/testing";
import { describe, expect, it } from "vitest";
import { createSqliteJournal, verifyJournalSnapshot } from "../../src/store/index.js";
import { node24 } from "../support/node24.js";
import { journalFile } from "./snapshot-suite.js";
import { tempDir } from "./temp.js";

const run = promisify(execFile);
const FILE = "tests/store/node-sqlite.node24.ts";
/** The tests of snapshot-suite.ts and group-commit-suite.ts, and the Node 24 file's own. */
const SUITE_TESTS = 4 + 9;
const NODE24_ONLY_TESTS = 5;

/** How many tests describeJournalContract declares, counted without running them. */
function contractTests(): number {
  let count = 0;
  const noop = () => {};
  describeJournalContract("count", async () => ({ journal: undefined as never, cleanup: async () => {} }), {
    describe: (_name: string, body: () => void) => body(),
    it: () => void count++,
    expect: noop as never,
    beforeEach: noop,
    afterEach: noop,
  } as never);
  return count;
}

interface VitestReport {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
}

describe("the SQLite journal on node:sqlite, under Node 24", () => {
  it("passes the Journal contract, the snapshot and group-commit suites, reads and writes snapshots across drivers, and never loads better-sqlite3", async () => {
    const dir = await tempDir();
    // better-sqlite3 (Node 20) → node:sqlite (Node 24).
    const source = createSqliteJournal({ path: await journalFile("better-sqlite3") });
    const fromNode20 = (await source.snapshot(join(dir, "from-node20.db"))).path;
    await source.close();
    const fromNode24 = join(dir, "from-node24.db");
    const report = join(dir, "report.json");

    const child = await run(
      node24(),
      [resolve("node_modules/vitest/vitest.mjs"), "run", FILE, "--reporter=json", `--outputFile=${report}`],
      {
        env: {
          ...process.env,
          STAGEFLOW_SQLITE_DRIVER: "node:sqlite",
          STAGEFLOW_SNAPSHOT_IN: fromNode20,
          STAGEFLOW_SNAPSHOT_OUT: fromNode24,
        },
        maxBuffer: 16 * 1024 * 1024,
      },
    ).then(
      (done): { code?: number; stderr?: string } => done,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(child.code ?? 0, child.stderr).toBe(0);
    const results = JSON.parse(await readFile(report, "utf8")) as VitestReport;
    const expected = contractTests() + SUITE_TESTS + NODE24_ONLY_TESTS;
    expect(expected).toBeGreaterThan(70);
    expect(results).toMatchObject({
      numTotalTests: expected,
      numPassedTests: expected,
      numFailedTests: 0,
      numPendingTests: 0,
    });

    // node:sqlite (Node 24) → better-sqlite3 (Node 20).
    expect(await verifyJournalSnapshot(fromNode24)).toEqual({ ok: true, problems: [] });
    const copy = createSqliteJournal({ path: fromNode24, readOnly: true });
    try {
      const steps = (await copy.listCheckpoints("r1")).map((c) => c.stepId);
      expect(steps).toHaveLength(31);
      expect(steps).toContain("last");
    } finally {
      await copy.close();
    }
  });
});
