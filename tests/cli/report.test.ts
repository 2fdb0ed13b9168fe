import { describe, expect, it } from "vitest";
import { renderReport, runJson } from "../../src/cli/render/report.js";
import { renderRuns } from "../../src/cli/render/runs.js";
import { failedReport, runRecord } from "./fixtures.js";

describe("final report", () => {
  it("shows the run, then each stage and step with status, attempts, duration, reason and error", () => {
    expect(renderReport(failedReport())).toBe(
      [
        "run 3f2a9c1e-0000-4000-8000-000000000001 (release)",
        "status    ✖ failed (retries_exhausted)",
        "started   2024-01-15 14:23:15",
        "duration  12.3s",
        "error     gave up after 3 attempt(s): exit code 2",
        "",
        "STAGE / STEP  STATUS     ATTEMPTS       DURATION  REASON",
        "✔ prepare     succeeded                 1.2s",
        "    ✔ check   succeeded  1              1.2s",
        "✖ build       failed                    11.1s     retries_exhausted",
        "    ✖ linux   failed     3 (2 retries)  9.8s      retries_exhausted",
        "        exit code 2",
        "        make: *** No rule to make target",
        "    ↷ docs    skipped                   -         degraded",
        "· publish     pending                   -",
        "",
        "RECOVERY   STRATEGY  PATTERN  OUTCOME  ATTEMPTS  TIME",
        "    linux  retry     network  failed   3         4s",
        "        read ECONNRESET",
        "",
        "resume with: stageflow resume 3f2a9c1e-0000-4000-8000-000000000001",
        "",
      ].join("\n"),
    );
  });

  it("omits the error and the resume hint for a succeeded run, and masks tokens in messages", () => {
    const ok = {
      ...failedReport(),
      run: runRecord({ status: "succeeded", reason: "succeeded", error: null }),
      state: "succeeded" as const,
    };
    const text = renderReport(ok);
    expect(text).toContain("status    ✔ succeeded\n");
    expect(text).not.toContain("error ");
    expect(text).not.toContain("resume with");

    const leaky = failedReport();
    const token = `ghp_${"k".repeat(36)}`;
    leaky.run.error = { name: "Error", message: `401 with ${token}` };
    expect(renderReport(leaky)).not.toContain(token);
  });

  it("gives each run's id, status, reason and steps as JSON", () => {
    const json = runJson(failedReport());
    expect(json).toMatchObject({ id: failedReport().run.id, status: "failed", reason: "retries_exhausted" });
    expect(json.steps).toEqual([
      expect.objectContaining({
        id: "check",
        stage: "prepare",
        status: "succeeded",
        attempts: 1,
        outputs: { version: "1.2.3" },
      }),
      expect.objectContaining({ id: "linux", stage: "build", status: "failed", attempts: 3 }),
      expect.objectContaining({ id: "docs", stage: "build", status: "skipped", attempts: 0 }),
    ]);
  });
});

describe("report width", () => {
  it("fits 100 columns: long errors, ids and messages are cut with …", () => {
    const wide = failedReport();
    const long = "x".repeat(300);
    wide.recovery[0] = { ...(wide.recovery[0] as (typeof wide.recovery)[0]), error: long };
    wide.run.error = { name: "Error", message: long };
    const step = wide.stages[1]?.steps[0];
    if (step) step.error = { name: "E", message: `${long}\n${long}` };
    const lines = renderReport(wide).split("\n");
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(100);
    expect(lines.some((l) => l.endsWith("…"))).toBe(true);
  });
});

describe("runs table", () => {
  it("lists runs with status, reason, creation time and duration", () => {
    const running = runRecord({
      id: "run-2",
      status: "running",
      reason: null,
      error: null,
      finishedAt: null,
    });
    const lines = renderRuns([running, runRecord()], running.createdAt + 5000)
      .trimEnd()
      .split("\n");
    expect(lines[0]).toMatch(/^ID\s+WORKFLOW\s+STATUS\s+REASON\s+CREATED\s+DURATION$/);
    expect(lines[1]).toMatch(/^run-2\s+release\s+▸ running\s+2024-01-15 14:23:15\s+5s…$/);
    expect(lines[2]).toMatch(
      /^00000001\s+release\s+✖ failed\s+retries_exhausted\s+2024-01-15 14:23:15\s+12\.3s$/,
    );
    expect(renderRuns([], 0)).toBe("no runs\n");
  });
});
