import { describe, expect, it } from "vitest";
import { historyFromReports } from "../../../src/observe/baselines.js";
import { performanceReport } from "../../../src/observe/performance.js";
import { checkRunOutput, commentBody, createRenderer, runView } from "../../../src/render.js";
import { runReport, stageRun, T0 } from "../../observe/reports.js";

const slowBuild = () =>
  runReport("3f2a9c1e-0000-4000-8000-00000000beef", {
    baselines: { build: "2s", test: "1s" },
    stages: [
      {
        id: "build",
        steps: [
          { id: "compile", ms: 3_000 },
          { id: "link", ms: 200 },
        ],
      },
      { id: "test", steps: [{ id: "unit", ms: 800 }] },
    ],
  });

describe("the run view's grade", () => {
  it("is the performance report's grade, with the slow stages, hot paths and recommendations", () => {
    const report = slowBuild();
    const view = runView(report, { now: T0 + 60_000 });
    const perf = performanceReport({ report });
    expect(view.grade).toEqual({
      letter: perf.grade,
      score: perf.score,
      text: `${perf.grade} (${perf.score}/100)`,
      slowStages: [{ id: "build", duration: "3.2s", baseline: "2s", ratio: "1.6×", source: "configured" }],
      hotPaths: [{ stepId: "compile", stageId: "build", duration: "3s", share: "75%" }],
      anomalies: [],
      recommendations: perf.recommendations,
    });
    // speed: 40 × (0.6 + 0) / 2 = 12 → 88.
    expect(view.grade?.text).toBe("B (88/100)");
  });

  it("uses a learned history when the host gives one, and is null until the run ends by itself", () => {
    const history = historyFromReports(
      "ci",
      [1, 2, 3, 4, 5, 6].map((i) => stageRun(`h${i}`, { build: 1_000 + i, test: 800 })),
    );
    const report = runReport("r", {
      stages: [
        { id: "build", steps: [{ id: "compile", ms: 5_000 }] },
        { id: "test", steps: [{ id: "unit", ms: 800 }] },
      ],
    });
    const view = runView(report, { now: T0, history });
    expect(view.grade?.slowStages).toEqual([
      { id: "build", duration: "5s", baseline: "1s", ratio: "4.98×", source: "learned" },
    ]);
    expect(view.grade?.anomalies).toEqual([{ id: "build", direction: "slow", zScore: expect.any(String) }]);

    expect(runView({ ...report, state: "cancelled" }, { now: T0 }).grade).toBeNull();
    expect(runView({ ...report, state: "running", durationMs: null }, { now: T0 }).grade).toBeNull();
  });

  it("shows in the check run and in the comment", async () => {
    const renderer = createRenderer();
    const view = runView(slowBuild(), { now: T0 + 60_000 });
    const { summary } = await checkRunOutput(view, renderer);
    expect(summary).toContain("### Performance: grade B (88/100)\n");
    expect(summary).toContain("- 🐢 stage **build** took 3.2s, 1.6× its configured baseline of 2s\n");
    expect(summary).toContain("- 🔥 step **compile** (build) took 3s, 75% of the run\n");
    expect(summary).toContain("<details><summary>Recommendations</summary>");
    expect(summary).toContain("- stage build took 3.2s against its configured baseline of 2s (1.6×)");
    const body = await commentBody(view, renderer);
    expect(body).toContain("**Grade:** B (88/100) · slow: build (1.6×) · hot: compile (75%)\n");
  });
});
