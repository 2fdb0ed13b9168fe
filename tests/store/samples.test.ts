import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { HostSample } from "../../src/observe/samples.js";
import { createSqliteJournal, createSqliteSampleStore } from "../../src/store/index.js";
import { tempDir } from "./temp.js";

const sample = (at: number, over: Partial<HostSample> = {}): HostSample => ({
  at,
  host: "box:1",
  activeRuns: 1,
  rssBytes: 100 + at,
  heapUsedBytes: 50,
  heapTotalBytes: 80,
  loopLagMs: { mean: 1.5, p99: 4.25, max: 9 },
  ...over,
});

const tables = (path: string): string[] => {
  const db = new Database(path, { readonly: true });
  try {
    return (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
  } finally {
    db.close();
  }
};

describe("SQLite sample store", () => {
  it("appends samples and reads a window back, oldest first, in the journal's file", async () => {
    const path = join(await tempDir(), "state.db");
    const journal = createSqliteJournal({ path });
    const store = createSqliteSampleStore({ path });
    store.append(sample(1_000));
    store.append(sample(2_000, { host: "box:2", activeRuns: 0, loopLagMs: null }));
    store.append(sample(3_000));
    expect(store.between(1_500, 3_000)).toEqual([
      sample(2_000, { host: "box:2", activeRuns: 0, loopLagMs: null }),
      sample(3_000),
    ]);
    expect(store.between(5_000, 6_000)).toEqual([]);
    expect(store.count()).toBe(3);
    store.close();
    await journal.close();
    expect(tables(path)).toEqual(expect.arrayContaining(["observe_samples", "observe_schema", "runs"]));

    // Reopened (a later process): the samples are there, the schema is not applied again.
    const again = createSqliteSampleStore({ path });
    expect(again.between(0, 10_000).map((s) => s.at)).toEqual([1_000, 2_000, 3_000]);
    again.close();
    // The journal still opens: its schema and the samples' tables do not meet.
    const journalAgain = createSqliteJournal({ path });
    await journalAgain.close();
  });

  it("prunes samples older than maxAgeMs (by the newest sample) and all but the newest maxRows", async () => {
    const path = join(await tempDir(), "state.db");
    const store = createSqliteSampleStore({ path, maxAgeMs: 10_000, maxRows: 1_000, pruneEvery: 3 });
    for (const at of [1_000, 2_000, 3_000, 4_000, 5_000, 6_000]) store.append(sample(at));
    expect(store.count()).toBe(6); // pruned at the 1st and 4th append: nothing old enough
    store.append(sample(14_500)); // the 7th append prunes: older than 4.5 s goes
    expect(store.between(0, 20_000).map((s) => s.at)).toEqual([5_000, 6_000, 14_500]);
    store.close();

    const byRows = createSqliteSampleStore({ path, maxRows: 2, pruneEvery: 100 });
    expect(byRows.prune(14_500)).toBe(1);
    expect(byRows.between(0, 20_000).map((s) => s.at)).toEqual([6_000, 14_500]);
    byRows.append(sample(15_000)); // the first append of a store prunes
    expect(byRows.between(0, 20_000).map((s) => s.at)).toEqual([14_500, 15_000]);
    byRows.close();
    expect(() => createSqliteSampleStore({ path, maxRows: 0 })).toThrow(
      /maxRows: expected a positive number/,
    );
  });

  it("read-only: reads, writes nothing, and a journal without the samples' tables reads as no samples", async () => {
    const path = join(await tempDir(), "state.db");
    const journal = createSqliteJournal({ path });
    await journal.close();

    const reader = createSqliteSampleStore({ path, readOnly: true });
    expect(reader.between(0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(reader.count()).toBe(0);
    expect(tables(path)).not.toContain("observe_samples"); // nothing created
    expect(() => reader.append(sample(1_000))).toThrow(expect.objectContaining({ code: "read_only" }));

    // A writer creates the tables later: the reader open all along sees its samples.
    const writer = createSqliteSampleStore({ path });
    writer.append(sample(1_000));
    expect(reader.between(0, 2_000).map((s) => s.at)).toEqual([1_000]);
    writer.close();
    reader.close();
    expect(() => reader.between(0, 1)).toThrow(expect.objectContaining({ code: "closed" }));

    await expect(async () =>
      createSqliteSampleStore({ path: join(await tempDir(), "none.db"), readOnly: true }),
    ).rejects.toMatchObject({ code: "missing" });
  });

  it("refuses samples' tables of a newer schema", async () => {
    const path = join(await tempDir(), "state.db");
    createSqliteSampleStore({ path }).close();
    const db = new Database(path);
    db.prepare("UPDATE observe_schema SET version = 99").run();
    db.close();
    expect(() => createSqliteSampleStore({ path })).toThrow(
      expect.objectContaining({ code: "newer_schema" }),
    );
    expect(() => createSqliteSampleStore({ path, readOnly: true })).toThrow(
      expect.objectContaining({ code: "newer_schema" }),
    );
  });
});
