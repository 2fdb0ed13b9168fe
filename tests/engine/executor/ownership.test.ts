import { describe, expect, it } from "vitest";
import { RunBusyError } from "../../../src/engine/errors.js";
import type { Journal } from "../../../src/engine/journal.js";
import { FakeClock } from "../../../src/engine/testing/fake-clock.js";
import { MemoryJournal } from "../../../src/store/memory/journal.js";
import { crashable, HANGS, type Harness, setup } from "./harness.js";

const TWO = `
name: two
stages:
  - id: one
    steps:
      - { id: a, task: { sleep: 10 } }
      - { id: b, task: { sleep: 10 } }
`;

/**
 * A run whose process died inside step `a` (after the handler returned, before its result was
 * recorded): `running`, its attempt open, its lease unexpired and held by an owner that is gone.
 */
async function orphan(): Promise<{ dead: Harness; runId: string; journal: Journal; deadOwner: string }> {
  const journal = new MemoryJournal();
  const dying = crashable(journal);
  let reached: () => void = () => {};
  const frozen = new Promise<void>((r) => (reached = r));
  const dead = setup({
    journal: dying.journal,
    hooks: {
      "after-step-before-commit": () => {
        dying.crash();
        reached();
        return new Promise<void>(() => {});
      },
    },
  });
  const { runId } = await dead.engine.start(dead.plan(TWO));
  await frozen;
  const deadOwner = (await journal.getRun(runId))?.leaseOwner as string;
  return { dead, runId, journal, deadOwner };
}

const terminalEvents = async (journal: Journal, runId: string) =>
  (await journal.listEvents(runId)).filter((e) =>
    ["run.succeeded", "run.failed", "run.cancelled", "run.degraded"].includes(e.type),
  );

describe("engine: one owner per run", () => {
  it("of two engines that both see the owner dead, one takes the run over; the other gets run_busy", async () => {
    const { dead, runId, journal, deadOwner } = await orphan();
    const alive = (owner: string) => owner !== deadOwner;
    const p = dead.restart({ isOwnerAlive: alive });
    const q = dead.restart({ isOwnerAlive: alive });
    const settled = await Promise.allSettled([p.engine.resume(runId), q.engine.resume(runId)]);
    const won = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const lost = settled.flatMap((s) => (s.status === "rejected" ? [s.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(RunBusyError);
    expect(lost[0]).toMatchObject({ reason: "run_busy" });
    expect(await won[0]?.done).toMatchObject({ status: "succeeded" });
    // a: once in the dead process, once after the take-over; b: once.
    expect([dead.count("a"), dead.count("b")]).toEqual([2, 1]);
    expect(await terminalEvents(journal, runId)).toHaveLength(1);
  });

  it("resume --all in two engines at once resumes each run once", async () => {
    const { dead, runId, journal, deadOwner } = await orphan();
    const alive = (owner: string) => owner !== deadOwner;
    const engines = [dead.restart({ isOwnerAlive: alive }), dead.restart({ isOwnerAlive: alive })];
    const handles = (await Promise.all(engines.map((e) => e.engine.resumeAll()))).flat();
    expect(handles.map((h) => h.runId)).toEqual([runId]);
    await Promise.all(handles.map((h) => h.done));
    expect([dead.count("a"), dead.count("b")]).toEqual([2, 1]);
    expect(await terminalEvents(journal, runId)).toHaveLength(1);
  });

  it("one engine asked twice at once (resume, resume, resume --all) runs the run once", async () => {
    const { dead, runId, journal } = await orphan();
    const next = dead.restart({ isOwnerAlive: () => false });
    const settled = await Promise.allSettled([
      next.engine.resume(runId),
      next.engine.resume(runId),
      next.engine.resumeAll(),
    ]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ reason: "run_busy" });
    expect((settled[2] as PromiseFulfilledResult<unknown[]>).value).toEqual([]);
    await (settled[0] as PromiseFulfilledResult<{ done: Promise<unknown> }>).value.done;
    expect([dead.count("a"), dead.count("b")]).toEqual([2, 1]);
    expect(await terminalEvents(journal, runId)).toHaveLength(1);
  });

  it("never takes a run from an owner that may be alive and renews its lease", async () => {
    const { dead, runId, journal, deadOwner } = await orphan();
    const next = dead.restart({ isOwnerAlive: () => undefined });
    await expect(next.engine.resume(runId)).rejects.toMatchObject({ reason: "run_busy", owner: deadOwner });
    expect((await journal.getRun(runId))?.leaseOwner).toBe(deadOwner);
    expect(next.engine.isInterrupted((await journal.getRun(runId))!)).toBe(false);
    // Once the lease expires, the run is interrupted and anyone may take it over.
    await dead.clock.advance(60_000);
    expect(next.engine.isInterrupted((await journal.getRun(runId))!)).toBe(true);
    expect((await next.engine.report(runId)).state).toBe("interrupted");
    expect(await (await next.engine.resume(runId)).done).toMatchObject({ status: "succeeded" });
  });

  it("gives the lease back when a resume fails after taking the run over", async () => {
    const { dead, runId, journal } = await orphan();
    let fail = true;
    const flaky = new Proxy(journal, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== "listAttempts" || !fail) return typeof value === "function" ? value.bind(target) : value;
        fail = false;
        return () => Promise.reject(new Error("disk hiccup"));
      },
    });
    const next = setup({ journal: flaky, clock: dead.clock, isOwnerAlive: () => false });
    await expect(next.engine.resume(runId)).rejects.toThrow(/disk hiccup/);
    expect((await journal.getRun(runId))?.leaseOwner).toBeNull();
    expect(await (await next.engine.resume(runId)).done).toMatchObject({ status: "succeeded" });
  });
});

describe("engine: cancel", () => {
  /** Leases of 30 s: renewed every 10 s, so anything within 500 ms is the cancel poll's doing. */
  const manual = () => setup({ clock: new FakeClock(Date.UTC(2026, 0, 1)), leaseMs: 30_000 });

  it("a cancel requested from another process stops the run within 500 ms, not at the renewal", async () => {
    const h = manual();
    const { runId, done } = await h.engine.start(h.plan(HANGS));
    let ended = false;
    void done.then(() => (ended = true));
    await h.clock.advance(100);
    // Another process's `stageflow cancel`: it only writes the request to the journal.
    await h.journal.requestCancel(runId, []);
    await h.clock.advance(399);
    expect(ended).toBe(false);
    await h.clock.advance(1); // the first poll, 500 ms after the run started
    expect(ended).toBe(true);
    expect(await done).toMatchObject({ status: "cancelled", reason: "cancelled" });
    const report = await h.engine.report(runId);
    expect(report.run).toMatchObject({ status: "cancelled", leaseOwner: null });
    expect(report.stages.map((s) => s.status)).toEqual(["cancelled"]);
    expect(report.stages[0]?.steps.map((s) => s.status)).toEqual(["cancelled"]);
    expect(h.clock.pending()).toBe(0);
  });

  it("a lease another owner took after it expired aborts the run at the next poll (lease_lost)", async () => {
    const h = manual();
    const { runId, done } = await h.engine.start(h.plan(HANGS));
    await h.journal.acquireLease(runId, "other", h.clock.now() + 90_000, h.clock.now() + 31_000);
    await h.clock.advance(500);
    expect(await done).toMatchObject({ status: "running", reason: "lease_lost" });
    expect((await h.journal.getRun(runId))?.leaseOwner).toBe("other");
  });

  it("ends an orphaned run at once: cancelled, its open attempt closed, stage and step cancelled", async () => {
    const { dead, runId, journal } = await orphan();
    const next = dead.restart({ isOwnerAlive: () => false });
    await next.engine.cancel(runId);
    expect(await journal.getRun(runId)).toMatchObject({ status: "cancelled", leaseOwner: null });
    expect((await journal.listAttempts(runId)).map((a) => [a.stepId, a.status, a.reason])).toEqual([
      ["a", "cancelled", "interrupted"],
    ]);
    const report = await next.engine.report(runId);
    expect(report.stages.map((s) => s.status)).toEqual(["cancelled"]);
    expect(report.stages[0]?.steps.map((s) => s.status)).toEqual(["cancelled", "pending"]);
    expect(await terminalEvents(journal, runId)).toHaveLength(1);
  });

  it("a resume that finds a cancel requested ends the run cancelled and runs nothing", async () => {
    const { dead, runId, journal } = await orphan();
    await journal.requestCancel(runId, []);
    const next = dead.restart({ isOwnerAlive: () => false });
    const calls = dead.calls.length;
    expect(await (await next.engine.resume(runId)).done).toMatchObject({ status: "cancelled" });
    expect(dead.calls.length).toBe(calls);
    expect(await journal.getRun(runId)).toMatchObject({ status: "cancelled", leaseOwner: null });
  });
});
