import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HealthReport } from "../../src/observe/health.js";
import type { SlaReport } from "../../src/observe/sla.js";
import { createSqliteJournal } from "../../src/store/sqlite/journal.js";
import { checkpoint } from "../../src/testing/contract/builders.js";
import { addRun, type SyntheticRun } from "../observe/history.js";
import { captureIo, stageflow, tempDir } from "./helpers.js";

const MIN = 60_000;

describe("stageflow health and stageflow sla", () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  const cli = (...args: string[]) => stageflow(captureIo(tmp.dir), ...args);

  /** A journal at `db` with these runs (times relative to now: the CLI reads the system clock). */
  async function journalWith(runs: SyntheticRun[], damage = false): Promise<void> {
    const journal = createSqliteJournal({ path: db });
    try {
      for (const run of runs) await addRun(journal, run);
      await journal.putCheckpoint(checkpoint(runs[0]!.id, "compile"), []);
      if (damage) {
        journal.db
          .prepare("UPDATE checkpoints SET outputs = ? WHERE run_id = ?")
          .run(JSON.stringify({ ok: false }), runs[0]!.id);
      }
    } finally {
      await journal.close();
    }
  }

  const now = Date.now();
  const runs = (sla?: unknown): SyntheticRun[] =>
    Array.from({ length: 10 }, (_, i) => ({
      id: `r${i}`,
      workflow: "release",
      sla,
      createdAt: now - 60 * MIN + i * MIN,
      durationMs: i === 9 ? 30 * MIN : 5 * MIN,
      status: i === 0 ? "failed" : "succeeded",
      recoveries: i === 1 ? [{ at: now - 50 * MIN, ok: true }] : [],
    }));

  beforeEach(() => {
    tmp = tempDir();
    db = tmp.path("state/journal.db");
  });
  afterEach(() => tmp.cleanup());

  it("health: prints every check and the recommendations, and exits 0 while nothing critical fails", async () => {
    await journalWith(runs());
    const { code, out } = await cli("health", "--db", db);
    expect(code).toBe(0);
    expect(out).toMatch(/^health: (HEALTHY|WARNING|DEGRADED)\n/);
    expect(out).toMatch(
      / {2}ok {4}journal writable {7}wrote, synced and removed a file in .*state {2}\(critical\)/,
    );
    expect(out).toMatch(/journal integrity .*integrity, foreign keys and checkpoint checksums are sound/);
    expect(out).toMatch(/recovery success rate .*100\.0% of 1 recoveries succeeded in the last 24h/);
    expect(out).toMatch(/disk space .* free of /);
    expect(out).toMatch(/\nRecommendations:\n {2}- /);

    const json = await cli("health", "--db", db, "--json");
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out) as HealthReport;
    expect(report.ready).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual([
      "journal writable",
      "disk space",
      "journal integrity",
      "recovery success rate",
    ]);
  });

  it("health: exits 1 when a critical check fails, naming it", async () => {
    await journalWith(runs(), true);
    const { code, out } = await cli("health", "--db", db);
    expect(code).toBe(1);
    expect(out).toMatch(/^health: CRITICAL\n/);
    expect(out).toMatch(
      /FAIL {2}journal integrity {6}journal integrity: 1 problem\(s\): checkpoint of run 'r0' step 'compile': checksum mismatch .* \(critical\)\n/,
    );
    expect(out).toContain(
      "- Critical checks fail (journal integrity): this host is not ready; fix them first.",
    );
    expect(out).toContain("- journal integrity: restore the journal from a backup");
    const json = await cli("health", "--db", db, "--json");
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ status: "CRITICAL", ready: false });
  });

  it("health: exits 2 without a journal", async () => {
    const { code, err } = await cli("health", "--db", db);
    expect(code).toBe(2);
    expect(err).toContain(`no database at ${db}`);
  });

  it("sla: each SLA's value, threshold, compliance and verdict; exits 1 when one is breached", async () => {
    await journalWith(runs({ p95_duration: "15m", success_rate: 0.8 }));
    const text = await cli("sla", "--db", db);
    expect(text.code).toBe(1);
    const lines = text.out.split("\n");
    expect(lines[0]).toMatch(/^SLA +VALUE +THRESHOLD +COMPLIANCE +SAMPLES +WINDOW +VERDICT$/);
    expect(text.out).toMatch(/host: recovery rate +100\.00% +>= 90\.00% +100\.0% +1 +24h +met/);
    // 10 runs, one of 30 min: the p95 (10th of 10) is 30 min.
    expect(text.out).toMatch(/release: p95 duration +30m +<= 15m +\d+\.\d% +10 +24h +breached/);
    expect(text.out).toMatch(/release: success rate +90\.00% +>= 80\.00% +100\.0% +10 +24h +met/);
    expect(text.out).toMatch(/\noverall: 67% of the SLAs with data are met\n$/);

    const json = await cli("sla", "--db", db, "--json", "--success-rate", "0.95", "--window", "2h");
    expect(json.code).toBe(1);
    const report = JSON.parse(json.out) as SlaReport;
    expect(report.slas.find((s) => s.name === "host: success rate")).toMatchObject({
      value: 0.9,
      threshold: 0.95,
      windowMs: 2 * 60 * MIN,
      verdict: "breached",
    });
  });

  it("sla: exits 0 when nothing is breached, and 2 for a bad flag", async () => {
    await journalWith(runs({ success_rate: 0.5 }));
    expect((await cli("sla", "--db", db)).code).toBe(0);
    const bad = await cli("sla", "--db", db, "--p95", "soon");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("expected a duration such as '15m' or '24h', got 'soon'");
    expect((await cli("sla", "--db", db, "--success-rate", "2")).err).toContain(
      "expected a number between 0 and 1, got '2'",
    );
  });
});
