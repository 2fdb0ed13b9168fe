import { mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  compileWorkflow,
  createEngine,
  type Engine,
  isRefused,
  type Journal,
  parseWorkflow,
  RefusedError,
  type StepContext,
} from "stageflow";
import { createSqliteJournal } from "stageflow/sqlite";
import { FakeClock, MemoryJournal } from "stageflow/testing";
import { afterEach, describe, expect, it } from "vitest";

const definition = { name: "deploy", stages: [{ id: "build", steps: [{ id: "compile", task: {} }] }] };

function engineOn(journal: Journal): Engine {
  const engine = createEngine({ journal, clock: new FakeClock(Date.UTC(2026, 0, 1), { autoAdvance: true }) });
  engine.register("task", { execute: async (_ctx: StepContext) => ({ ok: true }) });
  return engine;
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a refusal");
    },
    (e: unknown) => e,
  );

describe("typed outcomes of the host API", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it("run_not_found: resume, cancel and report of an unknown run", async () => {
    const engine = engineOn(new MemoryJournal());
    for (const call of [engine.resume("nope"), engine.cancel("nope"), engine.report("nope")]) {
      const e = await refusal(call);
      expect(isRefused(e, "run_not_found")).toBe(true);
      expect(e).toMatchObject({ code: "run_not_found", runId: "nope" });
    }
  });

  it("run_finished: resume and cancel of a finished run", async () => {
    const engine = engineOn(new MemoryJournal());
    const handle = await engine.start(compileWorkflow(definition, { kinds: engine.kinds }));
    expect((await handle.done).status).toBe("succeeded");
    expect(await refusal(engine.resume(handle.runId))).toMatchObject({ code: "run_finished" });
    expect(await refusal(engine.cancel(handle.runId))).toMatchObject({ code: "run_finished" });
  });

  it("definition_invalid: a workflow that does not validate, parsed or compiled", () => {
    const engine = engineOn(new MemoryJournal());
    const compiled = (() => {
      try {
        return compileWorkflow({ name: "x", stages: [] }, { kinds: engine.kinds });
      } catch (e) {
        return e;
      }
    })();
    expect(isRefused(compiled, "definition_invalid")).toBe(true);
    expect(() => parseWorkflow("name: x\nstages: 3\n", { kinds: engine.kinds })).toThrow(RefusedError);
  });

  it("definition_changed: resume with a changed plan ends blocked, the handle's result says why", async () => {
    const journal = new MemoryJournal();
    const engine = createEngine({
      journal,
      clock: new FakeClock(Date.UTC(2026, 0, 1), { autoAdvance: true }),
    });
    let fail = true;
    engine.register("task", {
      execute: async () => {
        if (fail) throw Object.assign(new Error("no"), { status: 400 });
        return {};
      },
    });
    const handle = await engine.start(compileWorkflow(definition, { kinds: engine.kinds }));
    expect((await handle.done).status).toBe("failed");
    fail = false;
    const changed = { ...definition, stages: [{ id: "build", steps: [{ id: "other", task: {} }] }] };
    const resumed = await engine.resume(handle.runId, {
      plan: compileWorkflow(changed, { kinds: engine.kinds }),
    });
    expect(await resumed.done).toMatchObject({ status: "blocked", reason: "definition_changed" });
  });

  it("storage_unavailable: the journal is closed", async () => {
    const journal = new MemoryJournal();
    const engine = engineOn(journal);
    await journal.close();
    const e = await refusal(engine.report("any"));
    expect(isRefused(e, "storage_unavailable")).toBe(true);
    expect(await refusal(engine.start(compileWorkflow(definition, { kinds: engine.kinds })))).toMatchObject({
      code: "storage_unavailable",
    });
  });

  it("storage_corrupt: the SQLite file is damaged", async () => {
    const dir = await mkdtemp(join(tmpdir(), "stageflow-refusals-"));
    dirs.push(dir);
    const path = join(dir, "state.db");
    const first = createSqliteJournal({ path });
    const engine = engineOn(first);
    let runId = "";
    for (let i = 0; i < 20; i++) {
      const handle = await engine.start(compileWorkflow(definition, { kinds: engine.kinds }));
      runId = handle.runId;
      await handle.done;
    }
    await engine.close();
    await first.close();
    const size = (await stat(path)).size;
    const file = await open(path, "r+");
    await file.write(Buffer.alloc(size - 8192, 0x5a), 0, size - 8192, 8192);
    await file.close();
    // Opening may refuse already (the journal's StoreError says storage_corrupt), else the engine does.
    let journal: Journal;
    try {
      journal = createSqliteJournal({ path });
    } catch (e) {
      expect(e).toMatchObject({ reason: "storage_corrupt" });
      return;
    }
    const damaged = engineOn(journal);
    const e = await refusal(damaged.report(runId));
    expect(isRefused(e, "storage_corrupt")).toBe(true);
    await journal.close();
  });
});
