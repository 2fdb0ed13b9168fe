import { describe, expect, it } from "vitest";
import type { EngineEvent, EventRecord } from "../../src/engine/events.js";
import { createMetrics } from "../../src/observe/metrics.js";
import { WORKFLOW_BUCKETS_MS } from "../../src/observe/metric-set.js";
import { setup } from "../engine/executor/harness.js";
import { parseExposition } from "../support/prom-text.js";

/** A retried download (2 failures recovered by the `mirror` pattern), 3 parallel 100 ms steps, an upload. */
const KNOWN = `
name: known
stages:
  - id: fetch
    steps:
      - id: download
        task: { fail: 2, error: "mirror unavailable" }
  - id: build
    mode: parallel
    steps:
      - { id: a, task: { sleep: 100 } }
      - { id: b, task: { sleep: 100 } }
      - { id: c, task: { sleep: 100 } }
  - id: ship
    steps:
      - { id: upload, task: {} }
recovery:
  - { id: mirror, match: mirror unavailable, type: network, strategy: retry, max_attempts: 3, base_delay: 10ms }
`;

/** Fails for good: its pattern says `fail`. */
const BROKEN = `
name: broken
stages:
  - id: deploy
    steps:
      - id: push
        task: { fail: 9, error: "license expired" }
recovery:
  - { id: license, match: license expired, type: configuration, strategy: fail }
`;

async function recorded() {
  const h = setup();
  const metrics = createMetrics({ defaultMetrics: false });
  const feed = metrics.follow(h.engine, h.journal);
  for (const yaml of [KNOWN, BROKEN]) await (await h.engine.start(h.plan(yaml))).done;
  await feed.idle();
  return { h, metrics, feed };
}

describe("metrics from the engine's events", () => {
  it("counts a known workflow's runs, attempts, recovery and durations under the seed's names", async () => {
    const { h, metrics } = await recorded();
    const text = await metrics.text();
    const x = parseExposition(text);
    const succeeded = h.events.find((e) => e.type === "run.succeeded");
    const runMs = succeeded?.type === "run.succeeded" ? succeeded.payload.durationMs : NaN;

    expect(x.types.get("workflow_duration_ms")).toBe("histogram");
    const known = { workflow: "known", status: "succeeded" };
    expect(x.value("workflow_duration_ms_count", known)).toBe(1);
    expect(x.value("workflow_duration_ms_sum", known)).toBe(runMs);
    expect(x.find("workflow_duration_ms_bucket", known).map((s) => s.labels.le)).toEqual([
      ...WORKFLOW_BUCKETS_MS.map(String),
      "+Inf",
    ]);
    expect(x.value("workflow_duration_ms_bucket", { ...known, le: "+Inf" })).toBe(1);

    expect(x.value("error_recovery_attempts_total", { strategy: "retry", error_type: "network" })).toBe(2);
    expect(x.value("error_recovery_success_total", { strategy: "retry" })).toBe(1);
    expect(x.value("error_recovery_duration_ms_count", { strategy: "retry" })).toBe(1);
    expect(x.value("error_recovery_attempts_total", { strategy: "fail", error_type: "configuration" })).toBe(
      1,
    );
    expect(x.value("error_recovery_failures_total", { strategy: "fail" })).toBe(1);

    expect(x.value("stageflow_runs_started_total", { workflow: "known" })).toBe(1);
    expect(x.value("stageflow_runs_finished_total", known)).toBe(1);
    expect(x.value("stageflow_runs_finished_total", { workflow: "broken", status: "failed" })).toBe(1);
    for (const state of ["running", "waiting", "blocked", "interrupted"])
      expect(x.value("stageflow_runs_active", { state })).toBe(0);

    // download: 2 failed + 1 succeeded; a, b, c, upload: 1 each; push: 1 failed.
    expect(x.value("stageflow_step_attempts_total", { kind: "task", outcome: "succeeded" })).toBe(5);
    expect(x.value("stageflow_step_attempts_total", { kind: "task", outcome: "failed" })).toBe(3);
    // The parallel steps' attempts took 100 ms on the fake clock, the others none.
    const ok = { kind: "task", outcome: "succeeded" };
    expect(x.types.get("stageflow_step_attempt_duration_ms")).toBe("histogram");
    expect(x.value("stageflow_step_attempt_duration_ms_count", ok)).toBe(5);
    expect(x.value("stageflow_step_attempt_duration_ms_bucket", { ...ok, le: "50" })).toBe(2);
    expect(x.value("stageflow_step_attempt_duration_ms_bucket", { ...ok, le: "100" })).toBe(5);
    expect(x.value("stageflow_step_attempt_duration_ms_bucket", { ...ok, le: "+Inf" })).toBe(5);
    expect(x.value("stageflow_step_attempt_duration_ms_sum", ok)).toBe(300);
    expect(x.value("stageflow_steps_total", { kind: "task", outcome: "succeeded" })).toBe(5);
    expect(x.value("stageflow_steps_total", { kind: "task", outcome: "failed" })).toBe(1);

    // Three 100 ms steps side by side on the fake clock: three times the work of the span.
    expect(x.value("workflow_speedup_factor")).toBeCloseTo(3, 1);
    // Registered, nothing counted yet (the app feeds them).
    expect(x.types.get("template_cache_hits_total")).toBe("counter");
    expect(x.types.get("template_cache_misses_total")).toBe("counter");
  });

  it("replaying the journal into a fresh registry gives the same exposition", async () => {
    const { h, metrics } = await recorded();
    const fresh = createMetrics({ defaultMetrics: false });
    const last = await fresh.replay(h.journal, { pageSize: 7 });
    expect(last).toBe(await h.journal.lastEventSeq());
    expect(await fresh.text()).toBe(await metrics.text());
  });

  it("counts each attempt once, and times a failed one from its step.started in journals whose events carry no duration", async () => {
    const { h } = await recorded();
    // As a journal written before recovery.decided and step.failed carried durationMs: those
    // fields gone, and every attempt started 25 ms before it ended.
    const events = (await h.journal.listEventsAfter(0)).map((e) => {
      const payload = { ...(e.payload as Record<string, unknown>) };
      if (e.type === "recovery.decided" || e.type === "step.failed") delete payload.durationMs;
      return { ...e, payload, at: e.type === "step.started" ? e.at - 25 : e.at } as EventRecord;
    });
    const old = createMetrics({ defaultMetrics: false });
    await old.replay({
      listEventsAfter: async (after) => events.filter((e) => e.seq > after),
      getRun: (id) => h.journal.getRun(id),
    });
    const x = parseExposition(await old.text());
    const failed = { kind: "task", outcome: "failed" };
    expect(x.value("stageflow_step_attempts_total", failed)).toBe(3); // recovery.decided, then step.failed: once
    expect(x.value("stageflow_step_attempt_duration_ms_count", failed)).toBe(3);
    expect(x.value("stageflow_step_attempt_duration_ms_sum", failed)).toBe(75);
  });

  it("learns the step kinds of a run it did not see start from the journal", async () => {
    const h = setup();
    await (
      await h.engine.start(h.plan(KNOWN))
    ).done;
    const metrics = createMetrics({ defaultMetrics: false, runs: h.journal });
    for (const e of h.events.filter((e) => e.type !== "run.started")) await metrics.observe(e);
    const x = parseExposition(await metrics.text());
    expect(x.value("stageflow_steps_total", { kind: "task", outcome: "succeeded" })).toBe(5);
    expect(x.value("stageflow_runs_finished_total", { workflow: "known", status: "succeeded" })).toBe(1);
  });
});

/** A synthetic event (what `engine.on` delivers). */
let seq = 0;
const ev = (runId: string, type: string, payload: object): EngineEvent =>
  ({ runId, correlationId: runId, type, at: 1_000 + seq, seq: ++seq, payload }) as unknown as EngineEvent;

describe("metrics from synthetic events", () => {
  it("tracks circuit breakers per dependency and retry-budget refusals", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const dep = "installation:7/api.github.com";
    await metrics.observe(ev("r1", "breaker.opened", { dependency: dep, failures: 5, openUntil: 9 }));
    await metrics.observe(
      ev("r1", "recovery.budget_refused", { stageId: "s", stepId: "a", dependency: dep, action: "wait" }),
    );
    let x = parseExposition(await metrics.text());
    expect(x.value("stageflow_circuit_breaker_state", { dependency: dep })).toBe(2);
    expect(x.value("stageflow_retry_budget_refusals_total", { dependency: dep, action: "wait" })).toBe(1);
    await metrics.observe(ev("r1", "breaker.half_opened", { dependency: dep }));
    await metrics.observe(ev("r1", "breaker.closed", { dependency: dep }));
    x = parseExposition(await metrics.text());
    expect(x.value("stageflow_circuit_breaker_state", { dependency: dep })).toBe(0);
    for (const state of ["open", "half_open", "closed"])
      expect(x.value("stageflow_circuit_breaker_transitions_total", { dependency: dep, state })).toBe(1);
  });

  it("keeps label cardinality bounded: 500 workflow names give at most 100 values and `other`", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    for (let i = 0; i < 500; i++) {
      const runId = `run-${i}`;
      await metrics.observe(
        ev(runId, "run.started", { workflow: `wf-${i}`, inputs: {}, trigger: { kind: "cli" } }),
      );
      await metrics.observe(ev(runId, "run.succeeded", { durationMs: 10 }));
    }
    // Free text is never a label value: control characters and overlong names are `other` too.
    await metrics.observe(
      ev("bad", "run.started", { workflow: "a\nb", inputs: {}, trigger: { kind: "cli" } }),
    );
    await metrics.observe(
      ev("long", "run.started", { workflow: "x".repeat(101), inputs: {}, trigger: { kind: "cli" } }),
    );
    const x = parseExposition(await metrics.text());
    const workflows = new Set(x.find("stageflow_runs_finished_total").map((s) => s.labels.workflow));
    expect(workflows.size).toBe(101);
    expect(workflows.has("other")).toBe(true);
    expect(x.value("stageflow_runs_finished_total", { workflow: "other", status: "succeeded" })).toBe(400);
    expect(x.value("stageflow_runs_started_total", { workflow: "other" })).toBe(402);
    expect(new Set(x.find("workflow_duration_ms_count").map((s) => s.labels.workflow)).size).toBe(101);
    // No run id anywhere.
    expect(x.samples.some((s) => Object.values(s.labels).some((v) => v.startsWith("run-")))).toBe(false);
  });

  it("bounds dependencies, installations and webhook events by their own limits", async () => {
    const metrics = createMetrics({
      defaultMetrics: false,
      labels: { dependencies: 2, installations: 2, events: 2 },
    });
    for (let i = 0; i < 5; i++) {
      await metrics.observe(ev("r", "breaker.opened", { dependency: `dep-${i}`, failures: 5, openUntil: 0 }));
      metrics.githubCall(i, 200, 4999 - i);
      metrics.webhookReceived(`event_${i}`, "recorded");
    }
    metrics.githubCall(undefined, "error");
    const x = parseExposition(await metrics.text());
    const values = (name: string, key: string) =>
      x
        .find(name)
        .map((s) => s.labels[key])
        .sort();
    expect(values("stageflow_circuit_breaker_state", "dependency")).toEqual(["dep-0", "dep-1", "other"]);
    expect(values("stageflow_github_api_calls_total", "installation")).toEqual(["0", "1", "app", "other"]);
    expect(x.value("stageflow_github_api_calls_total", { installation: "other", status: "200" })).toBe(3);
    expect(x.value("stageflow_github_api_calls_total", { installation: "app", status: "error" })).toBe(1);
    expect(x.value("stageflow_github_rate_limit_remaining", { installation: "1" })).toBe(4998);
    expect(values("stageflow_webhook_deliveries_received_total", "event")).toEqual([
      "event_0",
      "event_1",
      "other",
    ]);
  });

  it("reads the inbox and the template cache at each scrape", async () => {
    let now = 10_000;
    const metrics = createMetrics({ defaultMetrics: false, clock: { now: () => now } });
    metrics.setInboxSource(() => ({ pending: 3, oldestPendingAt: 7_500, retrying: 1 }));
    let stats = { hits: 5, misses: 2 };
    metrics.setTemplateCacheSource(() => stats);
    let x = parseExposition(await metrics.text());
    expect(x.value("stageflow_inbox_pending")).toBe(3);
    expect(x.value("stageflow_inbox_lag_ms")).toBe(2_500);
    expect(x.value("stageflow_inbox_retrying")).toBe(1);
    expect(x.value("template_cache_hits_total")).toBe(5);
    expect(x.value("template_cache_misses_total")).toBe(2);
    now = 11_000;
    stats = { hits: 9, misses: 2 };
    x = parseExposition(await metrics.text());
    expect(x.value("stageflow_inbox_lag_ms")).toBe(3_500);
    expect(x.value("template_cache_hits_total")).toBe(9);
    expect(x.value("template_cache_misses_total")).toBe(2);
  });

  it("has the process's default metrics on its own registry, not the global one", async () => {
    const { register } = await import("prom-client");
    const before = (await register.getMetricsAsJSON()).length;
    const metrics = createMetrics();
    const x = parseExposition(await metrics.text());
    expect(x.value("process_resident_memory_bytes")).toBeGreaterThan(0);
    expect((await register.getMetricsAsJSON()).length).toBe(before);
  });
});
