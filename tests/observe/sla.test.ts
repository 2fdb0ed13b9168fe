import { describe, expect, it } from "vitest";
import { FakeClock } from "../../src/engine/testing/fake-clock.js";
import type { HealthSample } from "../../src/observe/health.js";
import { p95, parseWorkflowSla, slaReport, type SlaResult } from "../../src/observe/sla.js";
import { MemoryJournal } from "../../src/store/memory/journal.js";
import { addRun } from "./history.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const byName = (slas: SlaResult[]) => Object.fromEntries(slas.map((s) => [s.name, s]));

/**
 * A day of synthetic history ending at the clock's now: one `release` run per hour (10 min each,
 * but 20 min in hour 5; hours 3 and 4 failed), 10 recoveries in hour 10 (one failed), one health
 * evaluation per hour (not ready in hour 7), and runs outside the window or cancelled that count
 * for nothing.
 */
async function history(clock: FakeClock) {
  const journal = new MemoryJournal();
  const start = clock.now() - DAY;
  const sla = { p95_duration: "15m", success_rate: 0.9, window: "24h" };
  await addRun(journal, {
    id: "old",
    workflow: "release",
    sla,
    createdAt: start - 2 * HOUR,
    durationMs: MIN,
    status: "failed",
  });
  for (let i = 0; i < 24; i++) {
    const finishedAt = start + i * HOUR + 30 * MIN;
    const durationMs = i === 5 ? 20 * MIN : 10 * MIN;
    await addRun(journal, {
      id: `release-${String(i).padStart(2, "0")}`,
      workflow: "release",
      sla,
      createdAt: finishedAt - durationMs,
      durationMs,
      status: i === 3 || i === 4 ? "failed" : i === 6 ? "degraded" : "succeeded",
      recoveries:
        i === 10 ? Array.from({ length: 10 }, (_, k) => ({ at: finishedAt - MIN, ok: k !== 0 })) : [],
    });
  }
  await addRun(journal, {
    id: "cancelled",
    workflow: "release",
    sla,
    createdAt: start + HOUR,
    durationMs: 3 * HOUR,
    status: "cancelled",
  });
  await addRun(journal, { id: "triage", workflow: "triage", createdAt: start + HOUR, durationMs: MIN });
  await addRun(journal, {
    id: "quiet",
    workflow: "quiet",
    sla: { success_rate: 0.99 },
    createdAt: start - DAY,
    durationMs: MIN,
  });
  await addRun(journal, {
    id: "bad",
    workflow: "bad",
    sla: { p95_duration: "soon", uptime: 1 },
    createdAt: start - DAY,
    durationMs: MIN,
  });
  const samples: HealthSample[] = Array.from({ length: 24 }, (_, i) => ({
    at: start + i * HOUR + 15 * MIN,
    status: i === 7 ? "CRITICAL" : "HEALTHY",
    ready: i !== 7,
  }));
  const healthHistory = (since: number) => samples.filter((s) => s.at >= since);
  return { journal, healthHistory };
}

describe("SLA compliance over a synthetic history, on a fake clock", () => {
  it("computes each SLA's value, threshold, compliance and verdict over the rolling window", async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 10));
    const { journal, healthHistory } = await history(clock);
    const report = await slaReport({ journal, clock, healthHistory, host: { successRate: 0.8 } });
    const slas = byName(report.slas);
    expect(Object.keys(slas)).toEqual([
      "host: success rate",
      "host: recovery rate",
      "host: availability",
      "quiet: success rate",
      "release: p95 duration",
      "release: success rate",
    ]);
    // 24 runs, 10 min each but one of 20 min: the 95th percentile (23rd of 24) is 10 min; one
    // hour of 24 missed 15 min: 23/24 comply (≥ 95%).
    expect(slas["release: p95 duration"]).toMatchObject({
      scope: "release",
      metric: "p95_duration",
      value: 10 * MIN,
      threshold: 15 * MIN,
      comparison: "<=",
      compliance: 23 / 24,
      targetCompliance: 0.95,
      samples: 24,
      windowMs: DAY,
      verdict: "met",
    });
    // 22 of 24 succeeded or degraded (the cancelled run and the one before the window do not
    // count): 91.7% ≥ 90%, but 2 hours of 24 missed it: 91.7% < 95% of the buckets: at risk.
    expect(slas["release: success rate"]).toMatchObject({
      value: 22 / 24,
      threshold: 0.9,
      comparison: ">=",
      compliance: 22 / 24,
      samples: 24,
      verdict: "at_risk",
    });
    // The host's objectives span every workflow: release's 24 runs and triage's one.
    expect(slas["host: success rate"]).toMatchObject({
      value: 23 / 25,
      threshold: 0.8,
      samples: 25,
      verdict: "at_risk",
    });
    // 9 of 10 recoveries, all in one hour: 90% meets the default 90%.
    expect(slas["host: recovery rate"]).toMatchObject({
      value: 0.9,
      threshold: 0.9,
      compliance: 1,
      samples: 10,
      verdict: "met",
    });
    expect(slas["release: recovery rate"]).toBeUndefined();
    // 23 of 24 evaluations ready: 95.8% < 99.9%.
    expect(slas["host: availability"]).toMatchObject({
      value: 23 / 24,
      threshold: 0.999,
      verdict: "breached",
    });
    // quiet's only run is two days old: nothing in the window.
    expect(slas["quiet: success rate"]).toMatchObject({
      value: null,
      compliance: null,
      samples: 0,
      verdict: "no_data",
    });
    expect(report.problems).toEqual([
      "bad: sla.p95_duration: expected a duration such as '15m', got \"soon\"",
      "bad: sla.uptime: unknown key (expected one of p95_duration, success_rate, recovery_rate, window, target_compliance)",
    ]);
    // Of the 5 SLAs with data (quiet has none), 2 are met.
    expect(report.overallCompliance).toBe(2 / 5);
    expect(report.checkedAt).toBe("2026-01-10T00:00:00.000Z");
  });

  it("rolls the window forward with the clock: what left it no longer counts", async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 10));
    const { journal, healthHistory } = await history(clock);
    await clock.advance(12 * HOUR);
    const slas = byName((await slaReport({ journal, clock, healthHistory })).slas);
    // Hours 12..23 remain: no failure, no slow run, no recovery, every evaluation ready.
    expect(slas["release: success rate"]).toMatchObject({
      value: 1,
      samples: 12,
      compliance: 1,
      verdict: "met",
    });
    expect(slas["release: p95 duration"]).toMatchObject({ value: 10 * MIN, samples: 12, verdict: "met" });
    expect(slas["host: recovery rate"]).toMatchObject({ value: null, verdict: "no_data" });
    expect(slas["host: availability"]).toMatchObject({ value: 1, samples: 12, verdict: "met" });
  });

  it("breaches a p95 objective when more than 5% of the runs are slow", async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 10));
    const journal = new MemoryJournal();
    for (let i = 0; i < 20; i++) {
      const durationMs = i < 2 ? 20 * MIN : 5 * MIN;
      await addRun(journal, {
        id: `r${i}`,
        sla: { p95_duration: "15m", window: "1h", target_compliance: 0.5 },
        createdAt: clock.now() + i * MIN,
        durationMs,
      });
    }
    await clock.advance(HOUR);
    const slas = (
      await slaReport({ journal, clock, host: { recoveryRate: undefined, availability: undefined } })
    ).slas;
    expect(slas).toHaveLength(1);
    const [p95Sla] = slas;
    expect(p95Sla).toMatchObject({
      name: "deploy: p95 duration",
      value: 20 * MIN,
      windowMs: HOUR,
      verdict: "breached",
    });
  });
});

describe("parseWorkflowSla and p95", () => {
  it("reads the workflow's block: durations, rates in (0, 1], the window and target compliance", () => {
    expect(
      parseWorkflowSla(
        { p95_duration: "15m", success_rate: 0.99, recovery_rate: 0.9, window: "7d", target_compliance: 1 },
        "release",
      ),
    ).toEqual({
      objectives: {
        p95DurationMs: 15 * MIN,
        successRate: 0.99,
        recoveryRate: 0.9,
        windowMs: 7 * DAY,
        targetCompliance: 1,
      },
      problems: [],
    });
    expect(parseWorkflowSla({ success_rate: 1.5 }, "release").problems).toEqual([
      "release: sla.success_rate: expected a number between 0 and 1, got 1.5",
    ]);
    expect(parseWorkflowSla("fast", "release").problems).toEqual([
      'release: sla: expected a mapping, got "fast"',
    ]);
    expect(parseWorkflowSla(undefined, "release")).toEqual({ objectives: {}, problems: [] });
  });

  it("p95 is the nearest rank", () => {
    expect(p95([])).toBeNull();
    expect(p95([5])).toBe(5);
    expect(p95(Array.from({ length: 100 }, (_, i) => i + 1))).toBe(95);
    expect(p95(Array.from({ length: 20 }, (_, i) => (i === 19 ? 1000 : 1)))).toBe(1);
  });
});
