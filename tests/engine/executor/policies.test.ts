import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../../src/engine/events.js";
import { setup, types } from "./harness.js";

const retried = (events: EngineEvent[]) =>
  events.flatMap((e) => (e.type === "step.retrying" ? [e.payload.delayMs] : []));

describe("engine: retries, timeouts, fail-fast and collect-all", () => {
  it("retries a failing step with exponential backoff and succeeds on the third attempt", async () => {
    const h = setup();
    const plan = h.plan(`
name: flaky
stages:
  - id: s
    steps:
      - id: a
        task: { fail: 2 }
        retry: { max_attempts: 3, backoff: exponential, base_delay: 1s, max_delay: 30s, jitter: none }
`);
    const { runId, done } = await h.engine.start(plan);
    expect((await done).status).toBe("succeeded");
    expect(h.calls).toEqual(["a#1", "a#2", "a#3"]);
    expect(retried(h.events)).toEqual([1000, 2000]);
    const attempts = await h.journal.listAttempts(runId);
    expect(attempts.map((a) => [a.attempt, a.status, a.decision])).toEqual([
      [1, "failed", "retry in 1s"],
      [2, "failed", "retry in 2s"],
      [3, "succeeded", null],
    ]);
    const report = await h.engine.report(runId);
    expect(report.stages[0]?.steps[0]?.attempts).toBe(3);
  });

  it("gives up after max_attempts with reason retries_exhausted and the last error", async () => {
    const h = setup();
    const plan = h.plan(`
name: broken
stages:
  - id: s
    steps:
      - id: a
        task: { fail: 99, error: "boom" }
        retry: { max_attempts: 2, base_delay: 10ms, jitter: none }
`);
    const { done } = await h.engine.start(plan);
    const result = await done;
    expect(result).toMatchObject({ status: "failed", reason: "retries_exhausted" });
    expect(result.error?.message).toBe("boom");
    expect(h.count("a")).toBe(2);
  });

  it("times a step out with reason timed_out (built-in patterns off)", async () => {
    const h = setup({ defaultPatterns: false });
    const plan = h.plan(`
name: slow
stages: [{ id: s, steps: [{ id: a, task: { sleep: 5000 }, timeout: 1s }] }]
`);
    const { done } = await h.engine.start(plan);
    expect(await done).toMatchObject({ status: "failed", reason: "timed_out" });
    expect(h.count("a")).toBe(1);
  });

  it("retries a timed-out step by the built-in timeout pattern", async () => {
    const h = setup();
    const plan = h.plan(`
name: slow
stages: [{ id: s, steps: [{ id: a, task: { sleep: 5000 }, timeout: 1s }] }]
`);
    const { done } = await h.engine.start(plan);
    expect(await done).toMatchObject({ status: "failed", reason: "retries_exhausted" });
    expect(h.count("a")).toBe(3);
    const decided = h.events.flatMap((e) => (e.type === "recovery.decided" ? [e.payload.patternId] : []));
    expect(decided).toEqual(["timeout", "timeout", "timeout"]);
  });

  it("fail-fast: the first failure aborts running siblings; queued ones never start", async () => {
    const h = setup();
    const plan = h.plan(`
name: ff
stages:
  - id: s
    mode: parallel
    concurrency: 2
    fail_fast: true
    steps:
      - { id: bad, task: { fail: 1, sleep: 10 } }
      - { id: slow, task: { sleep: 1000 } }
      - { id: queued, task: {} }
`);
    const { runId, done } = await h.engine.start(plan);
    expect(await done).toMatchObject({ status: "failed", reason: "handler_error" });
    expect(h.calls).toEqual(["bad#1", "slow#1"]);
    const report = await h.engine.report(runId);
    const byId = Object.fromEntries(report.stages[0]!.steps.map((s) => [s.id, [s.status, s.reason]]));
    expect(byId).toEqual({
      bad: ["failed", "handler_error"],
      slow: ["cancelled", "sibling_failed"],
      queued: ["pending", null],
    });
  });

  it("collect-all: siblings finish, and every failure is reported", async () => {
    const h = setup();
    const plan = h.plan(`
name: ca
stages:
  - id: s
    mode: parallel
    fail_fast: false
    steps:
      - { id: bad1, task: { fail: 1 } }
      - { id: bad2, task: { fail: 1, sleep: 20 } }
      - { id: good, task: { sleep: 50 } }
`);
    const { done } = await h.engine.start(plan);
    expect((await done).status).toBe("failed");
    const failedEvent = h.events.find((e) => e.type === "run.failed");
    expect(failedEvent?.type === "run.failed" && failedEvent.payload.failedSteps.sort()).toEqual([
      "bad1",
      "bad2",
    ]);
    expect(types(h.events, "step.succeeded")).toHaveLength(1);
  });

  it("runs higher priority first when the stage is saturated", async () => {
    const h = setup();
    const plan = h.plan(`
name: prio
stages:
  - id: s
    mode: parallel
    concurrency: 1
    steps:
      - { id: low, task: {}, priority: 1 }
      - { id: high, task: {}, priority: 10 }
      - { id: mid, task: {}, priority: 5 }
`);
    const { done } = await h.engine.start(plan);
    await done;
    expect(h.calls).toEqual(["high#1", "mid#1", "low#1"]);
  });

  it("continue_on_error lets the run succeed past a failed step", async () => {
    const h = setup();
    const plan = h.plan(`
name: coe
stages:
  - id: s
    steps:
      - { id: notify, task: { fail: 9 }, continue_on_error: true }
      - { id: after, task: {} }
`);
    const { runId, done } = await h.engine.start(plan);
    expect((await done).status).toBe("succeeded");
    const cps = await h.journal.listCheckpoints(runId);
    expect(cps.map((c) => [c.stepId, c.status, c.reason])).toEqual([
      ["notify", "failed", "continued_on_error"],
      ["after", "succeeded", "succeeded"],
    ]);
  });

  it("warns at warn_after and aborts the stage at its timeout", async () => {
    const h = setup();
    const plan = h.plan(`
name: st
stages:
  - id: s
    mode: parallel
    timeout: 10s
    warn_after: 4s
    steps:
      - { id: quick, task: { sleep: 1000 } }
      - { id: stuck, task: { sleep: 60000 }, timeout: 5m }
`);
    const { done } = await h.engine.start(plan);
    expect(await done).toMatchObject({ status: "failed", reason: "stage_timed_out" });
    const warning = h.events.find((e) => e.type === "stage.warning");
    expect(warning?.payload).toMatchObject({ stageId: "s", elapsedMs: 4000, warnAfterMs: 4000 });
    const timedOut = h.events.find((e) => e.type === "stage.timed_out");
    expect(timedOut?.payload).toMatchObject({ stageId: "s", unfinished: ["stuck"] });
  });
});

describe("engine: circuit breaker per dependency", () => {
  it("opens after 5 consecutive failures, refuses calls fast, and persists its state", async () => {
    const h = setup({ breaker: { failureThreshold: 5, resetTimeoutMs: 60_000 } });
    const plan = h.plan(`
name: cb
stages:
  - id: s
    steps:
      - id: call
        task: { fail: 99, dep: mirror }
        retry: { max_attempts: 8, base_delay: 10ms, max_delay: 10ms, jitter: none }
`);
    const { done } = await h.engine.start(plan);
    const result = await done;
    expect(result).toMatchObject({ status: "failed", reason: "retries_exhausted" });
    // Five real calls opened the circuit; the remaining attempts were refused without a call.
    expect(h.count("call")).toBe(5);
    expect(types(h.events, "breaker.")).toEqual(["breaker.opened"]);
    const saved = await h.journal.loadBreakers();
    expect(saved.mirror).toMatchObject({ state: "open", consecutiveFailures: 5 });

    // A new process restores the open breaker: its first call is refused too.
    const again = h.restart();
    const second = await again.engine.start(
      again.plan(`
name: cb2
stages: [{ id: s, steps: [{ id: call2, task: { dep: mirror } }] }]
`),
    );
    expect(await second.done).toMatchObject({ status: "failed", reason: "circuit_open" });
    expect(again.count("call2")).toBe(0);
  });
});
