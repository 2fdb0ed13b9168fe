import { type Engine, InputError, parseWorkflow, type StepContext, type WorkflowPlan } from "stageflow";
import { describe, expect, it } from "vitest";
import { engineOn } from "./helpers.js";

function plan(engine: Engine, stages: string): WorkflowPlan {
  return parseWorkflow(`name: skippy\nstages:\n${stages}`, { file: "skippy.yml", kinds: engine.kinds });
}

const STAGES = `  - id: build
    steps:
      - { id: compile, ok: {} }
      - { id: flaky, flaky: {} }
  - id: ship
    steps: [{ id: ship, record: {}, with: { outcome: "\${{ steps.flaky.outcome }}", outputs: "\${{ steps.flaky.outputs }}" } }]
`;

/** `ok` succeeds; `flaky` always fails (counting its calls); `record` keeps its `with`. */
function kinds(engine: Engine) {
  const calls = { ok: 0, flaky: 0 };
  const seen: Array<Record<string, unknown>> = [];
  engine.register("ok", async () => {
    calls.ok++;
    return { x: "ok" };
  });
  engine.register("flaky", async () => {
    calls.flaky++;
    throw new Error("flaky broke");
  });
  engine.register("record", async (ctx: StepContext) => {
    seen.push(ctx.with);
    return {};
  });
  return { calls, seen };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

describe("resume with skip", () => {
  it("records the skipped step, never runs it, gives later steps no outputs of it and ends degraded", async () => {
    const { engine, journal } = engineOn();
    const { calls, seen } = kinds(engine);
    const first = await engine.start(plan(engine, STAGES));
    expect(await first.done).toMatchObject({ status: "failed" });
    expect(calls).toEqual({ ok: 1, flaky: 1 });

    const resumed = await engine.resume(first.runId, { skip: ["flaky"] });
    expect(await resumed.done).toMatchObject({ status: "degraded", reason: "degraded" });
    expect(calls).toEqual({ ok: 1, flaky: 1 }); // neither the skipped nor the succeeded step ran again
    expect(seen).toEqual([{ outcome: "skipped", outputs: {} }]);

    const checkpoints = await journal.listCheckpoints(first.runId);
    expect(checkpoints.find((c) => c.stepId === "flaky")).toMatchObject({
      status: "skipped",
      reason: "skipped_by_user",
      outputs: {},
    });
    const events = await journal.listEvents(first.runId);
    expect(events.find((e) => e.type === "step.skipped")?.payload).toMatchObject({
      stepId: "flaky",
      reason: "skipped_by_user",
    });
    expect(events.find((e) => e.type === "run.degraded")?.payload).toMatchObject({ skipped: ["flaky"] });
    const report = await engine.report(first.runId);
    expect(report.state).toBe("degraded");
    expect(report.stages[0]?.steps.find((s) => s.id === "flaky")).toMatchObject({
      status: "skipped",
      reason: "skipped_by_user",
    });
  });

  it("refuses an unknown step id and an already-succeeded step, naming it, and records nothing", async () => {
    const { engine, journal } = engineOn();
    const { calls } = kinds(engine);
    const first = await engine.start(plan(engine, STAGES));
    await first.done;
    const before = await journal.listEvents(first.runId);

    const unknown = await rejection(engine.resume(first.runId, { skip: ["nope"] }));
    expect(unknown).toBeInstanceOf(InputError);
    expect((unknown as Error).message).toContain("'nope'");

    const succeeded = await rejection(engine.resume(first.runId, { skip: ["compile"] }));
    expect(succeeded).toBeInstanceOf(InputError);
    expect((succeeded as Error).message).toMatch(/'compile'.*already ended \(succeeded/);

    expect(await journal.listEvents(first.runId)).toHaveLength(before.length);
    expect((await journal.getRun(first.runId))?.status).toBe("failed");
    expect(calls.flaky).toBe(1);
    // The lease was released: a plain resume goes ahead (and fails again).
    const again = await engine.resume(first.runId);
    expect(await again.done).toMatchObject({ status: "failed" });
    expect(calls.flaky).toBe(2);
  });

  it("a later step that reads an output of the skipped step finds none (unknown_output)", async () => {
    const { engine } = engineOn();
    kinds(engine);
    const reading = STAGES.replace(
      'outcome: "${{ steps.flaky.outcome }}"',
      'x: "${{ steps.flaky.outputs.x }}"',
    );
    const first = await engine.start(plan(engine, reading));
    await first.done;
    const resumed = await engine.resume(first.runId, { skip: ["flaky"] });
    const result = await resumed.done;
    expect(result).toMatchObject({ status: "failed", reason: "unknown_output" });
    expect(result.error?.message).toContain("step 'flaky' has no output 'x' (it has none)");
  });

  it("refuses to skip a step of a run that is not failed or blocked", async () => {
    const { engine } = engineOn();
    kinds(engine);
    const handle = await engine.start(
      plan(engine, `  - id: gate\n    steps: [{ id: gate, signal: go }]\n${STAGES}`),
    );
    expect(await handle.done).toMatchObject({ status: "waiting", reason: "parked" });
    const error = await rejection(engine.resume(handle.runId, { skip: ["flaky"] }));
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/waiting: only the steps of a failed or blocked run/);
  });
});
