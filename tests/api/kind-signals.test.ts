import { type Engine, isRefused, parseWorkflow, type StepHandler, type WorkflowPlan } from "stageflow";
import { describe, expect, it } from "vitest";
import { engineOn, nextEvent } from "./helpers.js";

function plan(engine: Engine, stages: string): WorkflowPlan {
  return parseWorkflow(`name: custom\nstages:\n${stages}`, { file: "custom.yml", kinds: engine.kinds });
}

/** A custom kind that waits for `go:<stepId>` and declares it through `signals`. */
const gate: StepHandler = {
  waits: true,
  signals: (_config, stepId) => [`go:${stepId}`],
  async execute(ctx) {
    const got = await ctx.waitFor({ signal: `go:${ctx.stepId}` });
    return { payload: got?.payload };
  },
};

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isRefused(error) ? error.code : String(error);
  }
}

describe("signals declared by a kind", () => {
  it("engine.signal accepts the names a kind declares, refuses others, and the parked run wakes", async () => {
    const { engine } = engineOn();
    engine.register("gate", gate);
    const parked = nextEvent(engine, "run.parked");
    const handle = await engine.start(plan(engine, `  - id: a\n    steps: [{ id: e2e, gate: {} }]\n`));
    expect((await parked).payload).toEqual({ wakeAt: null, signals: ["go:e2e"] });
    expect(await handle.done).toMatchObject({ status: "waiting", reason: "parked" });

    expect(await code(engine.signal(handle.runId, "go:other"))).toBe("signal_unknown");
    const succeeded = nextEvent(engine, "run.succeeded", handle.runId);
    await engine.signal(handle.runId, "go:e2e", { n: 1 });
    await succeeded;
    const report = await engine.report(handle.runId);
    expect(report.stages[0]?.steps[0]).toMatchObject({ status: "succeeded", outputs: { payload: { n: 1 } } });
  });

  it("a kind without signals declares none; one returning undefined lets any name through", async () => {
    const { engine } = engineOn();
    engine.register("gate", gate);
    engine.register("open", { ...gate, signals: () => undefined });
    const quiet = await engine.start(plan(engine, `  - id: a\n    steps: [{ id: s, wait: 2h }]\n`));
    await quiet.done;
    expect(await code(engine.signal(quiet.runId, "go:s"))).toBe("signal_unknown");
    const open = await engine.start(plan(engine, `  - id: a\n    steps: [{ id: o, open: {} }]\n`));
    await open.done;
    expect(await code(engine.signal(open.runId, "anything"))).toBeUndefined();
  });
});
