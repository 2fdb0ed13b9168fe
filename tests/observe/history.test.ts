import { describe, expect, it } from "vitest";
import { createEngine, parseWorkflow, type StepContext } from "../../src/index.js";
import { FakeClock, MemoryJournal } from "../../src/testing/index.js";
import { learnHistory } from "../../src/observe/baselines.js";
import { journaledPerformance } from "../../src/observe/performance.js";
import { loadProfile } from "../../src/observe/profiler.js";

const WORKFLOW = `name: ci
stages:
  - id: build
    steps:
      - id: compile
        work: \${{ inputs.ms }}
  - id: test
    mode: parallel
    steps:
      - { id: unit, work: 400 }
      - { id: e2e, work: 600 }
inputs:
  ms: { type: number, default: 1000 }
  fail: { type: boolean, default: false }
`;

/** An engine on a fake clock with a `work` kind that takes its config's milliseconds of clock time. */
function setup() {
  const clock = new FakeClock(Date.UTC(2026, 0, 1), { autoAdvance: true });
  const journal = new MemoryJournal();
  const engine = createEngine({ journal, clock, defaultPatterns: false });
  engine.register("work", {
    async execute(ctx: StepContext) {
      await ctx.clock.sleep(Number(ctx.config));
      if (ctx.inputs.fail === true && ctx.stepId === "unit") throw new Error("unit tests failed");
      return {};
    },
  });
  const plan = parseWorkflow(WORKFLOW, { kinds: engine.kinds });
  const run = async (ms: number, fail = false) => {
    const handle = await engine.start(plan, { inputs: { ms, fail } });
    await handle.done;
    return handle.runId;
  };
  return { clock, journal, engine, run };
}

describe("learned history from the journal", () => {
  it("learns per-stage durations of the last N successful runs, and flags the run that departs from them", async () => {
    const { journal, engine, run } = setup();
    for (const ms of [1_000, 1_100, 900, 1_000, 1_050, 950]) await run(ms);
    await run(1_000, true); // failed: not learned from
    const slowId = await run(5_000);

    const history = await learnHistory(journal, "ci", { n: 4, exclude: slowId });
    expect(history.runIds).toHaveLength(4);
    expect(history.stages.build).toEqual([900, 1_000, 1_050, 950]);
    expect(history.stages.test).toEqual([600, 600, 600, 600]);

    const all = await learnHistory(journal, "ci");
    expect(all.runIds).toHaveLength(7); // six and the slow one, not the failed one
    expect(await learnHistory(journal, "other")).toEqual({ workflow: "other", runIds: [], stages: {} });
    await expect(learnHistory(journal, "ci", { n: 0 })).rejects.toThrow(/positive integer, got 0/);

    const perf = await journaledPerformance(journal, await engine.report(slowId));
    expect(perf.learnedFrom).toBe(6); // the runs before it, without it
    const build = perf.stages.find((s) => s.id === "build");
    expect(build).toMatchObject({ baselineSource: "learned", baselineMs: 1_000, ratio: 5, pace: "slow" });
    expect(build?.anomaly).toMatchObject({ anomaly: true, direction: "slow" });
    const test = perf.stages.find((s) => s.id === "test");
    expect(test).toMatchObject({ mode: "parallel", durationMs: 600, speedup: 1_000 / 600, pace: "normal" });
    expect(perf.hotPaths.map((h) => h.stepId)).toEqual(["compile"]);
    // speed 40 × (1 + 0) / 2 (build's 5× counts as 2×) = 20, one slow anomaly 5: 75.
    expect([perf.score, perf.grade]).toEqual([75, "C"]);
  });

  it("profiles attempt durations per step kind, stage and workflow", async () => {
    const { journal, run } = setup();
    for (const ms of [100, 200, 300, 400]) await run(ms);
    await run(100, true);
    const profile = await loadProfile(journal, { workflow: "ci" });
    expect(profile.runs).toBe(5);
    expect(profile.attempts).toBe(15);
    expect(profile.workflows).toEqual([expect.objectContaining({ name: "ci", count: 15, failed: 1 })]);
    const build = profile.stages.find((s) => s.name === "ci/build");
    expect(build).toMatchObject({ count: 5, p50Ms: 200, p95Ms: 400, p99Ms: 400, maxMs: 400, totalMs: 1_100 });
    expect(profile.kinds).toEqual([expect.objectContaining({ name: "work", count: 15, failed: 1 })]);
  });
});
