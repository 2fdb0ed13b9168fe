import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DAY_MS, journalFileBytes, loadCapacity } from "../../src/observe/index.js";
import { MemoryJournal } from "../../src/store/memory/journal.js";
import { event, newRun } from "../../src/testing/contract/builders.js";

const NOW = Date.UTC(2026, 11, 6, 4);
const H = 3_600_000;

describe("loadCapacity (the journal's history → the forecast)", () => {
  it("forecasts a workload growing by one run a day, its queue and the journal's size", async () => {
    const journal = new MemoryJournal();
    // Day i of 10 (bucket i, ending NOW − (9 − i) days) gets i + 1 runs of 2 hours each, an event each.
    let n = 0;
    for (let i = 0; i < 10; i++) {
      const start = NOW - (10 - i) * DAY_MS;
      for (let k = 0; k <= i; k++) {
        const id = `r${n++}`;
        const createdAt = start + H + k * 60_000;
        await journal.createRun(newRun(id, { createdAt }), [
          event(id, "run.started", {} as never, { at: createdAt }),
        ]);
        await journal.updateRun(
          id,
          {
            status: "succeeded",
            finishedAt: createdAt + 2 * H,
            updatedAt: createdAt + 2 * H,
            releaseLeaseOf: "host-a",
          },
          [],
        );
      }
    }
    // Two open now: one running, one waiting (created a day before the window: read for its queue).
    await journal.createRun(newRun("open-1", { createdAt: NOW - 11 * DAY_MS }), []);
    await journal.createRun(newRun("open-2", { createdAt: NOW - H }), []);
    await journal.updateRun(
      "open-2",
      { status: "waiting", updatedAt: NOW - H, releaseLeaseOf: "host-a" },
      [],
    );

    const forecast = await loadCapacity(journal, { now: NOW, days: 10, horizonDays: 3, sizeBytes: 55_000 });
    expect(forecast).toMatchObject({ now: NOW, days: 10, horizonDays: 3, confidence: 0.95 });
    expect(forecast.open).toEqual({ running: 1, waiting: 1, blocked: 0 });
    // The last bucket also holds open-2 (created an hour ago): 10 + 1.
    expect(forecast.runsPerDay.history.map((p) => p.value)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 11]);
    expect(forecast.runsPerDay.slopePerDay).toBeGreaterThan(1);
    expect(forecast.runsPerDay.forecast).toHaveLength(3);
    const next = forecast.runsPerDay.forecast[0]!;
    expect(next.low!).toBeLessThan(next.value);
    expect(next.high!).toBeGreaterThan(next.value);
    expect(next.value).toBeGreaterThan(11);
    // open-1 is open all the time: every day's depth is at least 1.
    for (const p of forecast.queueDepth.history) expect(p.value).toBeGreaterThanOrEqual(1);
    // 55 events, 55,000 bytes: 1,000 bytes an event, the size after day i is 1000 × (1 + ... + (i + 1)).
    expect(forecast.journalBytes.history.map((p) => p.value)).toEqual(
      [1, 3, 6, 10, 15, 21, 28, 36, 45, 55].map((k) => k * 1000),
    );
    expect(forecast.journalBytes.current).toBe(55_000);
    expect(forecast.journalBytes.forecast[2]!.value).toBeGreaterThan(55_000);
  });

  it("works on an empty journal (no trend to speak of) and without a size", async () => {
    const forecast = await loadCapacity(new MemoryJournal(), { now: NOW, days: 5 });
    expect(forecast.runsPerDay.history.map((p) => p.value)).toEqual([0, 0, 0, 0, 0]);
    expect(forecast.runsPerDay.slopePerDay).toBe(0);
    expect(forecast.journalBytes).toEqual({ current: null, slopePerDay: null, history: [], forecast: [] });
    await expect(loadCapacity(new MemoryJournal(), { now: NOW, days: 0 })).rejects.toThrow(/days/);
  });
});

describe("journalFileBytes", () => {
  it("adds the write-ahead log to the database file, and is undefined for a missing file", () => {
    const dir = mkdtempSync(join(tmpdir(), "capacity-"));
    try {
      const db = join(dir, "state.db");
      writeFileSync(db, Buffer.alloc(8192));
      expect(journalFileBytes(db)).toBe(8192);
      writeFileSync(`${db}-wal`, Buffer.alloc(100));
      expect(journalFileBytes(db)).toBe(8292);
      expect(journalFileBytes(join(dir, "none.db"))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
