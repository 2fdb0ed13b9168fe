import { describe, expect, it } from "vitest";
import { InputError } from "../../../src/engine/errors.js";
import type { StepContext } from "../../../src/engine/handler.js";
import { MemoryJournal } from "../../../src/store/memory/journal.js";
import { HANGS, setup, types } from "./harness.js";

const THREE_STAGES = `
name: three
inputs:
  who: { type: string, default: world }
stages:
  - id: one
    steps:
      - id: a
        task: { out: { greeting: "hello" } }
  - id: two
    mode: parallel
    steps:
      - id: b
        task: { sleep: 100 }
      - id: c
        task: { sleep: 50 }
      - id: d
        task: { sleep: 10 }
  - id: three
    steps:
      - id: e
        task: { out: { text: "\${{ steps.a.outputs.greeting }} \${{ inputs.who }}" } }
`;

describe("engine: a run end to end", () => {
  it("runs stages in order, steps of a parallel stage together, and passes outputs on", async () => {
    const h = setup();
    const { runId, done } = await h.engine.start(h.plan(THREE_STAGES), { inputs: { who: "stageflow" } });
    const result = await done;
    expect(result).toMatchObject({ runId, status: "succeeded", reason: "succeeded" });
    // a first; b, c, d all started before any of them finished; e last.
    expect(h.calls).toEqual(["a#1", "b#1", "c#1", "d#1", "e#1"]);
    const report = await h.engine.report(runId);
    expect(report.stages.map((s) => [s.id, s.status])).toEqual([
      ["one", "succeeded"],
      ["two", "succeeded"],
      ["three", "succeeded"],
    ]);
    const e = report.stages[2]?.steps[0];
    expect(e?.outputs).toMatchObject({ text: "hello stageflow" });
    // The parallel stage took as long as its slowest step, not the sum.
    expect(report.stages[1]?.durationMs).toBe(100);
  });

  it("hands each attempt a context with the run, the step, its resolved config and its signal", async () => {
    const h = setup();
    const seen: StepContext[] = [];
    let signal: AbortSignal | undefined;
    let copy: StepContext | undefined;
    h.engine.register("probe", {
      async execute(ctx) {
        seen.push(ctx);
        if (ctx.attempt === 1) throw Object.assign(new Error("flaky"), { code: "ECONNRESET" });
        signal = ctx.signal;
        copy = { ...ctx };
        return { n: ctx.evaluate("inputs.n") };
      },
    });
    const plan = h.plan(`
name: ctx
inputs:
  n: { type: number, default: 41 }
stages:
  - id: s
    steps:
      - id: p
        probe: { where: "\${{ inputs.n }}" }
        with: { n: "\${{ inputs.n }}" }
        env: { N: "\${{ inputs.n }}" }
        retry: { max_attempts: 2, base_delay: 1ms }
`);
    const { runId, done } = await h.engine.start(plan);
    expect(await done).toMatchObject({ status: "succeeded" });
    expect(seen.map((c) => c.attempt)).toEqual([1, 2]);
    expect(seen[1]).toMatchObject({
      runId,
      stageId: "s",
      stepId: "p",
      attempt: 2,
      idempotencyKey: `${runId}/p`,
      config: { where: 41 },
      with: { n: 41 },
      env: { N: "41" },
      inputs: { n: 41 },
    });
    expect(typeof seen[1]?.workDir).toBe("string");
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal?.aborted).toBe(false);
    // A plain object: a spread copy keeps every field, the signal and the methods included.
    expect(copy?.signal).toBe(signal);
    expect(Object.keys(copy ?? {}).sort()).toEqual(Object.keys(seen[1] ?? {}).sort());
    expect(typeof copy?.log).toBe("function");
    expect(typeof copy?.recordProcess).toBe("function");
    expect((await h.journal.listCheckpoints(runId))[0]?.outputs).toEqual({ n: 41 });
  });

  it("records events in order, each durable in the journal", async () => {
    const h = setup();
    const { runId, done } = await h.engine.start(h.plan(THREE_STAGES));
    await done;
    const journaled = (await h.journal.listEvents(runId)).map((e) => e.type);
    expect(journaled[0]).toBe("run.started");
    expect(journaled.at(-1)).toBe("run.succeeded");
    expect(journaled.filter((t) => t === "step.succeeded")).toHaveLength(5);
    expect(types(h.events)).toEqual(journaled);
  });

  it("releases a finished run's lease with its final status; an interrupted run's with a write of its own", async () => {
    const journal = new MemoryJournal();
    const releases: string[] = [];
    const release = journal.releaseLease.bind(journal);
    journal.releaseLease = (runId, owner) => {
      releases.push(runId);
      return release(runId, owner);
    };
    const h = setup({ journal });
    const finished = await h.engine.start(h.plan(THREE_STAGES));
    await finished.done;
    expect(await journal.getRun(finished.runId)).toMatchObject({
      status: "succeeded",
      leaseOwner: null,
      leaseExpiresAt: null,
    });
    expect(releases).toEqual([]);

    const hanging = await h.engine.start(h.plan(HANGS));
    await h.clock.advance(1);
    await h.engine.close();
    expect(await hanging.done).toMatchObject({ status: "running", reason: "interrupted" });
    expect(releases).toEqual([hanging.runId]);
    expect((await journal.getRun(hanging.runId))?.leaseOwner).toBeNull();
  });

  it("rejects a missing required input before recording anything", async () => {
    const h = setup();
    const plan = h.plan(`
name: needs
inputs: { version: { type: string, required: true } }
stages: [{ id: s, steps: [{ id: a, task: {} }] }]
`);
    await expect(h.engine.start(plan)).rejects.toBeInstanceOf(InputError);
    expect(await h.journal.listRuns()).toEqual([]);
  });

  it("skips steps and stages whose condition is false", async () => {
    const h = setup();
    const plan = h.plan(`
name: cond
inputs: { go: { type: boolean, default: false } }
stages:
  - id: s1
    steps:
      - id: a
        if: \${{ inputs.go }}
        task: {}
      - id: b
        task: {}
  - id: s2
    if: \${{ inputs.go }}
    steps: [{ id: c, task: {} }]
`);
    const { runId, done } = await h.engine.start(plan);
    expect((await done).status).toBe("succeeded");
    expect(h.calls).toEqual(["b#1"]);
    const report = await h.engine.report(runId);
    expect(report.stages[0]?.steps.map((s) => s.status)).toEqual(["skipped", "succeeded"]);
    expect(report.stages[1]?.status).toBe("skipped");
  });

  it("fails a step that references an output its producer did not produce, without retrying", async () => {
    const h = setup();
    const plan = h.plan(`
name: refs
defaults: { retry: { max_attempts: 3 } }
stages:
  - id: s1
    steps: [{ id: a, task: { out: { x: 1 } } }]
  - id: s2
    steps: [{ id: b, task: { out: { y: "\${{ steps.a.outputs.nope }}" } } }]
`);
    const { done } = await h.engine.start(plan);
    const result = await done;
    expect(result).toMatchObject({ status: "failed", reason: "unknown_output" });
    expect(result.error?.message).toContain("steps.a.outputs.nope");
    expect(h.count("b")).toBe(0);
  });

  it("cancels a run in flight: running steps are aborted and the run is recorded cancelled", async () => {
    const h = setup();
    const plan = h.plan(`
name: long
stages:
  - id: s
    mode: parallel
    steps: [{ id: a, task: { hang: true } }, { id: b, task: { hang: true } }]
`);
    const { runId, done } = await h.engine.start(plan);
    while (h.count("b") === 0) await new Promise((r) => setImmediate(r));
    await h.engine.cancel(runId);
    expect(await done).toMatchObject({ status: "cancelled", reason: "cancelled" });
    expect((await h.journal.getRun(runId))?.status).toBe("cancelled");
    expect(types(h.events, "step.cancelled")).toHaveLength(2);
  });
});
