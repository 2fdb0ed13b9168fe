import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  compileWorkflow,
  createEngine,
  type Engine,
  type EngineEvent,
  type Journal,
  type StepContext,
} from "stageflow";
import { createSqliteJournal } from "stageflow/sqlite";
import { FakeClock, MemoryJournal } from "stageflow/testing";
import { afterEach, describe, expect, it } from "vitest";

const definition = {
  name: "deploy",
  stages: [
    {
      id: "build",
      steps: [
        { id: "compile", task: {} },
        { id: "test", task: {} },
      ],
    },
  ],
};

function engineOn(journal: Journal): Engine {
  const engine = createEngine({ journal, clock: new FakeClock(Date.UTC(2026, 0, 1), { autoAdvance: true }) });
  engine.register("task", { execute: async (_ctx: StepContext) => ({ ok: true }) });
  return engine;
}

async function runOnce(engine: Engine): Promise<string> {
  const plan = compileWorkflow(definition, { kinds: engine.kinds });
  const handle = await engine.start(plan);
  expect((await handle.done).status).toBe("succeeded");
  return handle.runId;
}

const increasing = (seqs: number[]) => seqs.every((s, i) => i === 0 || s > (seqs[i - 1] as number));

describe("events for hosts", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it("delivers every event with its journal seq, in seq order, filtered by run and type", async () => {
    const journal = new MemoryJournal();
    const engine = engineOn(journal);
    const all: EngineEvent[] = [];
    const steps: EngineEvent[] = [];
    const everything = engine.on((e) => {
      all.push(e);
    });
    const firstRun = await runOnce(engine);
    const only = engine.on((e) => void steps.push(e), { types: ["step.succeeded"], runId: "none-yet" });
    const secondRun = await runOnce(engine);
    await everything.idle();
    await only.idle();
    const journaled = await journal.listEventsAfter(0);
    expect(all.map((e) => e.seq)).toEqual(journaled.map((e) => e.seq));
    expect(increasing(all.map((e) => e.seq))).toBe(true);
    expect(new Set(all.map((e) => e.runId))).toEqual(new Set([firstRun, secondRun]));
    expect(steps).toEqual([]); // no run has that id
    expect(everything.lastSeq).toBe(journaled.at(-1)?.seq);
  });

  it("a throwing or slow listener breaks and holds up no run, and its failures are counted", async () => {
    const engine = engineOn(new MemoryJournal());
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const throwing = engine.on(() => {
      throw new Error("listener bug");
    });
    const slowSeen: number[] = [];
    const slow = engine.on(async (e) => {
      await gate;
      slowSeen.push(e.seq);
    });
    const fastSeen: number[] = [];
    const fast = engine.on((e) => void fastSeen.push(e.seq));
    await runOnce(engine); // finishes although the slow listener has not returned once
    await fast.idle();
    await throwing.idle();
    expect(fastSeen.length).toBeGreaterThan(3);
    expect(throwing.failures).toBe(fastSeen.length);
    expect(slowSeen).toEqual([]);
    release();
    await slow.idle();
    expect(slowSeen).toEqual(fastSeen);
    expect(slow.failures).toBe(0);
  });

  it("a listener whose queue overflows catches up from the journal, losing and repeating nothing", async () => {
    const engine = engineOn(new MemoryJournal());
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const seen: number[] = [];
    const sub = engine.on(
      async (e) => {
        await gate;
        seen.push(e.seq);
      },
      { maxQueue: 2 },
    );
    const all: number[] = [];
    const reference = engine.on((e) => void all.push(e.seq));
    await runOnce(engine);
    await runOnce(engine);
    release();
    await sub.idle();
    await reference.idle();
    expect(sub.overflows).toBeGreaterThan(0);
    expect(seen).toEqual(all);
  });

  it("a reporter that restarts continues from its last seq, from the journal, then live", async () => {
    const dir = await mkdtemp(join(tmpdir(), "stageflow-events-"));
    dirs.push(dir);
    const path = join(dir, "state.db");
    const firstJournal = createSqliteJournal({ path });
    const first = engineOn(firstJournal);
    const before: EngineEvent[] = [];
    const reporter = first.on((e) => void before.push(e));
    await runOnce(first);
    await reporter.idle();
    // The reporter stopped after the third event it saw; then more happened without it.
    const stoppedAt = before[2]?.seq as number;
    reporter.close();
    await runOnce(first);
    await first.close();
    await firstJournal.close();

    const journal = createSqliteJournal({ path });
    const second = engineOn(journal);
    const after: EngineEvent[] = [];
    const resumed = second.on((e) => void after.push(e), { afterSeq: stoppedAt });
    const liveRun = await runOnce(second);
    await resumed.idle();
    const expected = await journal.listEventsAfter(stoppedAt);
    expect(after.map((e) => e.seq)).toEqual(expected.map((e) => e.seq));
    expect(increasing(after.map((e) => e.seq))).toBe(true);
    expect(after.at(-1)?.runId).toBe(liveRun);
    expect(after.at(-1)?.type).toBe("run.succeeded");
    await second.close();
    await journal.close();
  });

  it("without afterSeq, delivery starts with events after the subscription", async () => {
    const engine = engineOn(new MemoryJournal());
    await runOnce(engine);
    const seen: EngineEvent[] = [];
    const sub = engine.on((e) => void seen.push(e));
    await sub.idle();
    expect(seen).toEqual([]);
    const runId = await runOnce(engine);
    await sub.idle();
    expect(seen[0]).toMatchObject({ type: "run.started", runId });
  });
});

describe("engine-level events", () => {
  it("breaker transitions reach a listener once each, with the breaker's key", async () => {
    const journal = new MemoryJournal();
    const engine = createEngine({
      journal,
      clock: new FakeClock(Date.UTC(2026, 0, 1), { autoAdvance: true }),
      breaker: { failureThreshold: 2, resetTimeoutMs: 1_000 },
    });
    let calls = 0;
    engine.register("task", {
      execute: async () => {
        calls++;
        if (calls <= 2) throw Object.assign(new Error("unavailable"), { status: 503 });
        return {};
      },
      dependency: () => "api.example",
    });
    const seen: EngineEvent[] = [];
    const sub = engine.on((e) => void seen.push(e), {
      types: ["breaker.opened", "breaker.half_opened", "breaker.closed", "recovery.budget_refused"],
    });
    const plan = compileWorkflow(
      {
        name: "calls",
        stages: [
          { id: "s", steps: [{ id: "call", task: {}, retry: { max_attempts: 6, base_delay: "2s" } }] },
        ],
      },
      { kinds: engine.kinds },
    );
    await (
      await engine.start(plan)
    ).done;
    await sub.idle();
    const breaker = seen.filter((e) => e.type.startsWith("breaker."));
    expect(breaker.map((e) => e.type)).toEqual(["breaker.opened", "breaker.half_opened", "breaker.closed"]);
    for (const e of breaker) expect(e.payload).toMatchObject({ dependency: "api.example" });
    expect(new Set(breaker.map((e) => e.seq)).size).toBe(breaker.length);
  });
});
