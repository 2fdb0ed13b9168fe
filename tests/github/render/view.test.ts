import { type RunReport } from "stageflow";
import { formatDuration, runView } from "stageflow/render";
import { describe, expect, it } from "vitest";
import { DEFAULT_SECRET, failedRelease, RELEASE, SECRET, waitingGate } from "./fixtures.js";

/** The 1-based line of the first line of `text` that contains `needle`. */
const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("runView: the view model of a real run", () => {
  it("a failed run: conclusion, stages, attempts, recovery, the annotation at the step's line", async () => {
    const { report, plan, clock } = await failedRelease();
    const view = runView(report, { now: clock.now(), plan, runUrl: "https://example.com/run/1" });

    expect(view).toMatchObject({
      runId: report.run.id,
      workflow: "release",
      description: "Build and ship",
      status: "failed",
      checkStatus: "completed",
      conclusion: "failure",
      emoji: "❌",
      finished: true,
      trigger: { kind: "command", actor: "octocat", detail: "/stageflow run release" },
      actor: "octocat",
      runUrl: "https://example.com/run/1",
      grade: expect.objectContaining({ letter: expect.stringMatching(/^[A-F]$/) }),
      actions: ["retry"],
    });
    expect(view.stages.map((s) => [s.id, s.status])).toEqual([
      ["build", "succeeded"],
      ["ship", "failed"],
    ]);
    const [compile, deps] = view.stages[0]!.steps;
    // compile failed twice and succeeded on its third attempt (the step's retry policy).
    expect(compile).toMatchObject({
      status: "succeeded",
      attempts: 3,
      attemptsText: "3 (2 retry)",
      kind: "flaky",
    });
    expect(compile!.recovery).toBe("recovered by retry after 3 attempts");
    // deps: mirror a refused, the mirror_down pattern tried the alternative.
    expect(deps).toMatchObject({ attempts: 2, attemptsText: "2 (1 alternative)" });
    expect(deps!.recovery).toBe("recovered by alternative (pattern mirror_down) after 2 attempts");
    expect(view.recovery.map((r) => [r.stepId, r.strategies, r.pattern, r.outcome, r.attempts])).toEqual([
      ["compile", "retry", null, "recovered", 3],
      ["deps", "alternative", "mirror_down", "recovered", 2],
      ["upload", "gave up", null, "failed", 1],
    ]);
    expect(view.recovery[1]!.error).toBe("connect ECONNREFUSED mirror-a.example.com:443");
    // The retries' delays (700ms each) took build past its warn_after of 1s.
    expect(view.stages[0]!.durationMs).toBe(1400);
    expect(view.stages[0]!.duration).toBe("1.4s");
    expect(view.warnings).toEqual([
      expect.objectContaining({ stageId: "build", active: false, elapsed: "1.4s", warnAfter: "1s" }),
    ]);

    const line = lineOf(RELEASE, "- id: upload");
    expect(line).toBeGreaterThan(1);
    expect(view.failedSteps).toEqual([
      expect.objectContaining({
        stepId: "upload",
        stageId: "ship",
        line,
        location: `.github/stageflow/release.yml:${line}`,
      }),
    ]);
    expect(view.annotations).toEqual([
      {
        path: ".github/stageflow/release.yml",
        start_line: line,
        end_line: line,
        annotation_level: "failure",
        title: "step upload failed",
        message: expect.stringContaining("upload rejected: token *** expired"),
      },
    ]);
  });

  it("secret inputs are masked, given or defaulted, and the host's mask applies to every text", async () => {
    const failed = await failedRelease();
    const view = runView(failed.report, {
      now: failed.clock.now(),
      plan: failed.plan,
      mask: (text) => text.replaceAll("octocat", "[user]"),
    });
    expect(view.inputs).toEqual([
      { name: "version", value: "1.0", secret: false },
      { name: "token", value: "***", secret: true },
    ]);
    expect(JSON.stringify(view)).not.toContain(SECRET);
    expect(view.failedSteps[0]!.error).toContain("token *** expired");
    expect(view.actor).toBe("[user]");

    const gate = await waitingGate();
    // The engine records a defaulted secret input as it is (it is part of the definition).
    expect(gate.report.run.inputs.api_key).toBe(DEFAULT_SECRET);
    const gateView = runView(gate.report, { now: gate.clock.now() });
    expect(gateView.inputs).toEqual([{ name: "api_key", value: "***", secret: true }]);
    expect(JSON.stringify(gateView)).not.toContain(DEFAULT_SECRET);
  });

  it("a run waiting at an approval step is action_required, with the warning of a stage past warn_after", async () => {
    const { report, plan, clock } = await waitingGate();
    expect(report.state).toBe("waiting");
    const soon = runView(report, { now: clock.now() + 60_000, plan });
    expect(soon).toMatchObject({
      status: "waiting",
      checkStatus: "completed",
      conclusion: "action_required",
      emoji: "✋",
      finished: false,
      waiting: { stageId: "gate", stepId: "approve", kind: "approval", approval: true },
      actions: ["approve", "cancel"],
      warnings: [],
    });
    expect(soon.stages[1]).toMatchObject({ id: "gate", status: "waiting", warnAfter: "10m", warning: null });

    // An hour later the gate stage (warn_after 10m) still waits: the warning shows while it runs.
    const late = runView(report, { now: clock.now() + 3_600_000, plan });
    expect(late.warnings).toEqual([
      {
        stageId: "gate",
        active: true,
        elapsed: "1h",
        warnAfter: "10m",
        message: "stage gate has run for 1h, past its warn_after of 10m",
      },
    ]);
    expect(late.stages[1]!.warning).toBe("stage gate has run for 1h, past its warn_after of 10m");

    // Without the plan, the kinds and warn_after come from the run's recorded definition.
    const noPlan = runView(report, { now: clock.now() + 3_600_000 });
    expect(noPlan.conclusion).toBe("action_required");
    expect(noPlan.warnings.map((w) => w.stageId)).toEqual(["gate"]);
    expect(noPlan.annotations).toEqual([]);
  });

  it("maps each run state to the check run's status and conclusion", async () => {
    const { report, plan, clock } = await failedRelease();
    const as = (state: RunReport["state"]) => {
      const v = runView({ ...report, state }, { now: clock.now(), plan });
      return [v.checkStatus, v.conclusion];
    };
    expect(as("succeeded")).toEqual(["completed", "success"]);
    expect(as("degraded")).toEqual(["completed", "neutral"]);
    expect(as("failed")).toEqual(["completed", "failure"]);
    expect(as("cancelled")).toEqual(["completed", "cancelled"]);
    expect(as("running")).toEqual(["in_progress", null]);
    expect(as("blocked")).toEqual(["in_progress", null]);
    expect(as("interrupted")).toEqual(["in_progress", null]);
  });

  it("formats durations as people read them", () => {
    expect([0, 850, 1200, 1400, 9_940, 42_000, 184_000, 3_600_000, 7_500_000].map(formatDuration)).toEqual([
      "0ms",
      "850ms",
      "1.2s",
      "1.4s",
      "9.9s",
      "42s",
      "3m 4s",
      "1h",
      "2h 5m",
    ]);
    expect(formatDuration(null)).toBe("-");
  });
});
