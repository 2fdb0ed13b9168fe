import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../../src/engine/events.js";
import { setup, types } from "./harness.js";

const decisions = (events: EngineEvent[]) =>
  events.flatMap((e) =>
    e.type === "recovery.decided" ? [[e.payload.stepId, e.payload.patternId, e.payload.strategy]] : [],
  );

describe("recovery: strategies chosen by error patterns", () => {
  it("the highest-priority matching pattern decides; ties go by order", async () => {
    const h = setup();
    const plan = h.plan(`
name: prio
recovery:
  - { id: low, match: "mirror", type: network, strategy: fail, priority: 1 }
  - { id: first, match: "down", type: network, strategy: retry, max_attempts: 2, base_delay: 1s, priority: 50 }
  - { id: second, match: "mirror", type: network, strategy: fail, priority: 50 }
stages:
  - id: s
    steps: [{ id: a, task: { fail: 1, error: "mirror down" } }]
`);
    const { done } = await h.engine.start(plan);
    expect((await done).status).toBe("succeeded");
    expect(decisions(h.events)).toEqual([["a", "first", "retry"]]);
  });

  it("retry: its own attempts and delays, and Retry-After from the error wins", async () => {
    const h = setup();
    const plan = h.plan(`
name: rl
recovery:
  - { id: limited, match: "status=429", type: rate_limit, strategy: retry, max_attempts: 4, base_delay: 1s }
stages:
  - id: s
    steps: [{ id: a, task: { fail: 3, error: "slow down", status: 429 } }]
`);
    const { done } = await h.engine.start(plan);
    expect((await done).status).toBe("succeeded");
    expect(h.count("a")).toBe(4);
    const delays = h.events.flatMap((e) => (e.type === "step.retrying" ? [e.payload.delayMs] : []));
    // Rate limits never retry sooner than the base delay.
    expect(delays.every((d) => d >= 1000)).toBe(true);

    const again = h.restart();
    again.engine.register("limited", {
      async execute() {
        throw Object.assign(new Error("Too Many Requests"), { status: 429, headers: { "retry-after": "7" } });
      },
    });
    const withHeader = again.plan(`
name: rl2
recovery:
  - { id: limited, match: "status=429", type: rate_limit, strategy: retry, max_attempts: 2, base_delay: 1s }
stages: [{ id: s, steps: [{ id: b, limited: {} }] }]
`);
    const second = await again.engine.start(withHeader);
    expect((await second.done).reason).toBe("retries_exhausted");
    const retry = again.events.find((e) => e.type === "step.retrying");
    expect(retry?.type === "step.retrying" && retry.payload.delayMs).toBe(7000);
  });

  it("alternative: tries the alternatives in order until one succeeds", async () => {
    const h = setup();
    h.engine.register("model", {
      async execute(ctx) {
        const model = String(ctx.with.model);
        if (model !== "claude") throw new Error(`Model ${model} unavailable`);
        return { model };
      },
    });
    const plan = h.plan(`
name: alt
recovery:
  - id: models
    match: "Model .* unavailable"
    type: ai_service
    strategy: alternative
    alternatives:
      - with: { model: gpt }
      - with: { model: claude }
stages:
  - id: s
    steps: [{ id: gen, model: {}, with: { model: gemini } }]
`);
    const { runId, done } = await h.engine.start(plan);
    expect((await done).status).toBe("succeeded");
    const report = await h.engine.report(runId);
    expect(report.stages[0]?.steps[0]?.outputs).toEqual({ model: "claude" });
    expect(report.stages[0]?.steps[0]?.attempts).toBe(3);
    expect(decisions(h.events)).toEqual([
      ["gen", "models", "alternative"],
      ["gen", "models", "alternative"],
    ]);
    expect(types(h.events, "recovery.succeeded")).toHaveLength(1);
  });

  it("alternative: another step's definition runs in the failed step's place", async () => {
    const h = setup();
    const plan = h.plan(`
name: alt2
recovery:
  - { id: fallback, match: "primary broke", type: network, strategy: alternative, alternatives: [{ step: backup }] }
stages:
  - id: s
    steps:
      - { id: main, task: { fail: 9, error: "primary broke" } }
  - id: spare
    if: \${{ false }}
    steps:
      - { id: backup, task: { out: { from: backup } } }
`);
    const { runId, done } = await h.engine.start(plan);
    expect((await done).status).toBe("succeeded");
    const cps = await h.journal.listCheckpoints(runId);
    expect(cps.find((c) => c.stepId === "main")?.outputs).toMatchObject({ from: "backup" });
  });

  it("degrade: skips the listed optional steps and the run ends degraded", async () => {
    const h = setup();
    const plan = h.plan(`
name: deg
recovery:
  - { id: docs_slow, match: "docs.*timed out", type: timeout, strategy: degrade, skip: [docs, pdf] }
stages:
  - id: build
    mode: parallel
    steps:
      - { id: app, task: {} }
      - { id: docs, task: { fail: 9, error: "docs build timed out" }, optional: true }
  - id: extras
    steps: [{ id: pdf, task: {}, optional: true }, { id: ship, task: {} }]
`);
    const { runId, done } = await h.engine.start(plan);
    expect(await done).toMatchObject({ status: "degraded", reason: "degraded" });
    expect(h.count("pdf")).toBe(0);
    expect(h.count("ship")).toBe(1);
    const cps = Object.fromEntries((await h.journal.listCheckpoints(runId)).map((c) => [c.stepId, c.reason]));
    expect(cps).toMatchObject({ app: "succeeded", docs: "degraded", pdf: "degraded", ship: "succeeded" });
    const degraded = h.events.find((e) => e.type === "run.degraded");
    expect(degraded?.type === "run.degraded" && degraded.payload.skipped.sort()).toEqual(["docs", "pdf"]);
  });

  it("escalate: parks the run waiting with the context a person needs; resume continues it", async () => {
    const h = setup();
    const plan = h.plan(`
name: esc
inputs: { version: { type: string, default: "1.0" } }
recovery:
  - { id: security, match: "security check failed", type: security, strategy: escalate, severity: critical, notify: pagerduty }
stages:
  - id: s
    steps:
      - { id: scan, task: { fail: 1, error: "security check failed: CVE-2026-1" } }
      - { id: publish, task: {} }
`);
    const { runId, done } = await h.engine.start(plan);
    expect(await done).toMatchObject({ status: "waiting", reason: "escalated" });
    expect(h.count("publish")).toBe(0);
    const escalated = h.events.find((e) => e.type === "run.escalated");
    expect(escalated?.payload).toMatchObject({
      stepId: "scan",
      patternId: "security",
      severity: "critical",
      notify: "pagerduty",
      error: { message: "security check failed: CVE-2026-1" },
      context: { workflow: "esc", inputs: { version: "1.0" }, attempts: 1, errorType: "security" },
    });
    // Facts only: the engine renders no command line; hosts say how to resume.
    expect(JSON.stringify(escalated?.payload)).not.toMatch(/stageflow|resume/);
    expect((await h.journal.getRun(runId))?.status).toBe("waiting");
    // Not picked up by resumeAll: a waiting run needs a person.
    expect(await h.engine.resumeAll()).toEqual([]);

    const resumed = await h.engine.resume(runId);
    expect(await resumed.done).toMatchObject({ status: "succeeded" });
    expect(h.count("scan")).toBe(2);
    expect(h.count("publish")).toBe(1);
  });

  it("fail: stops at once without retrying, even when the step would retry", async () => {
    const h = setup();
    const plan = h.plan(`
name: nope
recovery:
  - { id: config, match: "bad config", type: configuration, strategy: fail }
stages:
  - id: s
    steps: [{ id: a, task: { fail: 9, error: "bad config key" }, retry: { max_attempts: 5 } }]
`);
    const { done } = await h.engine.start(plan);
    expect((await done).status).toBe("failed");
    expect(h.count("a")).toBe(1);
    expect(types(h.events, "recovery.failed")).toHaveLength(1);
  });

  it("an error no pattern matches follows the step's own retry policy", async () => {
    const h = setup();
    const plan = h.plan(`
name: own
recovery:
  - { id: other, match: "something else", type: network, strategy: fail }
stages:
  - id: s
    steps: [{ id: a, task: { fail: 2, error: "odd" }, retry: { max_attempts: 3, base_delay: 1s, jitter: none } }]
`);
    const { done } = await h.engine.start(plan);
    expect((await done).status).toBe("succeeded");
    expect(decisions(h.events)).toEqual([
      ["a", null, "step_retry"],
      ["a", null, "step_retry"],
    ]);
  });
});

describe("recovery: the retry budget of a dependency", () => {
  it("refuses retries beyond the budget: the step waits (wait) or parks the run (escalate)", async () => {
    const h = setup({
      retryBudget: { ratio: 0, minRetries: 1, windowMs: 10_000 },
      breaker: { failureThreshold: 99 },
    });
    const plan = h.plan(`
name: budget
recovery:
  - { id: flaky, match: "flaky", type: network, strategy: retry, max_attempts: 5, base_delay: 100ms, max_delay: 100ms }
stages:
  - id: s
    steps: [{ id: a, task: { fail: 3, error: "flaky", dep: mirror } }]
`);
    const { done } = await h.engine.start(plan);
    expect((await done).status).toBe("succeeded");
    const refused = h.events.filter((e) => e.type === "recovery.budget_refused");
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.payload).toMatchObject({ dependency: "mirror", action: "wait" });

    const strict = h.restart();
    const escalating = strict.plan(`
name: budget2
recovery:
  - { id: flaky, match: "flaky", type: network, strategy: retry, max_attempts: 5, on_budget_exhausted: escalate }
stages:
  - id: s
    steps: [{ id: b, task: { fail: 3, error: "flaky", dep: mirror2 } }]
`);
    const second = await strict.engine.start(escalating);
    expect(await second.done).toMatchObject({ status: "waiting", reason: "escalated" });
  });
});

describe("recovery: stage timeouts and their on_timeout actions", () => {
  const stage = (actions: string, optional = false) => `
name: st
defaults: { retry: { max_attempts: 1 } }
stages:
  - id: s
    mode: parallel
    timeout: 10s
    on_timeout: ${actions}
    steps:
      - { id: quick, task: {} }
      - { id: slow, task: { sleep: 15000 }, timeout: 1h, optional: ${optional} }
`;

  it("retry runs the unfinished steps again; the next timeout takes the next action", async () => {
    const h = setup({ defaultPatterns: false });
    const { done } = await h.engine.start(h.plan(stage("[retry, fail]")));
    expect(await done).toMatchObject({ status: "failed", reason: "stage_timed_out" });
    expect(h.count("quick")).toBe(1);
    expect(h.count("slow")).toBe(2);
    const actions = h.events.flatMap((e) => (e.type === "stage.timed_out" ? [e.payload.action] : []));
    expect(actions).toEqual(["retry", "fail"]);
  });

  it("degrade skips unfinished optional steps and the run ends degraded", async () => {
    const h = setup({ defaultPatterns: false });
    const { runId, done } = await h.engine.start(h.plan(stage("[degrade]", true)));
    expect(await done).toMatchObject({ status: "degraded" });
    const slow = (await h.journal.listCheckpoints(runId)).find((c) => c.stepId === "slow");
    expect(slow).toMatchObject({ status: "skipped", reason: "degraded" });
  });

  it("escalate parks the run; resume runs the unfinished steps", async () => {
    const h = setup({ defaultPatterns: false });
    const { runId, done } = await h.engine.start(h.plan(stage("[escalate]")));
    expect(await done).toMatchObject({ status: "waiting", reason: "escalated" });
    expect(types(h.events, "run.escalated")).toHaveLength(1);
    expect(h.events.find((e) => e.type === "run.escalated")?.payload).toEqual({
      stageId: "s",
      stepId: null,
      patternId: null,
      severity: "error",
      error: expect.objectContaining({ message: "stage 's' timed out after 10s" }),
      context: { workflow: "st", unfinished: ["slow"] },
    });
    expect(h.count("quick")).toBe(1);
    // The person fixed what was slow; resuming runs only the unfinished step (and times out again here).
    const resumed = await h.engine.resume(runId);
    expect((await resumed.done).status).toBe("waiting");
    expect(h.count("quick")).toBe(1);
    expect(h.count("slow")).toBe(2);
  });
});
