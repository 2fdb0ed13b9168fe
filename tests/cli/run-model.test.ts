import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { duration } from "../../src/cli/render/format.js";
import { renderHistory } from "../../src/cli/render/history.js";
import { ProgressModel, renderProgress } from "../../src/cli/render/progress-model.js";
import { renderReport, runJson } from "../../src/cli/render/report.js";
import { renderRuns } from "../../src/cli/render/runs.js";
import { parseWorkflow } from "../../src/engine/definition/index.js";
import { createEngine } from "../../src/engine/engine.js";
import type { EngineEvent } from "../../src/engine/events.js";
import type { StepContext } from "../../src/engine/handler.js";
import type { Journal } from "../../src/engine/journal.js";
import { seededRandom } from "../../src/engine/ports.js";
import { skeletonOf } from "../../src/engine/run-model/from-journal.js";
import { FakeClock } from "../../src/engine/testing/fake-clock.js";
import { createSqliteJournal } from "../../src/store/index.js";
import { crashable } from "../engine/executor/harness.js";
import { tempDir } from "../store/temp.js";

/**
 * One run with a retry, an alternative, a degrade, an interruption (the process "dies" while a
 * step runs; another resumes it) and an escalation (resumed by a person). Its live view, `status`,
 * report and history must agree on states, attempts and durations.
 */
const WORKFLOW = `
name: mixed
recovery:
  - { id: mirror_down, match: "mirror-a down", type: network, strategy: alternative, alternatives: [{ with: { mirror: b } }] }
  - { id: security, match: "security check failed", type: security, strategy: escalate, severity: critical }
stages:
  - id: build
    mode: parallel
    steps:
      - { id: flaky, job: { fail: 1, sleep: 200 }, retry: { max_attempts: 3, base_delay: 1s, jitter: none } }
      - { id: deps, job: { sleep: 300 }, with: { mirror: a } }
      - { id: docs, job: { fail: 9, sleep: 100 }, optional: true }
  - id: slow
    steps:
      - { id: long, job: { hang: 1, sleep: 2500 } }
  - id: gate
    steps:
      - { id: scan, job: { fail: 1, error: "security check failed: CVE-1", sleep: 50 } }
`;

interface Job {
  fail?: number;
  hang?: number;
  sleep?: number;
  error?: string;
}

function engineOn(journal: Journal, clock: FakeClock, calls: Map<string, number>, owner: string) {
  const engine = createEngine({
    journal,
    clock,
    owner,
    random: seededRandom(3),
    isOwnerAlive: (o) => o === owner,
  });
  engine.register("job", {
    async execute(ctx: StepContext) {
      const job = ctx.config as Job;
      const n = (calls.get(ctx.stepId) ?? 0) + 1;
      calls.set(ctx.stepId, n);
      if (job.hang !== undefined && n <= job.hang) await new Promise(() => {});
      if (job.sleep) await ctx.clock.sleep(job.sleep, ctx.signal);
      if (ctx.with.mirror === "a") throw new Error("mirror-a down");
      if (job.fail !== undefined && n <= job.fail) throw new Error(job.error ?? `${ctx.stepId} broke`);
      return { n };
    },
  });
  return engine;
}

async function mixedRun() {
  const dir = await tempDir();
  const journal = createSqliteJournal({ path: join(dir, "state.db"), durability: "process" });
  const clock = new FakeClock(Date.UTC(2026, 0, 1), { autoAdvance: true });
  const calls = new Map<string, number>();
  const dying = crashable(journal);
  const first = engineOn(dying.journal, clock, calls, "host/1");
  const plan = parseWorkflow(WORKFLOW, { file: "mixed.yml", kinds: first.kinds });
  const seen: EngineEvent[] = [];
  const longStarted = new Promise<void>((resolve) =>
    first.on((e) => {
      seen.push(e);
      if (e.type === "step.started" && e.payload.stepId === "long") resolve();
    }),
  );
  const { runId } = await first.start(plan);
  await longStarted;
  dying.crash(); // the first process dies while `long` runs

  // A second process resumes it; the security check escalates: the run waits for a person.
  const second = engineOn(journal, clock, calls, "host/2");
  clock.advance(60_000);
  expect(await (await second.resume(runId)).done).toMatchObject({ status: "waiting" });

  // A person resumes it: this last process draws the live view, seeded as `resume` seeds it.
  const third = engineOn(journal, clock, calls, "host/3");
  const live = new ProgressModel();
  third.on((e) => live.apply(e));
  const handle = await third.resume(runId);
  const run = await journal.getRun(runId);
  live.seed(runId, {
    ...skeletonOf(run?.workflow ?? "", run?.definition),
    events: (await journal.listEvents(runId)) as EngineEvent[],
  });
  expect(await handle.done).toMatchObject({ status: "degraded" });
  const report = await third.report(runId);
  const events = await journal.listEvents(runId);
  const record = await journal.getRun(runId);
  await journal.close();
  if (!record) throw new Error("no run");
  return { report, events, record, live, now: clock.now() };
}

describe("one run model: live view, status, report and history agree", () => {
  it("on states, attempts numbered across resumes, and durations", async () => {
    const { report, events, record, live, now } = await mixedRun();
    const steps = Object.fromEntries(report.stages.flatMap((s) => s.steps).map((s) => [s.id, s]));
    expect(Object.values(steps).map((s) => [s.id, s.status, s.reason, s.attempts, s.causes])).toEqual([
      ["flaky", "succeeded", "succeeded", 2, { retry: 1 }],
      ["deps", "succeeded", "succeeded", 2, { alternative: 1 }],
      ["docs", "skipped", "degraded", 1, {}],
      ["long", "succeeded", "succeeded", 2, { interrupted: 1 }],
      ["scan", "succeeded", "succeeded", 2, { resumed: 1 }],
    ]);
    expect(report.state).toBe("degraded");

    const text = renderReport(report);
    const liveLines = renderProgress(live, now);
    const history = renderHistory(record, events);
    const lines = { text: text.split("\n"), live: liveLines, history: history.split("\n") };

    // The report's table rows, e.g. `    ✔ deps  succeeded  2 (1 alternative)  600ms`.
    expect(text).toMatch(/✔ flaky\s+succeeded\s+2 \(1 retry\)\s+\d/);
    expect(text).toMatch(/✔ deps\s+succeeded\s+2 \(1 alternative\)\s+\d/);
    expect(text).toMatch(/↷ docs\s+skipped\s+1\s+\d+ms\s+degraded/);
    expect(text).toMatch(/✔ long\s+succeeded\s+2 \(1 interrupted\)\s+\d/);
    expect(text).toMatch(/✔ scan\s+succeeded\s+2 \(1 resumed\)\s+\d/);
    expect(text).toMatch(/scan\s+escalate\s+security\s+escalated\s+1/);
    expect(text).not.toContain("retried");

    for (const step of Object.values(steps)) {
      const took = step.durationMs === null ? null : duration(step.durationMs);
      const liveLine = liveLines.find((l) => l.trim().split(/\s+/)[1] === step.id) ?? "";
      expect(liveLine, step.id).toContain(` ${step.id}  ${step.status}`);
      if (took) expect(liveLine, step.id).toContain(took);
      if (step.attempts > 1) expect(liveLine, step.id).toContain(`${step.attempts} attempts`);
      // History: the step's last end says the same duration and attempt count.
      const ends = lines.history.filter(
        (l) => l.includes(`/${step.id} `) && /step\.(succeeded|failed)/.test(l),
      );
      const end = ends.at(-1);
      if (step.status === "succeeded") {
        expect(end, step.id).toContain(took ?? "");
        if (step.attempts > 1) expect(end, step.id).toContain(`${step.attempts} attempts`);
      }
    }
    // Stages: the same state and duration in the report and the live view.
    for (const stage of report.stages) {
      const took = duration(stage.durationMs ?? 0);
      expect(text).toMatch(new RegExp(`${stage.id}\\s+${stage.status}\\s+${took.replace(".", "\\.")}`));
      expect(liveLines).toContainEqual(expect.stringContaining(`${stage.id}  ${stage.status}  ${took}`));
    }
    // `status RUN` is the report; `status` lists the run with the same state and duration.
    const listed = renderRuns([record], now);
    expect(listed).toContain(`✔ degraded`);
    expect(listed).toContain(duration(report.durationMs ?? 0));
    expect(runJson(report)).toMatchObject({ status: "degraded", state: "degraded" });

    // Every rendered line fits 100 columns; counts are pluralised.
    for (const [where, all] of Object.entries(lines)) {
      for (const line of all) expect(line.length, `${where}: ${line}`).toBeLessThanOrEqual(100);
    }
    for (const l of [...lines.text, ...lines.history, ...lines.live]) {
      expect(l).not.toMatch(/\b1 (attempts|retries|alternatives|events|finished steps)\b/);
    }
    expect(history).toContain("3 finished steps");
    expect(history).toContain("recovered, degrade, 1 attempt, after");
  });

  it("shows a run whose process died as interrupted, with the step it was running", async () => {
    const dir = await tempDir();
    const journal = createSqliteJournal({ path: join(dir, "state.db"), durability: "process" });
    const clock = new FakeClock(Date.UTC(2026, 0, 1), { autoAdvance: true });
    const calls = new Map<string, number>();
    const dying = crashable(journal);
    const first = engineOn(dying.journal, clock, calls, "host/1");
    const plan = parseWorkflow(WORKFLOW, { file: "mixed.yml", kinds: first.kinds });
    const slowOnly = { ...plan, stages: plan.stages.slice(1, 2) };
    const started = new Promise<void>((resolve) => first.on((e) => e.type === "step.started" && resolve()));
    const { runId } = await first.start(slowOnly);
    await started;
    dying.crash();
    const report = await engineOn(journal, clock, calls, "host/2").report(runId);
    const slow = report.stages.find((s) => s.id === "slow");
    expect([report.state, slow?.status, slow?.steps[0]?.status]).toEqual([
      "interrupted",
      "interrupted",
      "interrupted",
    ]);
    const text = renderReport(report);
    expect(text).toContain("status    ⊘ interrupted");
    expect(text).toContain(`resume with: stageflow resume ${runId}`);
    await journal.close();
  });

  it("shows an escalated step as escalated, not failed", async () => {
    const dir = await tempDir();
    const journal = createSqliteJournal({ path: join(dir, "state.db"), durability: "process" });
    const clock = new FakeClock(Date.UTC(2026, 0, 1), { autoAdvance: true });
    const engine = engineOn(journal, clock, new Map(), "host/1");
    const plan = parseWorkflow(WORKFLOW, { file: "mixed.yml", kinds: engine.kinds });
    const gateOnly = { ...plan, stages: plan.stages.slice(2) };
    const { runId, done } = await engine.start(gateOnly);
    expect(await done).toMatchObject({ status: "waiting" });
    const report = await engine.report(runId);
    const gate = report.stages.find((s) => s.id === "gate");
    const scan = gate?.steps[0];
    expect([gate?.status, scan?.status, scan?.reason]).toEqual(["waiting", "escalated", "escalated"]);
    const text = renderReport(report);
    expect(text).toMatch(/⏸ scan\s+escalated\s+1\s+\d/);
    expect(text).toContain("security check failed: CVE-1");
    expect(text).not.toMatch(/scan\s+failed/);
    // The CLI spells the hint itself from the run id (the engine's events carry no CLI text).
    expect(text).toContain(`resume with: stageflow resume ${runId}`);
    await journal.close();
  });
});
