import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseWorkflow } from "stageflow";
import { createSqliteJournal } from "stageflow/sqlite";
import { FakeClock } from "stageflow/testing";
import { afterEach, describe, expect, it } from "vitest";
import { engineOn, nextEvent, T0 } from "./helpers.js";
import { childEntry } from "../support/child-code.js";

const HOUR = 3_600_000;
const CHILD = resolve(dirname(fileURLToPath(import.meta.url)), "../fixtures/parking/wait-child.ts");

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Runs the child until it prints that its wait's deadline is journaled, then SIGKILLs it. */
async function killMidWait(db: string): Promise<{ runId: string; deadline: number }> {
  const child = spawn(process.execPath, [childEntry(CHILD), db, String(T0)], { stdio: "pipe" });
  let out = "";
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once("exit", (_, signal) => r(signal)));
  const waiting = await new Promise<RegExpMatchArray>((res, rej) => {
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /WAITING (\S+) (\d+)/.exec(out);
      if (m) res(m);
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.once("exit", () => rej(new Error(`child exited before waiting:\n${out}`)));
  });
  child.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
  return { runId: waiting[1] as string, deadline: Number(waiting[2]) };
}

describe("durable timers", () => {
  it("a wait resumed after SIGKILL waits only the remainder of its journaled deadline", async () => {
    dir = await mkdtemp(join(tmpdir(), "stageflow-timer-"));
    const db = join(dir, "state.db");
    const { runId, deadline } = await killMidWait(db);
    expect(deadline).toBe(T0 + HOUR);

    // 40 minutes later (on the new process's clock), the dead child's run is taken over.
    const journal = createSqliteJournal({ path: db });
    const clock = new FakeClock(T0 + 40 * 60_000);
    const { engine } = engineOn({ journal, clock, isOwnerAlive: () => false });
    expect(await journal.getRun(runId)).toMatchObject({ status: "running" });
    const parked = nextEvent(engine, "run.parked", runId);
    await engine.resumeAll();
    // It parks until the deadline the child journaled, not 1h from now.
    expect((await parked).payload).toEqual({ wakeAt: T0 + HOUR, signals: [] });
    await clock.advance(20 * 60_000 - 1);
    expect((await journal.getRun(runId))?.status).toBe("waiting");
    const succeeded = nextEvent(engine, "run.succeeded", runId);
    await clock.advance(1);
    await succeeded;
    const report = await engine.report(runId);
    expect(report.stages[0]?.steps[0]).toMatchObject({ status: "succeeded", finishedAt: T0 + HOUR });
    await engine.close();
    await journal.close();
  }, 60_000);

  it("a parked run survives a restart: a new engine loads it and wakes it at its deadline", async () => {
    dir = await mkdtemp(join(tmpdir(), "stageflow-timer-"));
    const db = join(dir, "state.db");
    const first = engineOn({ journal: createSqliteJournal({ path: db }) });
    const plan = parseWorkflow("name: p\nstages:\n  - id: s\n    steps: [{ id: pause, wait: 2h }]\n", {
      file: "p.yml",
      kinds: first.engine.kinds,
    });
    const handle = await first.engine.start(plan);
    expect(await handle.done).toMatchObject({ status: "waiting", reason: "parked" });
    await first.engine.close();
    await first.journal.close();

    const journal = createSqliteJournal({ path: db });
    const clock = new FakeClock(T0 + HOUR);
    const { engine } = engineOn({ journal, clock });
    expect(await engine.wake()).toBe(1);
    const woken = nextEvent(engine, "run.woken", handle.runId);
    const succeeded = nextEvent(engine, "run.succeeded", handle.runId);
    await clock.advance(HOUR - 1);
    expect((await journal.getRun(handle.runId))?.status).toBe("waiting");
    await clock.advance(1);
    expect((await woken).payload).toEqual({ by: "timer" });
    expect((await succeeded).at).toBe(T0 + 2 * HOUR);
    await engine.close();
    await journal.close();
  });

  it("resumeAll wakes a parked run whose deadline passed while no process ran, and returns its handle", async () => {
    dir = await mkdtemp(join(tmpdir(), "stageflow-timer-"));
    const db = join(dir, "state.db");
    const first = engineOn({ journal: createSqliteJournal({ path: db }) });
    const plan = parseWorkflow("name: p\nstages:\n  - id: s\n    steps: [{ id: pause, wait: 2h }]\n", {
      file: "p.yml",
      kinds: first.engine.kinds,
    });
    const handle = await first.engine.start(plan);
    expect(await handle.done).toMatchObject({ status: "waiting", reason: "parked" });
    await first.engine.close();
    await first.journal.close();

    const journal = createSqliteJournal({ path: db });
    const { engine } = engineOn({ journal, clock: new FakeClock(T0 + 3 * HOUR) });
    const handles = await engine.resumeAll();
    expect(handles.map((h) => h.runId)).toEqual([handle.runId]);
    expect(await handles[0]?.done).toMatchObject({ status: "succeeded" });
    await engine.close();
    await journal.close();
  });
});
