import { describe, expect, it } from "vitest";
import { sha256 } from "../../../src/engine/canonical.js";
import type { CrashPoint } from "../../../src/engine/engine-api.js";
import { InputError } from "../../../src/engine/errors.js";
import { MemoryJournal } from "../../../src/store/memory/journal.js";
import { crashable, setup } from "./harness.js";

const WORKFLOW = `
name: resumable
stages:
  - id: first
    steps: [{ id: a, task: { out: { v: 1 } } }]
  - id: middle
    mode: parallel
    steps:
      - { id: b, task: { sleep: 10 } }
      - { id: c, task: { sleep: 20 } }
      - { id: d, task: { sleep: 30 } }
  - id: last
    steps: [{ id: e, task: { out: { got: "\${{ steps.a.outputs.v }}" } } }]
`;

/** Runs until the hook at `point` fires for `stepId`, then freezes there like a killed process. */
async function crashAt(point: CrashPoint, stepId: string) {
  const journal = new MemoryJournal();
  const dying = crashable(journal);
  let frozen: (() => void) | undefined;
  const reached = new Promise<void>((r) => {
    frozen = r;
  });
  const dead = setup({
    journal: dying.journal,
    hooks: {
      [point]: (info: { stepId?: string; stageId: string }) => {
        if ((info.stepId ?? info.stageId) !== stepId) return;
        dying.crash();
        frozen?.();
        return new Promise<void>(() => {});
      },
    },
  });
  const { runId } = await dead.engine.start(dead.plan(WORKFLOW));
  await reached;

  return { dead, runId, journal };
}

describe("engine: resume after a crash", () => {
  it.each([
    ["before-step", "c"],
    ["after-step-before-commit", "c"],
    ["after-commit", "c"],
    ["after-stage", "middle"],
  ] as const)("resumes from %s of %s without re-running succeeded steps", async (point, where) => {
    const { dead, runId, journal } = await crashAt(point, where);
    const succeededBefore = (await journal.listCheckpoints(runId)).map((c) => c.stepId);
    const before = new Map(succeededBefore.map((id) => [id, dead.count(id)]));

    const next = dead.restart({ isOwnerAlive: () => false });
    const { done } = await next.engine.resume(runId);
    expect(await done).toMatchObject({ status: "succeeded" });
    for (const [id, n] of before) expect(dead.count(id), `step ${id} ran again`).toBe(n);
    for (const id of ["a", "b", "c", "d", "e"])
      expect(dead.count(id), `step ${id} never ran`).toBeGreaterThan(0);
    const report = await next.engine.report(runId);
    expect(report.stages.at(-1)?.steps[0]?.outputs).toMatchObject({ got: 1 });
    const events = await next.journal.listEvents(runId);
    expect(events.some((e) => e.type === "run.resumed")).toBe(true);
  });

  it("refuses to resume a run whose owner is alive and holds the lease", async () => {
    const { dead, runId } = await crashAt("before-step", "b");
    const next = dead.restart({ isOwnerAlive: () => true });
    await expect(next.engine.resume(runId)).rejects.toThrow(/is being executed by/);
  });

  it("resumeAll picks up runs whose lease expired", async () => {
    const { dead, runId } = await crashAt("after-commit", "b");
    await dead.clock.advance(60_000);
    const next = dead.restart();
    const handles = await next.engine.resumeAll();
    expect(handles.map((h) => h.runId)).toEqual([runId]);
    expect(await handles[0]?.done).toMatchObject({ status: "succeeded" });
  });

  it("blocks, and runs nothing, when the definition changed under the run", async () => {
    const { dead, runId } = await crashAt("after-commit", "b");
    const next = dead.restart({ isOwnerAlive: () => false });
    const changed = next.plan(WORKFLOW.replace("sleep: 30", "sleep: 31"));
    const calls = dead.calls.length;
    const { done } = await next.engine.resume(runId, { plan: changed });
    const result = await done;
    expect(result).toMatchObject({ status: "blocked", reason: "definition_changed" });
    expect(result.error?.message).toMatch(/changed since run/);
    expect(dead.calls.length).toBe(calls);
    expect((await next.journal.getRun(runId))?.status).toBe("blocked");
  });

  it("blocks on a corrupted checkpoint and names the step", async () => {
    const { dead, runId, journal } = await crashAt("after-commit", "b");
    const cps = await journal.listCheckpoints(runId);
    const a = cps.find((c) => c.stepId === "a")!;
    // Tamper with the stored outputs, keeping the old checksum.
    await journal.putCheckpoint({ ...a, outputs: { v: 666 } }, []);
    const next = dead.restart({ isOwnerAlive: () => false });
    const result = await (await next.engine.resume(runId)).done;
    expect(result).toMatchObject({ status: "blocked", reason: "checkpoint_corrupt" });
    expect(result.error?.message).toContain("step 'a'");
  });

  it("blocks on a step whose identity no longer matches its checkpoint", async () => {
    const { dead, runId, journal } = await crashAt("after-commit", "b");
    const a = (await journal.listCheckpoints(runId)).find((c) => c.stepId === "a")!;
    const identity = sha256("something else");
    const { checkpointChecksum } = await import("../../../src/engine/canonical.js");
    await journal.putCheckpoint({ ...a, identity, checksum: checkpointChecksum({ ...a, identity }) }, []);
    const next = dead.restart({ isOwnerAlive: () => false });
    const result = await (await next.engine.resume(runId)).done;
    expect(result).toMatchObject({ status: "blocked", reason: "determinism_error" });
  });

  it("says clearly when the run is unknown or already finished", async () => {
    const h = setup();
    await expect(h.engine.resume("nope")).rejects.toBeInstanceOf(InputError);
    const { runId, done } = await h.engine.start(h.plan(WORKFLOW));
    await done;
    await expect(h.engine.resume(runId)).rejects.toThrow(/already finished \(succeeded\)/);
  });
});
