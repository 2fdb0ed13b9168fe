import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSqliteSampleStore } from "../../src/sqlite.js";
import { captureIo, stageflow, tempDir } from "./helpers.js";
import { seedRuns } from "./seed.js";

const id = (name: string) => `0193a1b2-c3d4-7e5f-8a9b-${name.padStart(12, "0")}`;
const OLD_OK = id("a1");
const OLD_FAILED = id("a2");
const OLD_CANCELLED = id("a3");
const NEW_OK = id("b1");
const OLD_RUNNING = id("c1");
const OLD_BLOCKED = id("c2");
const OLD_WAITING = id("c3");

describe("prune: delete finished runs older than a bound", () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  const cli = (...args: string[]) => stageflow(captureIo(tmp.dir), ...args, "--db", db);
  const ids = async () =>
    JSON.parse((await cli("status", "--json")).out)
      .map((r: { id: string }) => r.id)
      .sort();
  const workDir = (runId: string) => join(tmp.dir, "work", runId);

  beforeEach(async () => {
    tmp = tempDir();
    db = tmp.path("j.db");
    await seedRuns(db, [
      { id: OLD_OK, status: "succeeded", daysAgo: 40 },
      { id: OLD_FAILED, status: "failed", daysAgo: 35 },
      { id: OLD_CANCELLED, status: "cancelled", daysAgo: 31 },
      { id: NEW_OK, status: "succeeded", daysAgo: 2 },
      { id: OLD_RUNNING, status: "running", daysAgo: 50 },
      { id: OLD_BLOCKED, status: "blocked", daysAgo: 50 },
      { id: OLD_WAITING, status: "waiting", daysAgo: 50 },
    ]);
    // A failed run's work directory is kept until prune.
    mkdirSync(workDir(OLD_FAILED), { recursive: true });
    writeFileSync(join(workDir(OLD_FAILED), "output"), "x");
    mkdirSync(workDir(NEW_OK), { recursive: true });
  });
  afterEach(() => tmp.cleanup());

  it("--dry-run lists what would go and deletes nothing", async () => {
    const before = await ids();
    const { code, out } = await cli("prune", "--older-than", "30d", "--dry-run");
    expect(code).toBe(0);
    expect(out).toMatch(/^would delete 3 runs finished before \d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\n/);
    for (const run of [OLD_OK, OLD_FAILED, OLD_CANCELLED]) expect(out).toContain(run.slice(-8));
    expect(out).not.toContain(NEW_OK.slice(-8));
    expect(await ids()).toEqual(before);
    expect(existsSync(workDir(OLD_FAILED))).toBe(true);
    const json = await cli("prune", "--older-than", "30d", "--dry-run", "--json");
    expect(JSON.parse(json.out)).toEqual({ dryRun: true, runs: [OLD_OK, OLD_FAILED, OLD_CANCELLED] });
  });

  it("deletes old finished runs with their work directories; unfinished and recent runs stay", async () => {
    const { code, out } = await cli("prune", "--older-than", "30d", "--json");
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({
      dryRun: false,
      runs: [OLD_OK, OLD_FAILED, OLD_CANCELLED],
      workDirsRemoved: 1,
      samplesRemoved: 0,
    });
    expect(await ids()).toEqual([NEW_OK, OLD_RUNNING, OLD_BLOCKED, OLD_WAITING].sort());
    expect(existsSync(workDir(OLD_FAILED))).toBe(false);
    expect(existsSync(workDir(NEW_OK))).toBe(true);
    const gone = await cli("history", OLD_FAILED);
    expect(gone.code).toBe(2);
    expect(gone.err).toContain(`unknown run '${OLD_FAILED}'`);
    // Nothing left to prune; the recent run goes with a later bound (a date).
    expect((await cli("prune", "--older-than", "30d")).out).toMatch(
      /^deleted 0 runs finished before .* \(0 work directories removed\)\n$/,
    );
    const future = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect((await cli("prune", "--older-than", future)).out).toMatch(
      /^deleted 1 run finished before .* \(1 work directory removed\)\n$/,
    );
    expect(await ids()).toEqual([OLD_RUNNING, OLD_BLOCKED, OLD_WAITING].sort());
  });

  it("deletes the resource samples taken before the bound too; --dry-run and later ones stay", async () => {
    const DAY = 86_400_000;
    const sample = (daysAgo: number) => ({
      at: Date.now() - daysAgo * DAY,
      host: "ci:1",
      activeRuns: 1,
      rssBytes: 1,
      heapUsedBytes: 1,
      heapTotalBytes: 1,
      loopLagMs: null,
    });
    const store = createSqliteSampleStore({ path: db, maxAgeMs: 365 * DAY });
    for (const daysAgo of [45, 40, 2]) store.append(sample(daysAgo));
    store.close();
    const left = () => {
      const reader = createSqliteSampleStore({ path: db, readOnly: true });
      try {
        return reader.between(0, Date.now()).map((s) => Math.round((Date.now() - s.at) / DAY));
      } finally {
        reader.close();
      }
    };

    await cli("prune", "--older-than", "30d", "--dry-run");
    expect(left()).toEqual([45, 40, 2]);
    const { code, out } = await cli("prune", "--older-than", "30d");
    expect(code).toBe(0);
    expect(out).toMatch(
      /^deleted 3 runs finished before .* \(1 work directory removed, 2 resource samples\)\n$/,
    );
    expect(left()).toEqual([2]);
    expect(JSON.parse((await cli("prune", "--older-than", "30d", "--json")).out)).toMatchObject({
      runs: [],
      samplesRemoved: 0,
    });
  });

  it("needs --older-than, and refuses a bad bound with exit 2", async () => {
    const missing = await cli("prune");
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("required option '--older-than <when>' not specified");
    const bad = await cli("prune", "--older-than", "-5");
    expect(bad.code).toBe(2);
    expect(await ids()).toHaveLength(7);
  });

  it("has nothing to prune when the journal does not exist", async () => {
    const { code, out } = await stageflow(
      captureIo(tmp.dir),
      "prune",
      "--older-than",
      "1d",
      "--db",
      tmp.path("none.db"),
    );
    expect(code).toBe(0);
    expect(out).toContain("nothing to prune (no database at");
    expect(existsSync(tmp.path("none.db"))).toBe(false);
  });
});
