import { describe, expect, it } from "vitest";
import type { AttemptRecord } from "../../src/index.js";
import { historyFromReports } from "../../src/observe/baselines.js";
import { performanceReport } from "../../src/observe/performance.js";
import { runReport, stageRun, T0 } from "./reports.js";

const attempt = (stepId: string, n: number, status: AttemptRecord["status"]): AttemptRecord => ({
  runId: "r",
  stageId: "build",
  stepId,
  attempt: n,
  status,
  reason: null,
  startedAt: T0,
  finishedAt: T0 + 10,
  outputs: null,
  error: null,
  decision: null,
});

describe("performanceReport", () => {
  it("compares each stage with its configured baseline: ratio and fast / normal / slow at 0.8 and 1.2", () => {
    const perf = performanceReport({
      report: runReport("r", {
        baselines: { init: "10s", build: "20m", test: "1m", lint: "1m", docs: "1m" },
        stages: [
          { id: "init", steps: [{ id: "a", ms: 5_200 }] },
          { id: "build", steps: [{ id: "b", ms: 1_800_000 }] },
          { id: "test", steps: [{ id: "c", ms: 48_000 }] }, // 0.8: normal
          { id: "lint", steps: [{ id: "d", ms: 72_000 }] }, // 1.2: normal
          { id: "docs", steps: [{ id: "e", ms: 73_000 }] },
          { id: "ship", steps: [{ id: "f", ms: 1_000 }] }, // no baseline
        ],
      }),
    });
    expect(perf.stages.map((s) => [s.id, s.baselineMs, s.baselineSource, s.ratio, s.pace])).toEqual([
      ["init", 10_000, "configured", 0.52, "fast"],
      ["build", 1_200_000, "configured", 1.5, "slow"],
      ["test", 60_000, "configured", 0.8, "normal"],
      ["lint", 60_000, "configured", 1.2, "normal"],
      ["docs", 60_000, "configured", 73_000 / 60_000, "slow"],
      ["ship", null, null, null, null],
    ]);
    expect(perf.slowStages).toEqual(["build", "docs"]);
    expect(perf.recommendations[0]).toBe(
      "stage build took 30m against its configured baseline of 20m (1.5×); its slowest step is b (30m)",
    );
  });

  it("prefers the configured baseline to the learned one, and learns the others", () => {
    const history = historyFromReports(
      "ci",
      [1, 2, 3].map((i) => stageRun(`h${i}`, { build: 1_000 * i, test: 2_000 })),
    );
    const perf = performanceReport({
      report: runReport("r", {
        baselines: { build: "4s" },
        stages: [
          { id: "build", steps: [{ id: "b", ms: 4_000 }] },
          { id: "test", steps: [{ id: "t", ms: 2_000 }] },
        ],
      }),
      history,
    });
    expect(perf.stages.map((s) => [s.id, s.baselineMs, s.baselineSource])).toEqual([
      ["build", 4_000, "configured"],
      ["test", 2_000, "learned"],
    ]);
    expect(perf.learnedFrom).toBe(3);
  });

  it("names a bad or unknown baseline field, and recommends baselines when there are none", () => {
    const perf = performanceReport({
      report: runReport("r", {
        baselines: { build: "fast", tset: "1m" },
        stages: [{ id: "build", steps: [{ id: "b", ms: 1_000 }] }],
      }),
    });
    expect(perf.problems).toEqual([
      `baselines.build: expected a duration such as '30s' or '8m', got "fast"`,
      "baselines.tset: the workflow has no stage 'tset'",
    ]);
    expect(perf.recommendations).toEqual([
      "no baseline for stage build: set `baselines:` in the workflow, or let a few successful runs teach them",
      `fix the workflow's baselines.build: expected a duration such as '30s' or '8m', got "fast"`,
      "fix the workflow's baselines.tset: the workflow has no stage 'tset'",
    ]);
  });

  it("measures each parallel stage's speedup against the best it could do", () => {
    const perf = performanceReport({
      report: runReport("r", {
        stages: [
          {
            id: "matrix",
            mode: "parallel",
            steps: [
              { id: "linux", ms: 4_000 },
              { id: "mac", ms: 4_000 },
              { id: "windows", ms: 4_000 },
            ],
            ms: 5_000,
          },
          {
            id: "lopsided",
            mode: "parallel",
            steps: [
              { id: "big", ms: 9_000 },
              { id: "small", ms: 1_000 },
            ],
          },
          {
            id: "seq",
            steps: [
              { id: "a", ms: 100 },
              { id: "b", ms: 100 },
            ],
          },
        ],
      }),
    });
    expect(perf.stages.map((s) => [s.id, s.mode, s.speedup, s.idealSpeedup])).toEqual([
      ["matrix", "parallel", 12_000 / 5_000, 3],
      ["lopsided", "parallel", 10_000 / 9_000, 2],
      ["seq", "sequential", null, null],
    ]);
    expect(perf.recommendations).toContain(
      "parallel stage lopsided ran with a speedup of 1.11× (target 2×, at most 2×): step big holds it up; split it or balance the steps",
    );
    expect(perf.recommendations.join("\n")).not.toMatch(/parallel stage matrix/);
  });

  it("finds the hot paths: steps over 20% of the run", () => {
    const perf = performanceReport({
      report: runReport("r", {
        stages: [
          {
            id: "build",
            steps: [
              { id: "compile", ms: 6_000 },
              { id: "link", ms: 2_000 }, // exactly 20%: not hot
              { id: "strip", ms: 1_000 },
            ],
          },
          {
            id: "ship",
            steps: [
              { id: "upload", ms: 1_000 },
              { id: "never", ms: null },
            ],
          },
        ],
      }),
    });
    expect(perf.durationMs).toBe(10_000);
    expect(perf.hotPaths).toEqual([{ stageId: "build", stepId: "compile", durationMs: 6_000, share: 0.6 }]);
    expect(perf.recommendations).toContain(
      "step compile (stage build) takes 60% of the run (hot path): cache its work, split it, or run it in parallel with other steps",
    );
  });

  it("takes error and recovery rates from the attempts and the recovery episodes", () => {
    const perf = performanceReport({
      report: runReport("r", {
        state: "failed",
        stages: [
          {
            id: "build",
            status: "failed",
            steps: [
              { id: "a", ms: 100 },
              { id: "b", ms: 100, status: "failed" },
            ],
          },
        ],
        attempts: [
          attempt("a", 1, "failed"),
          attempt("a", 2, "succeeded"),
          attempt("b", 1, "failed"),
          attempt("b", 2, "failed"),
          attempt("b", 3, "cancelled"), // neither a success nor an error
        ],
        recovery: [
          {
            stepId: "a",
            patternId: null,
            errorType: "network",
            strategies: ["retry"],
            outcome: "recovered",
            attempts: 2,
            recoveryMs: 50,
            error: "x",
          },
          {
            stepId: "b",
            patternId: null,
            errorType: "network",
            strategies: ["retry"],
            outcome: "failed",
            attempts: 3,
            recoveryMs: 90,
            error: "y",
          },
          {
            stepId: "c",
            patternId: null,
            errorType: "unknown",
            strategies: ["retry"],
            outcome: "in_progress",
            attempts: 1,
            recoveryMs: null,
            error: "z",
          },
        ],
      }),
    });
    expect(perf.attempts).toEqual({ finished: 4, failed: 3 });
    expect(perf.errorRate).toBe(0.75);
    expect(perf.recovery).toEqual({ episodes: 3, recovered: 1, ended: 2 });
    expect(perf.recoveryRate).toBe(0.5);
    // errors 30 × 0.75 = 22.5, recovery 20 × 0.5 = 10, failed 10 → 57.5 → 58.
    expect(perf.penalties).toEqual({ speed: 0, errors: 22.5, recovery: 10, outcome: 10, anomalies: 0 });
    expect([perf.score, perf.grade]).toEqual([58, "F"]);
    expect(perf.recommendations).toContain(
      "3 of 4 attempts failed (75%): see the recovery table and fix the most frequent error",
    );
    expect(perf.recommendations).toContain(
      "1 of 2 recovery episodes did not recover: add a recovery pattern for their error, or fix its cause",
    );
  });

  it("counts attempts from the steps when the report has no attempt records", () => {
    const perf = performanceReport({
      report: runReport("r", {
        stages: [
          {
            id: "build",
            steps: [
              { id: "a", ms: 100, attempts: 3 },
              { id: "b", ms: 100 },
            ],
          },
        ],
      }),
    });
    expect(perf.attempts).toEqual({ finished: 4, failed: 2 });
  });
});
