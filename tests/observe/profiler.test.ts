import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../src/index.js";
import { percentile, profile, type TimingRecord } from "../../src/observe/profiler.js";
import { type LoopDelaySource, ResourceSampler } from "../../src/observe/sampler.js";
import { FakeClock } from "../../src/testing/index.js";

describe("profiler tables", () => {
  it.each([
    [[], 50, 0],
    [[7], 99, 7],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0, 1],
    [Array.from({ length: 100 }, (_, i) => i + 1), 99, 99],
    [Array.from({ length: 100 }, (_, i) => i + 1), 95, 95],
  ])("the nearest-rank percentile of %j at %d is %d", (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it("groups attempts by workflow, stage and kind, largest total first", () => {
    const rec = (
      runId: string,
      stageId: string,
      kind: string,
      durationMs: number,
      failed = false,
    ): TimingRecord => ({
      runId,
      workflow: "ci",
      stageId,
      stepId: `${stageId}-${kind}`,
      kind,
      status: failed ? "failed" : "succeeded",
      durationMs,
    });
    const records = [
      ...Array.from({ length: 20 }, (_, i) => rec(`r${i}`, "build", "run", (i + 1) * 100)),
      rec("r0", "ship", "http", 50, true),
      rec("r1", "ship", "http", 70),
    ];
    const p = profile(records);
    expect(p.runs).toBe(20);
    expect(p.attempts).toBe(22);
    expect(p.kinds).toEqual([
      {
        name: "run",
        count: 20,
        failed: 0,
        p50Ms: 1_000,
        p95Ms: 1_900,
        p99Ms: 2_000,
        maxMs: 2_000,
        totalMs: 21_000,
      },
      { name: "http", count: 2, failed: 1, p50Ms: 50, p95Ms: 70, p99Ms: 70, maxMs: 70, totalMs: 120 },
    ]);
    expect(p.stages.map((s) => s.name)).toEqual(["ci/build", "ci/ship"]);
    expect(p.workflows).toEqual([
      expect.objectContaining({ name: "ci", count: 22, failed: 1, totalMs: 21_120 }),
    ]);
  });
});

/** A loop-delay histogram the test sets (nanoseconds, like perf_hooks'). */
function fakeLoop() {
  const state = { enabled: 0, disabled: 0, resets: 0, mean: 2e6, max: 9e6, p99: 8e6 };
  const loop: LoopDelaySource = {
    enable: () => state.enabled++,
    disable: () => state.disabled++,
    reset: () => state.resets++,
    get mean() {
      return state.mean;
    },
    get max() {
      return state.max;
    },
    percentile: () => state.p99,
  };
  return { loop, state };
}

const event = (type: string, runId: string) => ({ type, runId }) as unknown as EngineEvent;

describe("resource sampler", () => {
  it("samples memory and event-loop lag on the clock while runs are active, and stops at the first sample that finds none left", async () => {
    const clock = new FakeClock(0);
    const { loop, state } = fakeLoop();
    let rss = 100;
    const sampler = new ResourceSampler({
      clock,
      intervalMs: 1_000,
      loopDelay: loop,
      memory: () => ({ rss: (rss += 10), heapUsed: 50, heapTotal: 80 }),
    });
    await clock.advance(5_000);
    expect(sampler.samples()).toEqual([]); // nothing runs: no sampling

    sampler.listener(event("run.started", "a"));
    sampler.listener(event("run.resumed", "b"));
    expect([sampler.activeRuns, sampler.sampling, state.enabled]).toEqual([2, true, 1]);
    await clock.advance(2_500);
    expect(sampler.samples()).toEqual([
      {
        at: 6_000,
        activeRuns: 2,
        rssBytes: 110,
        heapUsedBytes: 50,
        heapTotalBytes: 80,
        loopLagMs: { mean: 2, p99: 8, max: 9 },
      },
      {
        at: 7_000,
        activeRuns: 2,
        rssBytes: 120,
        heapUsedBytes: 50,
        heapTotalBytes: 80,
        loopLagMs: { mean: 2, p99: 8, max: 9 },
      },
    ]);
    sampler.listener(event("run.succeeded", "a"));
    await clock.advance(1_000);
    expect(sampler.samples()).toHaveLength(3);
    sampler.listener(event("step.started", "b")); // not a run's start or end
    state.max = 30e6;
    sampler.listener(event("run.parked", "b")); // the last one: the next sample is the last
    expect([sampler.activeRuns, sampler.sampling, state.disabled]).toEqual([0, true, 0]);
    sampler.listener(event("run.started", "c")); // a run that follows closely keeps it on
    sampler.listener(event("run.failed", "c"));
    expect(state.enabled).toBe(1);
    await clock.advance(1_000);
    expect(sampler.samples()).toHaveLength(4);
    expect(sampler.samples()[3]).toMatchObject({ at: 9_000, activeRuns: 1 }); // b and c ran since 8s
    expect([sampler.activeRuns, sampler.sampling, state.disabled]).toEqual([0, false, 1]);
    await clock.advance(10_000);
    expect(sampler.samples()).toHaveLength(4);
    expect(clock.pending()).toBe(0);
    expect(sampler.summary()).toEqual({
      samples: 4,
      rssMaxBytes: 140,
      heapUsedMaxBytes: 50,
      loopLagP99MaxMs: 8,
      loopLagMaxMs: 30,
    });
  });

  it("keeps at most maxSamples, dropping the oldest", async () => {
    const clock = new FakeClock(0);
    const sampler = new ResourceSampler({ clock, intervalMs: 10, maxSamples: 3, loopDelay: fakeLoop().loop });
    sampler.runStarted("a");
    await clock.advance(100);
    expect(sampler.samples().map((s) => s.at)).toEqual([80, 90, 100]);
    sampler.stop();
    expect(sampler.sampling).toBe(false);
    expect(() => new ResourceSampler({ intervalMs: 0 })).toThrow(
      /intervalMs: expected a positive number, got 0/,
    );
  });

  it("ignores a start replayed from old history (a run a dead process left running)", async () => {
    const clock = new FakeClock(600_000);
    const sampler = new ResourceSampler({ clock, intervalMs: 1_000, loopDelay: fakeLoop().loop });
    sampler.listener({ type: "run.started", runId: "old", at: 600_000 - 61_000 } as unknown as EngineEvent);
    expect([sampler.activeRuns, sampler.sampling]).toEqual([0, false]);
    sampler.listener({ type: "run.resumed", runId: "new", at: 600_000 - 59_000 } as unknown as EngineEvent);
    expect([sampler.activeRuns, sampler.sampling]).toEqual([1, true]);
    sampler.stop(); // a last sample: a run was active since the previous one
    expect(sampler.samples()).toMatchObject([{ at: 600_000, activeRuns: 1 }]);
    expect(sampler.sampling).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it("measures the real event loop by default", () => {
    const sampler = new ResourceSampler();
    const sample = sampler.sample();
    expect(sample.rssBytes).toBeGreaterThan(0);
    expect(sample.loopLagMs).toBeNull(); // not measuring while no run is active
    sampler.stop();
  });
});
