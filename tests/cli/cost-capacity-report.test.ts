import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEngine, parseWorkflow, type StepContext } from "../../src/index.js";
import type { CapacityForecast } from "../../src/observe/index.js";
import type { PerformanceOutput } from "../../src/cli/render/performance.js";
import { createSqliteJournal } from "../../src/store/index.js";
import { FakeClock } from "../../src/testing/index.js";
import { captureIo, stageflow, tempDir } from "./helpers.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;

// The kinds' names are what the cost report reads (from the stored definition); the handlers here
// stand in for the real ones (no network).
const WORKFLOW = `name: release
stages:
  - id: ship
    steps:
      - id: label
        github: issues.addLabels
        retry: { max_attempts: 3, base_delay: 1s, jitter: none }
      - { id: ping, http: "https://hooks.example.test/ship" }
`;

/**
 * Runs `release` on a fake clock into the SQLite journal at `db`: on day i of the last `days`
 * days, i + 1 runs; each run's `label` step fails once and succeeds on its retry.
 */
async function seed(db: string, days: number): Promise<string[]> {
  const start = Date.now() - days * DAY + HOUR;
  const clock = new FakeClock(start, { autoAdvance: true });
  const journal = createSqliteJournal({ path: db });
  const engine = createEngine({ journal, clock, defaultPatterns: false });
  const seen = new Set<string>();
  engine.register("github", {
    execute: async (ctx: StepContext) => {
      if (!seen.has(ctx.runId)) {
        seen.add(ctx.runId);
        throw new Error("502 Bad Gateway");
      }
      return { status: 200 };
    },
  });
  engine.register("http", { execute: async () => ({ status: 204 }) });
  const plan = parseWorkflow(WORKFLOW, { kinds: engine.kinds });
  const ids: string[] = [];
  try {
    for (let day = 0; day < days; day++) {
      await clock.advance(start + day * DAY - clock.now());
      for (let k = 0; k <= day; k++) {
        const handle = await engine.start(plan, {});
        await handle.done;
        ids.push(handle.runId);
      }
    }
  } finally {
    await engine.close();
    await journal.close();
  }
  return ids;
}

describe("stageflow report: cost and capacity", () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  let ids: string[];
  const cli = (...args: string[]) => stageflow(captureIo(tmp.dir), ...args);

  beforeEach(async () => {
    tmp = tempDir();
    db = tmp.path("state.db");
    ids = await seed(db, 6);
  });
  afterEach(() => tmp.cleanup());

  it("prints a run's cost units and the cost of each step", async () => {
    const id = ids[ids.length - 1] as string;
    const { code, out, err } = await cli("report", id, "--db", db);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toContain("\ncost      2 GitHub API calls, 1 HTTP call\n");
    expect(out).toContain(
      [
        "COST   KIND    ATTEMPTS  GITHUB API CALLS  RUNNER MINUTES  HTTP CALLS",
        "label  github  2         2                 -               -",
        "ping   http    1         -                 -               1",
        "",
      ].join("\n"),
    );
    expect(out).not.toContain("CAPACITY");
  });

  it("with --capacity, adds the forecast; in JSON, the cost and the forecast", async () => {
    const id = ids[0] as string;
    const text = await cli("report", id, "--db", db, "--capacity", "--days", "6", "--horizon", "3");
    expect(text.code).toBe(0);
    const lines = text.out.split("\n");
    const at = lines.findIndex((l) => l.startsWith("CAPACITY"));
    expect(lines[at]).toBe(
      "CAPACITY: trend of the last 6 days, forecast for 3 days (95% prediction interval)",
    );
    expect(lines[at + 1]).toMatch(/^SERIES\s+NOW\s+TREND\/DAY\s+IN 3 DAYS\s+95% INTERVAL$/);
    // 1, 2, ..., 6 runs a day: exactly one more a day, so 9 in three days, no spread.
    expect(lines[at + 2]).toMatch(/^runs per day\s+6\s+\+1\s+9\s+9 – 9$/);
    expect(lines[at + 4]).toMatch(/^journal size\s+\d+(\.\d)? (KB|MB)\s+\+/);
    expect(lines[at + 5]).toBe("open now  0 running, 0 waiting, 0 blocked");

    const json = await cli("report", id, "--db", db, "--json", "--capacity", "--days", "6");
    const output = JSON.parse(json.out) as PerformanceOutput;
    expect(output.cost).toMatchObject({
      runId: id,
      workflow: "release",
      units: { github_api_calls: 2, runner_minutes: 0, http_calls: 1 },
    });
    expect(output.capacity?.runsPerDay.history.map((p) => p.value)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(output.capacity?.runsPerDay.forecast).toHaveLength(7);
    expect(output.capacity?.journalBytes.current).toBeGreaterThan(0);
  });

  it("without a run, prints only the forecast; bad numbers are refused", async () => {
    const { code, out } = await cli("report", "--db", db, "--json", "--days", "6", "--horizon", "2");
    expect(code).toBe(0);
    const { capacity } = JSON.parse(out) as { capacity: CapacityForecast };
    expect(capacity.runsPerDay.slopePerDay).toBeCloseTo(1, 10);
    expect(capacity.runsPerDay.forecast.map((p) => Math.round(p.value))).toEqual([7, 8]);
    const text = await cli("report", "--db", db);
    expect(text.out.split("\n")[0]).toBe(
      "CAPACITY: trend of the last 30 days, forecast for 7 days (95% prediction interval)",
    );
    const bad = await cli("report", "--db", db, "--horizon", "0");
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/expected a positive integer, got '0'/);
  });
});
