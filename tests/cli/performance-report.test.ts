import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEngine, parseWorkflow, type StepContext } from "../../src/index.js";
import type { PerformanceOutput } from "../../src/cli/render/performance.js";
import { createSqliteJournal } from "../../src/store/index.js";
import { FakeClock } from "../../src/testing/index.js";
import { captureIo, stageflow, tempDir } from "./helpers.js";

const WORKFLOW = `name: ci
baselines:
  test: 1s
stages:
  - id: build
    steps:
      - id: compile
        work: \${{ inputs.ms }}
  - id: test
    steps:
      - { id: unit, work: 400 }
      - { id: e2e, work: 600 }
inputs:
  ms: { type: number, default: 1000 }
`;

/**
 * Runs `ci` once per duration of its build stage, on a fake clock, into the SQLite journal at `db`.
 * Its stages are sequential: the journal's group commit (setImmediate) and the fake clock's
 * auto-advance would race on parallel steps' timers.
 */
async function seed(db: string, buildMs: number[]): Promise<string[]> {
  const clock = new FakeClock(Date.UTC(2026, 0, 1), { autoAdvance: true });
  const journal = createSqliteJournal({ path: db });
  const engine = createEngine({ journal, clock, defaultPatterns: false });
  engine.register("work", {
    execute: async (ctx: StepContext) => {
      await ctx.clock.sleep(Number(ctx.config));
      return {};
    },
  });
  const plan = parseWorkflow(WORKFLOW, { kinds: engine.kinds });
  const ids: string[] = [];
  try {
    for (const ms of buildMs) {
      const handle = await engine.start(plan, { inputs: { ms } });
      await handle.done;
      ids.push(handle.runId);
    }
  } finally {
    await engine.close();
    await journal.close();
  }
  return ids;
}

describe("stageflow report RUN", () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  let ids: string[];
  const cli = (...args: string[]) => stageflow(captureIo(tmp.dir), ...args);

  beforeEach(async () => {
    tmp = tempDir();
    db = tmp.path("state.db");
    ids = await seed(db, [1_000, 1_100, 900, 1_000, 1_050, 4_000]);
  });
  afterEach(() => tmp.cleanup());

  it("prints the grade, each stage against its baseline, hot paths, recommendations and the profile", async () => {
    const slow = ids[5] as string;
    const { code, out, err } = await cli("report", slow.slice(-8), "--db", db);
    expect(err).toBe("");
    expect(code).toBe(0);
    const lines = out.split("\n");
    expect(lines[0]).toBe(`performance of run ${slow} (ci): grade C (75/100)`);
    expect(lines.slice(1, 6)).toEqual([
      "status    ✔ succeeded",
      "duration  5s",
      "attempts  0 of 3 failed (0%)",
      "recovery  no episode",
      "history   5 successful runs before this one",
    ]);
    expect(out).toContain(
      [
        "STAGE  DURATION  BASELINE         RATIO  PACE    SPEEDUP  ANOMALY",
        "build  4s        1s (learned)     4×     slow    -        slow (z 11.4)",
        "test   1s        1s (configured)  1×     normal  -        no",
        "",
        "HOT PATH  STAGE  DURATION  SHARE",
        "compile   build  4s        80%",
        "",
        "score  100 − speed 20 − errors 0 − recovery 0 − outcome 0 − anomalies 5 = 75 (C)",
        "",
        "RECOMMENDATIONS",
        "  - stage build took 4s against its learned baseline of 1s (4×); its slowest step is compile (4s)",
        "  - stage build was unusually slow (4s; its last 5 successful runs average 1.2s, z = 11.4): look for",
        "    what changed (inputs, dependencies, runners)",
        "  - step compile (stage build) takes 80% of the run (hot path): cache its work, split it, or run it",
        "    in parallel with other steps",
        "",
      ].join("\n"),
    );
    // p50 of build's six runs (0.9s, 1s, 1s, 1.05s, 1.1s, 4s) by nearest rank: 1s.
    expect(out).toContain(
      [
        "PROFILE of the last 6 runs of ci (18 attempts)",
        "STEP KIND  COUNT  FAILED  P50    P95    P99    MAX    TOTAL",
        "work       18     0       600ms  4s     4s     4s     15.1s",
        "",
        "STAGE      COUNT  FAILED  P50    P95    P99    MAX    TOTAL",
        "ci/build   6      0       1s     4s     4s     4s     9.05s",
        "ci/test    12     0       400ms  600ms  600ms  600ms  6s",
        "",
        "WORKFLOW   COUNT  FAILED  P50    P95    P99    MAX    TOTAL",
        "ci         18     0       600ms  4s     4s     4s     15.1s",
        "",
      ].join("\n"),
    );
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
  });

  it("gives the report and the profile as JSON", async () => {
    const { code, out } = await cli("report", ids[2] as string, "--db", db, "--json");
    expect(code).toBe(0);
    const json = JSON.parse(out) as PerformanceOutput;
    expect(json.performance).toMatchObject({ runId: ids[2], workflow: "ci", grade: "A", learnedFrom: 2 });
    // Two runs before it: too few to learn build's baseline; test has its configured one.
    expect(json.performance.stages.map((s) => [s.id, s.baselineSource])).toEqual([
      ["build", null],
      ["test", "configured"],
    ]);
    expect(json.profile.workflows).toEqual([expect.objectContaining({ name: "ci", count: 18 })]);
  });

  it("names an unknown run, and refuses a bad --history", async () => {
    const unknown = await cli("report", "nope-nope", "--db", db);
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toMatch(/unknown run 'nope-nope'/);
    const bad = await cli("report", ids[0] as string, "--db", db, "--history", "0");
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/expected a positive integer, got '0'/);
    const none = await cli("report", ids[0] as string, "--db", tmp.path("none.db"));
    expect(none.code).toBe(2);
    expect(none.err).toContain("none.db");
  });
});
