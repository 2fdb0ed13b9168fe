import { describe, expect, it } from "vitest";
import { type LoopDelaySource, ResourceSampler } from "../../src/observe/sampler.js";
import { type HostSample, runResources, type SampleReader } from "../../src/observe/samples.js";
import { FakeClock } from "../../src/testing/index.js";

const loop: LoopDelaySource = {
  enable: () => {},
  disable: () => {},
  reset: () => {},
  mean: 2e6,
  max: 9e6,
  percentile: () => 8e6,
};
const memory = () => ({ rss: 100, heapUsed: 50, heapTotal: 80 });

describe("resource sampler's sink", () => {
  it("appends each sample taken, with its host", async () => {
    const clock = new FakeClock(0);
    const appended: HostSample[] = [];
    const sampler = new ResourceSampler({
      clock,
      intervalMs: 1_000,
      loopDelay: loop,
      memory,
      host: "box:42",
      sink: { append: (s) => appended.push(s) },
    });
    sampler.runStarted("a");
    await clock.advance(2_000);
    sampler.runStopped("a");
    sampler.stop(); // a last sample: "a" was active since the previous one
    expect(appended).toEqual(sampler.samples().map((s) => ({ ...s, host: "box:42" })));
    expect(appended.map((s) => [s.at, s.activeRuns])).toEqual([
      [1_000, 1],
      [2_000, 1],
      [2_000, 1],
    ]);
    expect(appended[0]).toMatchObject({ rssBytes: 100, loopLagMs: { mean: 2, p99: 8, max: 9 } });
    expect(sampler.sinkFailures).toBe(0);
  });

  it("defaults the host to hostname:pid", () => {
    const appended: HostSample[] = [];
    const sampler = new ResourceSampler({
      loopDelay: loop,
      memory,
      sink: { append: (s) => appended.push(s) },
    });
    sampler.sample();
    expect(appended[0]?.host).toMatch(new RegExp(`:${process.pid}$`));
  });

  it("a sink that throws is counted and reported, and sampling goes on", async () => {
    const clock = new FakeClock(0);
    const errors: unknown[] = [];
    let fail = true;
    const appended: number[] = [];
    const sampler = new ResourceSampler({
      clock,
      intervalMs: 1_000,
      loopDelay: loop,
      memory,
      sink: {
        append: (s) => {
          if (fail) throw new Error("database is locked");
          appended.push(s.at);
        },
      },
      onSinkError: (e) => {
        errors.push(e);
        throw new Error("a reporter that throws too");
      },
    });
    sampler.runStarted("a");
    await clock.advance(2_000);
    expect(sampler.sinkFailures).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(["database is locked", "database is locked"]);
    expect(sampler.sampling).toBe(true);
    fail = false;
    await clock.advance(1_000);
    expect(appended).toEqual([3_000]);
    expect(sampler.samples()).toHaveLength(3); // kept in memory all along
    sampler.stop();
    expect(sampler.sinkFailures).toBe(2);
  });
});

describe("runResources", () => {
  const s = (at: number, over: Partial<HostSample> = {}): HostSample => ({
    at,
    host: "box:1",
    activeRuns: 1,
    rssBytes: 100,
    heapUsedBytes: 50,
    heapTotalBytes: 80,
    loopLagMs: { mean: 1, p99: 4, max: 9 },
    ...over,
  });
  const reader = (samples: HostSample[]): SampleReader & { asked: [number, number][] } => {
    const asked: [number, number][] = [];
    return {
      asked,
      between: (from, to) => {
        asked.push([from, to]);
        return samples.filter((x) => x.at >= from && x.at <= to);
      },
    };
  };

  it("summarizes the samples of the run's window, a second of slack either side, that found runs active", () => {
    const r = reader([
      s(8_900, { rssBytes: 999 }), // before the window's slack
      s(9_000, { rssBytes: 200 }), // at the slack's edge
      s(10_500, { activeRuns: 0, rssBytes: 5_000 }), // no run active: does not count
      s(12_000, { host: "box:2", heapUsedBytes: 70, loopLagMs: { mean: 2, p99: 12, max: 30 } }),
      s(13_000, { loopLagMs: null }),
      s(21_000, { rssBytes: 300 }), // the slack after the end
      s(21_001, { rssBytes: 4_000 }),
    ]);
    expect(runResources(r, { startedAt: 10_000, finishedAt: 20_000 })).toEqual({
      from: 9_000,
      to: 21_000,
      samples: 4,
      rssMaxBytes: 300,
      heapUsedMaxBytes: 70,
      loopLagP99MaxMs: 12,
      loopLagMaxMs: 30,
      hosts: ["box:1", "box:2"],
    });
  });

  it("has null figures when there are no samples, and reads up to now for a run still going", () => {
    const r = reader([s(9_000, { activeRuns: 0 })]);
    expect(runResources(r, { startedAt: 10_000, finishedAt: null }, { now: 15_000, slackMs: 0 })).toEqual({
      from: 10_000,
      to: 15_000,
      samples: 0,
      rssMaxBytes: null,
      heapUsedMaxBytes: null,
      loopLagP99MaxMs: null,
      loopLagMaxMs: null,
      hosts: [],
    });
    expect(r.asked).toEqual([[10_000, 15_000]]);
  });
});
