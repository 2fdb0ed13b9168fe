/** Idempotent start in one process: `start(plan, { key })` returns the run that has the key. */
import {
  createEngine,
  type Engine,
  isInputError,
  type Journal,
  parseWorkflow,
  type StepContext,
} from "stageflow";
import { createSqliteJournal } from "stageflow/sqlite";
import { FakeClock, MemoryJournal } from "stageflow/testing";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const WORKFLOW = `
name: deploy
inputs: { ref: { type: string, required: true } }
stages: [{ id: s, steps: [{ id: gate, gate: {} }] }]
`;

/** An engine whose `gate` kind counts its calls and finishes when the test opens the gate. */
function host(journal: Journal = new MemoryJournal(), owner = "host-1") {
  const engine = createEngine({ journal, clock: new FakeClock(), owner });
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const calls: string[] = [];
  engine.register("gate", async (ctx: StepContext) => {
    calls.push(ctx.runId);
    await opened;
    return {};
  });
  const plan = parseWorkflow(WORKFLOW, { file: "deploy.yml", kinds: engine.kinds });
  return { engine, journal, plan, calls, open };
}

const inputs = { ref: "main" };

describe("idempotent start", () => {
  it("a second start with the same key returns the first run: one run recorded, its steps run once", async () => {
    const { engine, journal, plan, calls, open } = host();
    const first = await engine.start(plan, { key: "delivery-1", inputs });
    const second = await engine.start(plan, { key: "delivery-1", inputs: { ref: "other" } });
    expect(first.existing).toBe(false);
    expect(second).toMatchObject({ runId: first.runId, existing: true });
    open();
    // The run executes here: the second handle's `done` is the run's own.
    expect(await second.done).toEqual(await first.done);
    expect(await first.done).toMatchObject({ status: "succeeded" });
    expect(calls).toEqual([first.runId]);
    expect((await journal.listRuns()).map((r) => [r.id, r.key, r.inputs])).toEqual([
      [first.runId, "delivery-1", { ref: "main" }],
    ]);
    // Once it finished: the recorded state at once.
    const third = await engine.start(plan, { key: "delivery-1", inputs });
    expect(third).toMatchObject({ runId: first.runId, existing: true });
    expect(await third.done).toEqual({ runId: first.runId, status: "succeeded", reason: "succeeded" });
    // Another key is another run.
    const other = await engine.start(plan, { key: "delivery-2", inputs });
    expect(other).toMatchObject({ existing: false });
    expect(other.runId).not.toBe(first.runId);
    await other.done;
    await engine.close();
  });

  it("starts of one key at once in one process record one run", async () => {
    const { engine, journal, plan, calls, open } = host();
    const handles = await Promise.all([1, 2, 3].map(() => engine.start(plan, { key: "k", inputs })));
    open();
    await Promise.all(handles.map((h) => h.done));
    expect(new Set(handles.map((h) => h.runId)).size).toBe(1);
    expect(handles.map((h) => h.existing)).toEqual([false, true, true]);
    expect(await journal.listRuns()).toHaveLength(1);
    expect(calls).toHaveLength(1);
  });

  it("without a key, every start is a new run", async () => {
    const { engine, journal, plan, open } = host();
    open();
    const a = await engine.start(plan, { inputs });
    const b = await engine.start(plan, { inputs });
    await Promise.all([a.done, b.done]);
    expect(a.runId).not.toBe(b.runId);
    expect([a.existing, b.existing]).toEqual([false, false]);
    expect((await journal.listRuns()).map((r) => r.key)).toEqual([null, null]);
  });

  it("validates inputs, key and metadata first, also when the key is taken, recording nothing", async () => {
    const { engine, journal, plan, open } = host();
    open();
    const refused = async (start: Promise<unknown>) => {
      const error = await start.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isInputError(error)).toBe(true);
      return (error as Error).message;
    };
    expect(await refused(engine.start(plan, { key: "", inputs }))).toMatch(
      /^key: must be a non-empty string/,
    );
    expect(await refused(engine.start(plan, { key: "x".repeat(513), inputs }))).toMatch(/^key: /);
    expect(await refused(engine.start(plan, { metadata: [] as never, inputs }))).toBe(
      "metadata: must be a plain JSON object, got a list",
    );
    expect(await refused(engine.start(plan, { metadata: { at: new Date(0) }, inputs }))).toBe(
      "metadata.at: must be JSON (a plain object, a list or a value), got an instance of Date",
    );
    expect(await refused(engine.start(plan, { metadata: { pr: { n: Number.NaN } }, inputs }))).toBe(
      "metadata.pr.n: must be a finite number, got NaN",
    );
    expect(await refused(engine.start(plan, { metadata: { f: () => 1 }, inputs }))).toBe(
      "metadata.f: must be JSON, got function",
    );
    expect(await refused(engine.start(plan, { metadata: { l: [1, undefined] }, inputs }))).toBe(
      "metadata.l[1]: must be JSON, got undefined",
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(await refused(engine.start(plan, { metadata: cyclic, inputs }))).toBe(
      "metadata.self: refers back to itself (circular)",
    );
    expect(await refused(engine.start(plan, { metadata: { big: "x".repeat(16 * 1024) }, inputs }))).toMatch(
      /^metadata: is 16394 bytes of JSON; at most 16384/,
    );
    expect(await journal.listRuns()).toEqual([]);

    const { runId } = await engine.start(plan, { key: "k", inputs });
    expect(await refused(engine.start(plan, { key: "k", inputs: {} }))).toMatch(/ref/);
    expect(
      await refused(engine.start(plan, { key: "k", inputs, metadata: { x: Number.POSITIVE_INFINITY } })),
    ).toMatch(/^metadata\.x/);
    expect((await journal.listRuns()).map((r) => r.id)).toEqual([runId]);
  });

  it("a run another engine executes is returned as recorded: running, run_busy; once its owner left, interrupted", async () => {
    const journal = new MemoryJournal();
    const a = host(journal, "host-a");
    const b = host(journal, "host-b");
    const started = await a.engine.start(a.plan, { key: "k", inputs });
    const seen = await b.engine.start(b.plan, { key: "k", inputs });
    expect(seen).toMatchObject({ runId: started.runId, existing: true });
    expect(await seen.done).toEqual({ runId: started.runId, status: "running", reason: "run_busy" });
    expect(b.calls).toEqual([]);
    // Host A shuts down: the run stays running with no owner; B reports it interrupted (resume takes it).
    await a.engine.close();
    const again = await b.engine.start(b.plan, { key: "k", inputs });
    expect(await again.done).toEqual({ runId: started.runId, status: "running", reason: "interrupted" });
    b.open();
    const resumed = await b.engine.resume(started.runId);
    expect(resumed.existing).toBe(false);
    expect(await resumed.done).toMatchObject({ status: "succeeded" });
    expect(await journal.listRuns()).toHaveLength(1);
  });

  it("the key holds after a restart on the same SQLite file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "stageflow-start-"));
    const path = join(dir, "state.db");
    try {
      const first = host(createSqliteJournal({ path }));
      first.open();
      const a = await first.engine.start(first.plan, {
        key: "delivery",
        inputs,
        metadata: { installation: 1 },
      });
      await a.done;
      await close(first.engine, first.journal);

      const second = host(createSqliteJournal({ path }));
      const b = await second.engine.start(second.plan, { key: "delivery", inputs });
      expect(b).toMatchObject({ runId: a.runId, existing: true });
      expect(await b.done).toMatchObject({ status: "succeeded" });
      expect(second.calls).toEqual([]);
      expect((await second.engine.listRuns({ key: "delivery" })).map((r) => r.metadata)).toEqual([
        { installation: 1 },
      ]);
      await close(second.engine, second.journal);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function close(engine: Engine, journal: { close(): Promise<void> }) {
  await engine.close();
  await journal.close();
}
