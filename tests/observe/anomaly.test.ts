import { describe, expect, it } from "vitest";
import { detectAnomaly, ewma } from "../../src/observe/anomaly.js";
import {
  configuredBaselines,
  historyFromReports,
  learnedBaseline,
  median,
} from "../../src/observe/baselines.js";
import { performanceReport } from "../../src/observe/performance.js";
import { stageRun } from "./reports.js";

describe("EWMA and z-score", () => {
  it("computes the exponentially weighted mean and variance", () => {
    expect(ewma([])).toBeUndefined();
    expect(ewma([10])).toEqual({ mean: 10, variance: 0, samples: 1 });
    // alpha 0.5: 10 → 15 (variance 0.5·(0 + 0.5·100) = 25) → 12.5 (0.5·(25 + 0.5·25) = 18.75)
    expect(ewma([10, 20, 10], 0.5)).toEqual({ mean: 15 - 2.5, variance: 18.75, samples: 3 });
    expect(() => ewma([1], 0)).toThrow(/alpha.*\(0, 1\].*got 0/);
  });

  it.each([
    // what, history, value, anomaly, direction
    ["too little history: no verdict", [100, 100, 100, 100], 900, undefined, undefined],
    ["a steady history and a value within its spread", [100, 102, 98, 101, 99, 100], 103, false, null],
    ["a steady history and a value three times it", [100, 102, 98, 101, 99, 100], 300, true, "slow"],
    ["a steady history and a value far below it", [100, 102, 98, 101, 99, 100], 20, true, "fast"],
    ["a flat history tolerates 5% (the spread's floor)", [100, 100, 100, 100, 100], 110, false, null],
    ["a noisy history tolerates more", [50, 150, 60, 140, 55, 145], 200, false, null],
  ] as const)("%s", (_what, history, value, anomaly, direction) => {
    const verdict = detectAnomaly(history, value);
    if (anomaly === undefined) expect(verdict).toBeUndefined();
    else expect(verdict).toMatchObject({ anomaly, direction, samples: history.length });
  });
});

describe("baselines", () => {
  it("reads the configured block with the engine's durations, naming a bad field", () => {
    const { baselines, problems } = configuredBaselines({
      build: "8m",
      test: 30_000,
      ship: "soon",
      zero: "0s",
    });
    expect([...baselines]).toEqual([
      ["build", 480_000],
      ["test", 30_000],
    ]);
    expect(problems).toEqual([
      `baselines.ship: expected a duration such as '30s' or '8m', got "soon"`,
      `baselines.zero: expected a duration above zero, got "0s"`,
    ]);
    expect(configuredBaselines(["8m"]).problems).toEqual([
      'baselines: expected a mapping of stage id to duration, got ["8m"]',
    ]);
    expect(configuredBaselines(undefined)).toEqual({ baselines: new Map(), problems: [] });
  });

  it("learns each stage's median over the successful runs of a synthetic history", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(learnedBaseline([5, 6])).toBeUndefined(); // fewer than 3 samples
    // Newest first, as the journal lists runs.
    const durations = [1_300, 1_000, 1_200, 900, 1_100, 1_000];
    const reports = durations.map((ms, i) => stageRun(`r${i}`, { build: ms, test: 4_000 + i }));
    const history = historyFromReports("ci", reports);
    expect(history.runIds).toEqual(["r0", "r1", "r2", "r3", "r4", "r5"]);
    expect(history.stages.build).toEqual([...durations].reverse()); // oldest first
    expect(learnedBaseline(history.stages.build)).toBe(1_050);
    expect(learnedBaseline(history.stages.test)).toBe(4_002.5);
  });

  it("learns no baseline for a stage that took 0 ms: no ratio, and a finite score", () => {
    expect(learnedBaseline([0, 0, 0])).toBeUndefined();
    expect(learnedBaseline([0, 0, 2])).toBeUndefined(); // median 0
    expect(learnedBaseline([0, 2, 2])).toBe(2);
    const history = historyFromReports(
      "ci",
      [1, 2, 3].map((i) => stageRun(`h${i}`, { gate: 0, build: 60_000 })),
    );
    for (const gateMs of [0, 1]) {
      const perf = performanceReport({ report: stageRun("now", { gate: gateMs, build: 60_000 }), history });
      const gate = perf.stages.find((s) => s.id === "gate");
      expect(gate).toMatchObject({ baselineMs: null, baselineSource: null, ratio: null, pace: null });
      expect(perf.stages.find((s) => s.id === "build")).toMatchObject({ baselineMs: 60_000, ratio: 1 });
      expect(Number.isFinite(perf.score)).toBe(true);
      expect(perf.grade).toBe("A");
    }
  });

  it("flags a stage far from its learned history as an anomaly, and says so in the report", () => {
    const history = historyFromReports(
      "ci",
      [1_000, 1_020, 980, 1_010, 990, 1_000, 1_005].map((ms, i) =>
        stageRun(`h${i}`, { build: ms, test: 2_000 }),
      ),
    );
    const slow = performanceReport({ report: stageRun("now", { build: 4_000, test: 2_010 }), history });
    const build = slow.stages.find((s) => s.id === "build");
    expect(build).toMatchObject({ baselineSource: "learned", baselineMs: 1_000, ratio: 4, pace: "slow" });
    expect(build?.anomaly).toMatchObject({ anomaly: true, direction: "slow" });
    expect(slow.anomalies).toEqual(["build"]);
    expect(slow.stages.find((s) => s.id === "test")?.anomaly).toMatchObject({ anomaly: false });
    expect(slow.penalties.anomalies).toBe(5);
    expect(slow.recommendations.join("\n")).toMatch(
      /stage build was unusually slow \(4s; its last 7 successful runs/,
    );

    const usual = performanceReport({ report: stageRun("now", { build: 1_010, test: 2_000 }), history });
    expect(usual.anomalies).toEqual([]);
    expect(usual.grade).toBe("A");
  });
});
