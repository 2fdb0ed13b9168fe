import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PerformanceOutput } from "../../src/cli/render/performance.js";
import { createSqliteSampleStore } from "../../src/store/index.js";
import { captureIo, stageflow, tempDir } from "./helpers.js";

const WORKFLOW = `name: tiny
stages:
  - id: one
    steps:
      - id: hello
        run: echo hello
`;

const NONE = "no resource samples for this run (sampled while stageflow run/resume or the app executes it)";

describe("stageflow report RUN: RESOURCES", () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  const cli = (...args: string[]) => stageflow(captureIo(tmp.dir), ...args);

  beforeEach(() => {
    tmp = tempDir();
    db = tmp.path("state.db");
    tmp.write("tiny.yml", WORKFLOW);
  });
  afterEach(() => tmp.cleanup());

  async function runOnce(): Promise<string> {
    const ran = await cli("run", "tiny.yml", "--db", db, "--json");
    expect(ran.code).toBe(0);
    const runId = (JSON.parse(ran.out) as { id: string }).id;
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    return runId;
  }

  it("prints the memory and event-loop lag that `stageflow run` sampled while the run went", async () => {
    const runId = await runOnce();
    // `run` stops its sampler as it ends: the run was active, so there is at least that last sample.
    const samples = createSqliteSampleStore({ path: db, readOnly: true });
    const stored = samples.between(0, Number.MAX_SAFE_INTEGER);
    samples.close();
    expect(stored.length).toBeGreaterThanOrEqual(1);
    expect(stored[0]).toMatchObject({ host: expect.stringMatching(new RegExp(`:${process.pid}$`)) });
    expect(stored.every((s) => s.activeRuns >= 1 && s.rssBytes > 0)).toBe(true);

    const text = await cli("report", runId, "--db", db);
    expect(text.err).toBe("");
    expect(text.code).toBe(0);
    const section = text.out.slice(text.out.indexOf("RESOURCES"));
    expect(section).toMatch(
      new RegExp(`^RESOURCES \\(${stored.length} samples? from 1 process while runs were active\\)\\n`),
    );
    expect(section).toMatch(/\nrss max {7}\d+(\.\d)? [KMG]?B\n/);
    expect(section).toMatch(/\nheap max {6}\d+(\.\d)? [KMG]?B\n/);
    expect(section).toMatch(/\nloop lag {6}p99 (-|[\d.]+ ms), max (-|[\d.]+ ms)\n/);

    const json = await cli("report", runId, "--db", db, "--json");
    expect(json.code).toBe(0);
    const output = JSON.parse(json.out) as PerformanceOutput;
    expect(output.resources).toMatchObject({
      samples: stored.length,
      rssMaxBytes: Math.max(...stored.map((s) => s.rssBytes)),
      heapUsedMaxBytes: Math.max(...stored.map((s) => s.heapUsedBytes)),
      hosts: [stored[0]?.host],
    });
    expect(output.resources.unavailable).toBeUndefined();
  });

  it("says there are none when nothing sampled the run, and when the journal has no samples' tables", async () => {
    const runId = await runOnce();
    // An older journal: no samples' tables at all.
    const raw = new Database(db);
    raw.exec("DROP TABLE observe_samples; DROP TABLE observe_schema;");
    raw.close();
    const text = await cli("report", runId, "--db", db);
    expect(text.err).toBe("");
    expect(text.code).toBe(0);
    expect(text.out).toContain(`\nRESOURCES\n${NONE}\n`);
    const json = await cli("report", runId, "--db", db, "--json");
    expect((JSON.parse(json.out) as PerformanceOutput).resources).toMatchObject({
      samples: 0,
      rssMaxBytes: null,
      loopLagP99MaxMs: null,
      hosts: [],
    });
    // Reading created nothing: the report opens the file read-only.
    const check = new Database(db, { readonly: true });
    const table = check.prepare("SELECT 1 FROM sqlite_master WHERE name = 'observe_samples'").get();
    check.close();
    expect(table).toBeUndefined();
  });

  it("`stageflow resume` samples too: the resumed run's samples join those of its first process", async () => {
    tmp.write(
      "flaky.yml",
      `name: flaky
stages:
  - id: one
    steps:
      - id: once
        run: test -f "$MARK" || (touch "$MARK" && exit 3)
        env: { MARK: "${tmp.path("mark")}" }
`,
    );
    const ran = await cli("run", "flaky.yml", "--db", db, "--json");
    expect(ran.code).toBe(1);
    const runId = (JSON.parse(ran.out) as { id: string }).id;
    const count = () => {
      const store = createSqliteSampleStore({ path: db, readOnly: true });
      try {
        return store.count();
      } finally {
        store.close();
      }
    };
    const afterRun = count();
    expect(afterRun).toBeGreaterThanOrEqual(1);
    const resumed = await cli("resume", runId, "--db", db);
    expect(resumed.code).toBe(0);
    expect(count()).toBeGreaterThan(afterRun);
    const json = await cli("report", runId, "--db", db, "--json");
    expect((JSON.parse(json.out) as PerformanceOutput).resources.samples).toBe(count());
  });
});
