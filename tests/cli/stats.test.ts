import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StatsReport } from "../../src/cli/render/stats.js";
import { renderStats } from "../../src/cli/render/stats.js";
import { recoveryStats } from "../../src/engine/recovery/stats.js";
import { captureIo, stageflow, tempDir } from "./helpers.js";

/** Fails its first attempt with "mirror unavailable"; the workflow's retry pattern recovers it. */
const FLAKY = `name: flaky
stages:
  - id: build
    steps:
      - id: fetch
        run: 'if [ "$STAGEFLOW_ATTEMPT" = "1" ]; then echo "mirror unavailable" >&2; exit 3; fi; echo ok'
recovery:
  - id: mirror_flake
    match: mirror unavailable
    type: network
    strategy: retry
    max_attempts: 3
    base_delay: 10ms
`;

/** Always fails; the workflow's pattern says fail. */
const BROKEN = `name: broken
stages:
  - id: deploy
    steps:
      - id: push
        run: echo "license expired" >&2; exit 4
recovery:
  - { id: license, match: license expired, type: configuration, strategy: fail }
`;

const DAY = 86_400_000;

describe("stageflow stats (end to end)", () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  const cli = async (...args: string[]) => stageflow(captureIo(tmp.dir), ...args);
  const json = async (...args: string[]) => {
    const result = await cli("stats", "--db", db, "--json", ...args);
    expect(result.code).toBe(0);
    return JSON.parse(result.out) as StatsReport;
  };
  /** Moves a run's creation time back, as if it had run `ms` earlier. */
  const backdate = (runId: string, ms: number) => {
    const sqlite = new Database(db);
    try {
      sqlite.prepare("UPDATE runs SET created_at = created_at - ? WHERE id = ?").run(ms, runId);
    } finally {
      sqlite.close();
    }
  };

  beforeEach(async () => {
    tmp = tempDir();
    db = tmp.path("state/journal.db");
    tmp.write("flaky.yml", FLAKY);
    tmp.write("broken.yml", BROKEN);
    expect((await cli("run", "flaky.yml", "--db", db)).code).toBe(0);
    expect((await cli("run", "flaky.yml", "--db", db)).code).toBe(0);
    expect((await cli("run", "broken.yml", "--db", db)).code).toBe(1);
  });
  afterEach(() => tmp.cleanup());

  it("counts recovery by strategy, error type and pattern over every run", async () => {
    const stats = await json();
    expect(stats.filter).toEqual({ workflow: null, since: null, from: null });
    expect(stats.runs).toEqual({
      total: 3,
      byStatus: { succeeded: 2, degraded: 0, failed: 1, cancelled: 0, waiting: 0, blocked: 0, running: 0 },
    });
    const row = (attempts: number, successes: number, failures: number, successRate: number | null) => ({
      attempts,
      episodes: successes + failures,
      successes,
      failures,
      successRate,
      recoveryMs: expect.any(Number),
    });
    expect(stats.overall).toEqual(row(3, 2, 1, 2 / 3));
    expect(stats.byStrategy).toEqual({ retry: row(2, 2, 0, 1), fail: row(1, 0, 1, 0) });
    expect(stats.byErrorType).toEqual({ network: row(2, 2, 0, 1), configuration: row(1, 0, 1, 0) });
    expect(stats.byPattern).toEqual({ mirror_flake: row(2, 2, 0, 1), license: row(1, 0, 1, 0) });
    expect(stats.byStrategy.retry?.recoveryMs).toBeGreaterThan(0);
    expect(stats.target).toBe(0.9);
    expect(stats.meetsTarget).toBe(false);

    const text = await cli("stats", "--db", db);
    expect(text.code).toBe(0);
    expect(text.err).toBe("");
    const lines = text.out.split("\n");
    expect(lines[0]).toBe("3 runs: 2 succeeded, 1 failed");
    expect(lines).toContain("recovery by strategy:");
    expect(lines).toContain(
      "  STRATEGY  ATTEMPTS  EPISODES  SUCCESSES  FAILURES  SUCCESS RATE  RECOVERY TIME",
    );
    expect(text.out).toMatch(/^ {2}retry +2 +2 +2 +0 +100% +\d+ms$/m);
    expect(text.out).toMatch(/^ {2}fail +1 +1 +0 +1 +0% +\d+ms$/m);
    expect(text.out).toMatch(/^ {2}network +2 +2 +2 +0 +100% +\d+ms$/m);
    expect(text.out).toMatch(/^ {2}configuration +1 +1 +0 +1 +0% +\d+ms$/m);
    expect(text.out).toMatch(/^ {2}mirror_flake +2 +2 +2 +0 +100% +\d+ms$/m);
    // strategies in their canonical order: retry before fail
    expect(text.out.indexOf("  retry ")).toBeLessThan(text.out.indexOf("  fail "));
    expect(lines.at(-2)).toMatch(
      /^overall: success rate 66\.7% \(2 of 3 episodes recovered, 3 attempts, \d+ms recovering\) — below the 90% target$/,
    );
  });

  it("filters by workflow and by --since", async () => {
    const flaky = await json("--workflow", "flaky");
    expect(flaky.filter.workflow).toBe("flaky");
    expect(flaky.runs.total).toBe(2);
    expect(flaky.overall).toMatchObject({ attempts: 2, episodes: 2, successes: 2, successRate: 1 });
    expect(flaky.meetsTarget).toBe(true);
    const text = await cli("stats", "--db", db, "--workflow", "flaky");
    expect(text.out.split("\n")[0]).toBe("2 runs (workflow flaky): 2 succeeded");
    expect(text.out).toMatch(/— meets the 90% target\n$/);

    const status = JSON.parse((await cli("status", "--db", db, "--json")).out) as Array<{
      id: string;
      workflow: string;
    }>;
    const oldest = status.filter((r) => r.workflow === "flaky").at(-1);
    backdate(oldest?.id as string, 2 * DAY);

    const recent = await json("--since", "1d");
    expect(recent.filter.since).toBe("1d");
    expect(recent.filter.from).toBeGreaterThan(Date.now() - DAY - 60_000);
    expect(recent.runs.total).toBe(2);
    expect(recent.runs.byStatus).toMatchObject({ succeeded: 1, failed: 1 });
    expect(recent.overall).toMatchObject({
      attempts: 2,
      episodes: 2,
      successes: 1,
      failures: 1,
      successRate: 0.5,
    });
    expect((await json("--since", "3d")).runs.total).toBe(3);
    expect((await json("--since", "1d", "--workflow", "flaky")).overall).toMatchObject({ episodes: 1 });
    expect((await json("--workflow", "nope")).runs.total).toBe(0);
  });

  it("reports no runs without a journal, and rejects a bad --since", async () => {
    const none = await cli("stats", "--db", tmp.path("none.db"));
    expect(none.code).toBe(0);
    expect(none.out).toBe("0 runs\n\nno recovery events: no step failed in these runs\n");
    const empty = JSON.parse((await cli("stats", "--db", tmp.path("none.db"), "--json")).out) as StatsReport;
    expect(empty.runs.total).toBe(0);
    expect(empty.overall).toMatchObject({ attempts: 0, episodes: 0, successRate: null });
    expect(empty.meetsTarget).toBeNull();

    const bad = await cli("stats", "--db", db, "--since", "a week");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("expected a duration such as '30m', '24h' or '7d', got 'a week'");
  });
});

describe("renderStats", () => {
  it("says when decisions were taken but no recovery has ended yet", () => {
    const stats = recoveryStats([
      {
        type: "recovery.decided",
        payload: { strategy: "escalate", errorType: "security", patternId: "vuln" },
      },
    ]);
    const text = renderStats({
      ...stats,
      filter: { workflow: null, since: null, from: null },
      runs: { total: 1, byStatus: { waiting: 1 } },
    });
    expect(text).toContain("1 run: 1 waiting\n");
    expect(text).toMatch(/^ {2}escalate +1 +0 +0 +0 +- +0ms$/m);
    expect(text).toContain("overall: 1 attempt, no recovery ended yet (the 90% target is not measured)\n");
  });
});
