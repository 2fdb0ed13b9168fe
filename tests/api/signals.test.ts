import {
  type Engine,
  EngineClosedError,
  isRefused,
  parseWorkflow,
  type StepContext,
  type WorkflowPlan,
} from "stageflow";
import { describe, expect, it } from "vitest";
import { engineOn, nextEvent, T0 } from "./helpers.js";

const HOUR = 3_600_000;

function plan(engine: Engine, stages: string): WorkflowPlan {
  return parseWorkflow(`name: gate\nstages:\n${stages}`, { file: "gate.yml", kinds: engine.kinds });
}

/** A kind that keeps what it was given, so a test sees what reached the next step. */
function recording(engine: Engine): Array<Record<string, unknown>> {
  const seen: Array<Record<string, unknown>> = [];
  engine.register("record", async (ctx: StepContext) => {
    seen.push(ctx.with);
    return {};
  });
  return seen;
}

const APPROVAL = `  - id: gate
    steps: [{ id: approve, signal: approval }]
  - id: ship
    steps: [{ id: ship, record: {}, with: { ok: "\${{ steps.approve.outputs.payload.ok }}", by: "\${{ steps.approve.outputs.sender }}" } }]
`;

describe("durable signals", () => {
  it("a signal sent after the step waits reaches it: the run parks, wakes and goes on", async () => {
    const { engine, journal } = engineOn();
    const seen = recording(engine);
    const parked = nextEvent(engine, "run.parked");
    const handle = await engine.start(plan(engine, APPROVAL));
    expect((await parked).payload).toEqual({ wakeAt: null, signals: ["approval"] });
    // Parked: out of this process (its handle settled, its lease released), waiting in the journal.
    expect(await handle.done).toMatchObject({ status: "waiting", reason: "parked" });
    expect(await journal.getRun(handle.runId)).toMatchObject({
      status: "waiting",
      reason: "parked",
      leaseOwner: null,
    });
    expect(seen).toEqual([]);
    const whileParked = await engine.report(handle.runId);
    expect(whileParked.state).toBe("waiting");
    expect(whileParked.stages[0]).toMatchObject({ status: "waiting", reason: "parked" });

    const woken = nextEvent(engine, "run.woken", handle.runId);
    const succeeded = nextEvent(engine, "run.succeeded", handle.runId);
    const receipt = await engine.signal(handle.runId, "approval", { ok: true }, { sender: "octocat" });
    expect(receipt).toMatchObject({ runId: handle.runId, name: "approval", at: T0 });
    expect((await woken).payload).toEqual({ by: "signal" });
    await succeeded;
    expect(seen).toEqual([{ ok: true, by: "octocat" }]);
    const report = await engine.report(handle.runId);
    expect(report.stages[0]?.steps[0]).toMatchObject({
      status: "succeeded",
      outputs: { payload: { ok: true }, sender: "octocat", at: T0 },
    });
  });

  it("a signal sent before the step waits is not lost; a 1h wait parks and wakes when the clock passes it", async () => {
    const { engine, journal, clock } = engineOn();
    const seen = recording(engine);
    const parked = nextEvent(engine, "run.parked");
    const handle = await engine.start(
      plan(engine, `  - id: pause\n    steps: [{ id: pause, wait: 1h }]\n${APPROVAL}`),
    );
    expect((await parked).payload).toEqual({ wakeAt: T0 + HOUR, signals: [] });
    expect(await handle.done).toMatchObject({ status: "waiting", reason: "parked" });

    // The run waits for its timer, not for this signal: it is journaled and the run sleeps on.
    await engine.signal(handle.runId, "approval", { ok: "early" });
    await clock.advance(HOUR - 1);
    expect((await journal.getRun(handle.runId))?.status).toBe("waiting");
    expect(seen).toEqual([]);

    const woken = nextEvent(engine, "run.woken", handle.runId);
    const succeeded = nextEvent(engine, "run.succeeded", handle.runId);
    await clock.advance(1);
    expect((await woken).payload).toEqual({ by: "timer" });
    await succeeded;
    expect(seen).toEqual([{ ok: "early", by: null }]);
    const signals = await journal.listSignals(handle.runId);
    expect(signals.map((s) => [s.name, s.consumedBy])).toEqual([["approval", "approve"]]);
  });

  it("each signal is taken by one step, the oldest first", async () => {
    const { engine } = engineOn();
    const seen = recording(engine);
    const handle = await engine.start(
      plan(
        engine,
        `  - id: one\n    steps: [{ id: first, signal: go }]\n  - id: two\n    steps: [{ id: second, signal: go }]\n` +
          `  - id: three\n    steps: [{ id: r, record: {}, with: { a: "\${{ steps.first.outputs.payload }}", b: "\${{ steps.second.outputs.payload }}" } }]\n`,
      ),
    );
    const succeeded = nextEvent(engine, "run.succeeded", handle.runId);
    await engine.signal(handle.runId, "go", 1);
    await engine.signal(handle.runId, "go", 2);
    await succeeded;
    expect(seen).toEqual([{ a: 1, b: 2 }]);
  });

  it("refuses a signal to an unknown run, a finished run, and a name no step waits for", async () => {
    const { engine } = engineOn();
    recording(engine);
    const code = (p: Promise<unknown>) =>
      p.then(
        () => "accepted",
        (e: unknown) => (isRefused(e) ? e.code : String(e)),
      );
    expect(await code(engine.signal("nope", "approval"))).toBe("run_not_found");

    const parked = nextEvent(engine, "run.parked");
    const waiting = await engine.start(plan(engine, APPROVAL));
    await parked;
    expect(await code(engine.signal(waiting.runId, "deploy"))).toBe("signal_unknown");

    const done = await engine.start(plan(engine, `  - id: s\n    steps: [{ id: r, record: {} }]\n`));
    expect((await done.done).status).toBe("succeeded");
    expect(await code(engine.signal(done.runId, "approval"))).toBe("run_finished");

    // A name given by an expression: the definition cannot tell, the signal is accepted.
    const dynamic = await engine.start(
      parseWorkflow(
        `name: dyn\ninputs: { gate: { type: string } }\nstages:\n  - id: s\n    steps: [{ id: g, signal: "\${{ inputs.gate }}" }]\n`,
        { file: "dyn.yml", kinds: engine.kinds },
      ),
      { inputs: { gate: "go" } },
    );
    expect(await code(engine.signal(dynamic.runId, "anything"))).toBe("accepted");
  });

  it("a signal step times out at its journaled deadline: the attempt fails timed_out", async () => {
    const { engine, clock } = engineOn();
    const parked = nextEvent(engine, "run.parked");
    const handle = await engine.start(
      plan(engine, `  - id: gate\n    steps: [{ id: approve, signal: { name: approval, timeout: 2h } }]\n`),
    );
    expect((await parked).payload).toEqual({ wakeAt: T0 + 2 * HOUR, signals: ["approval"] });
    const failed = nextEvent(engine, "run.failed", handle.runId);
    await clock.advance(2 * HOUR);
    expect((await failed).payload.reason).toBe("timed_out");
    const report = await engine.report(handle.runId);
    expect(report.stages[0]?.steps[0]).toMatchObject({ status: "failed", reason: "timed_out" });
  });

  it("validates a signal step's config when the workflow is parsed", () => {
    const { engine } = engineOn();
    expect(() =>
      plan(engine, `  - id: g\n    steps: [{ id: a, signal: { name: approval, timeout: soon } }]\n`),
    ).toThrow(/signal.timeout: must be a duration/);
    expect(() => plan(engine, `  - id: g\n    steps: [{ id: a, signal: "not a name" }]\n`)).toThrow(
      /must be a signal name/,
    );
    expect(() => plan(engine, `  - id: g\n    steps: [{ id: a, signal: { name: x, after: 1s } }]\n`)).toThrow(
      /unknown key/,
    );
  });
});

describe("parked runs", () => {
  it("a step waiting next to a working one waits in memory, then the run parks", async () => {
    const { engine, journal, clock } = engineOn();
    let release!: () => void;
    const working = new Promise<void>((r) => (release = r));
    engine.register("work", async () => {
      await working;
      return { done: true };
    });
    const events: string[] = [];
    engine.on((e) => events.push(e.type));
    const parked = nextEvent(engine, "run.parked");
    const handle = await engine.start(
      plan(
        engine,
        `  - id: both\n    mode: parallel\n    steps: [{ id: pause, wait: 1h }, { id: job, work: {} }]\n`,
      ),
    );
    await clock.advance(0);
    expect(events).not.toContain("run.parked");
    expect((await journal.getRun(handle.runId))?.status).toBe("running");
    release();
    expect((await parked).payload.wakeAt).toBe(T0 + HOUR);
    const succeeded = nextEvent(engine, "run.succeeded", handle.runId);
    await clock.advance(HOUR);
    await succeeded;
    const steps = (await engine.report(handle.runId)).stages[0]?.steps ?? [];
    expect(steps.map((s) => [s.id, s.status])).toEqual([
      ["pause", "succeeded"],
      ["job", "succeeded"],
    ]);
  });

  it("one scheduler wakes many parked runs in the order of their deadlines", async () => {
    const { engine, clock } = engineOn();
    const order: string[] = [];
    engine.on((e) => {
      if (e.type === "run.succeeded") order.push(e.runId);
    });
    const ids: Record<string, string> = {};
    for (const wait of ["3h", "1h", "2h"]) {
      const parked = nextEvent(engine, "run.parked");
      ids[wait] = (
        await engine.start(plan(engine, `  - id: s\n    steps: [{ id: pause, wait: ${wait} }]\n`))
      ).runId;
      await parked;
    }
    for (let hour = 1; hour <= 3; hour++) {
      const succeeded = nextEvent(engine, "run.succeeded");
      await clock.advance(HOUR);
      await succeeded;
      expect(order).toHaveLength(hour);
    }
    expect(order).toEqual([ids["1h"], ids["2h"], ids["3h"]]);
  });

  it("a stage that parks leaves its queued steps unstarted; they run after the wake", async () => {
    const { engine, clock } = engineOn();
    const seen = recording(engine);
    const parked = nextEvent(engine, "run.parked");
    const handle = await engine.start(
      plan(
        engine,
        `  - id: s\n    mode: parallel\n    concurrency: 1\n    steps: [{ id: pause, wait: 1h }, { id: r, record: {}, with: { n: 1 } }]\n`,
      ),
    );
    expect((await parked).payload.wakeAt).toBe(T0 + HOUR);
    expect(seen).toEqual([]);
    const succeeded = nextEvent(engine, "run.succeeded", handle.runId);
    await clock.advance(HOUR);
    await succeeded;
    expect(seen).toEqual([{ n: 1 }]);
  });

  it("an escalated run waits for a person: the scheduler never wakes it", async () => {
    const { engine, journal } = engineOn();
    engine.register("flaky", async () => {
      throw new Error("boom");
    });
    const handle = await engine.start(
      parseWorkflow(
        `name: esc\nstages:\n  - id: s\n    steps: [{ id: f, flaky: {} }]\nrecovery:\n  - { id: ask, match: boom, type: validation, strategy: escalate }\n`,
        { file: "esc.yml", kinds: engine.kinds },
      ),
    );
    expect(await handle.done).toMatchObject({ status: "waiting", reason: "escalated" });
    expect(await engine.wake()).toBe(0);
    expect(await journal.listParked()).toEqual([]);
  });
});

describe("close", () => {
  it("interrupt stops running steps, leaves the run resumable with no lease, and refuses calls after", async () => {
    const { engine, journal } = engineOn();
    engine.register(
      "forever",
      (ctx: StepContext) =>
        new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))),
    );
    const started = nextEvent(engine, "step.started");
    const handle = await engine.start(plan(engine, `  - id: s\n    steps: [{ id: f, forever: {} }]\n`));
    await started;
    await engine.close({ mode: "interrupt" });
    expect(await handle.done).toMatchObject({ status: "running", reason: "interrupted" });
    expect(await journal.getRun(handle.runId)).toMatchObject({ status: "running", leaseOwner: null });
    await expect(
      engine.start(plan(engine, `  - id: s\n    steps: [{ id: f, forever: {} }]\n`)),
    ).rejects.toBeInstanceOf(EngineClosedError);
    await expect(engine.signal(handle.runId, "x")).rejects.toBeInstanceOf(EngineClosedError);
  });

  it("drain lets a running step finish, starts nothing new, parks the waiting step; a new engine wakes it", async () => {
    const { engine, journal, clock } = engineOn();
    let release!: () => void;
    const working = new Promise<void>((r) => (release = r));
    engine.register("work", async () => {
      await working;
      return {};
    });
    const ran: string[] = [];
    engine.register("later", async (ctx: StepContext) => {
      ran.push(ctx.stepId);
      return {};
    });
    const started = nextEvent(engine, "step.started");
    // parkAfterMs would keep a 1s wait in memory; draining parks it anyway.
    const handle = await engine.start(
      plan(
        engine,
        `  - id: both\n    mode: parallel\n    steps: [{ id: pause, wait: 1s }, { id: job, work: {} }]\n  - id: after\n    steps: [{ id: next, later: {} }]\n`,
      ),
    );
    await started;
    const closing = engine.close({ mode: "drain", deadlineMs: 60_000 });
    release();
    await closing;
    expect(await handle.done).toMatchObject({ status: "waiting", reason: "parked" });
    expect(await journal.getRun(handle.runId)).toMatchObject({ status: "waiting", leaseOwner: null });
    expect(ran).toEqual([]);
    const job = (await engine.report(handle.runId)).stages[0]?.steps.find((s) => s.id === "job");
    expect(job?.status).toBe("succeeded");

    const second = engineOn({ journal, clock });
    second.engine.register("work", async () => ({}));
    second.engine.register("later", async (ctx: StepContext) => {
      ran.push(ctx.stepId);
      return {};
    });
    const succeeded = nextEvent(second.engine, "run.succeeded", handle.runId);
    expect(await second.engine.wake()).toBe(1);
    await clock.advance(1_000);
    await succeeded;
    expect(ran).toEqual(["next"]);
  });

  it("drain interrupts what still runs at its deadline", async () => {
    const { engine, journal, clock } = engineOn();
    engine.register(
      "forever",
      (ctx: StepContext) =>
        new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))),
    );
    const started = nextEvent(engine, "step.started");
    const handle = await engine.start(plan(engine, `  - id: s\n    steps: [{ id: f, forever: {} }]\n`));
    await started;
    const closing = engine.close({ mode: "drain", deadlineMs: 5_000 });
    await clock.advance(5_000);
    await closing;
    expect(await handle.done).toMatchObject({ status: "running", reason: "interrupted" });
    expect(await journal.getRun(handle.runId)).toMatchObject({ status: "running", leaseOwner: null });
  });
});
