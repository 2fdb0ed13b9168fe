import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { StepHandler } from "../../../src/engine/handler.js";
import { MemoryJournal } from "../../../src/store/memory/journal.js";
import { crashable, type Harness, setup } from "./harness.js";

const WORKFLOW = `
name: orphans
stages:
  - id: s
    mode: parallel
    steps:
      - { id: a, proc: { hang: true } }
      - { id: b, proc: {} }
`;

/** The `proc` kind: records a process (opaque to the engine), then hangs or returns. */
function procKind(log: string[], stop?: (record: unknown) => Promise<void>): StepHandler {
  return {
    async execute(ctx) {
      log.push(`exec ${ctx.stepId}#${ctx.attempt}`);
      await ctx.recordProcess({ token: `${ctx.stepId}-${ctx.attempt}` });
      if ((ctx.config as { hang?: boolean }).hang && ctx.attempt === 1) {
        await new Promise((_, reject) =>
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)),
        );
      }
      return {};
    },
    async stopOrphan(record) {
      log.push(`stop ${(record as { token: string }).token}`);
      await stop?.(record);
    },
  };
}

/** Runs WORKFLOW until `a` hangs and `b` has finished, then kills the engine (nothing more is recorded). */
async function crashedRun(log: string[]) {
  const journal = new MemoryJournal();
  const dying = crashable(journal);
  const dead = setup({ journal: dying.journal });
  dead.engine.register("proc", procKind(log));
  const { runId } = await dead.engine.start(dead.plan(WORKFLOW));
  for (let i = 0; i < 1000; i++) {
    const cps = await journal.listCheckpoints(runId);
    if (cps.length === 1 && (await journal.listProcesses(runId)).length === 2) break;
    await new Promise((r) => setTimeout(r, 1));
  }
  dying.crash();
  return { dead, runId, journal };
}

function restart(
  dead: Harness,
  log: string[],
  stop?: (record: unknown) => Promise<void>,
  options: { workDir?: string } = {},
): Harness {
  const next = dead.restart({ isOwnerAlive: () => false, ...options });
  next.engine.register("proc", procKind(log, stop));
  return next;
}

describe("engine: what a dead owner's steps left running", () => {
  it("hands the record of each unfinished attempt to its kind before the step runs again", async () => {
    const log: string[] = [];
    const { dead, runId, journal } = await crashedRun(log);
    expect(await journal.listProcesses(runId)).toEqual([
      expect.objectContaining({ stepId: "a", attempt: 1, kind: "proc", process: { token: "a-1" } }),
      expect.objectContaining({ stepId: "b", attempt: 1, kind: "proc", process: { token: "b-1" } }),
    ]);
    log.length = 0;
    const next = restart(dead, log);
    const { done } = await next.engine.resume(runId);
    expect(await done).toMatchObject({ status: "succeeded" });
    // b finished before the crash: its record is history, not an orphan.
    expect(log).toEqual(["stop a-1", "exec a#2"]);
  });

  it("does not resume when the kind cannot stop the orphan, and leaves the run resumable", async () => {
    const log: string[] = [];
    const { dead, runId, journal } = await crashedRun(log);
    log.length = 0;
    const next = restart(dead, log, async () => {
      throw new Error("EPERM");
    });
    await expect(next.engine.resume(runId)).rejects.toThrow(
      /could not stop what attempt 1 of step 'a' left running: EPERM/,
    );
    expect(log).toEqual(["stop a-1"]);
    const run = await journal.getRun(runId);
    expect(run).toMatchObject({ status: "running", leaseOwner: null });
    expect((await journal.listAttempts(runId)).find((a) => a.stepId === "a")?.status).toBe("running");
  });
});

describe("engine: a run that is never run again does not leave its dead owner's processes", () => {
  it("cancel hands the orphan's record to its kind, then ends the run cancelled and removes its work directory", async () => {
    const log: string[] = [];
    const { dead, runId, journal } = await crashedRun(log);
    const workDir = mkdtempSync(join(tmpdir(), "stageflow-orphans-"));
    try {
      mkdirSync(join(workDir, runId));
      writeFileSync(join(workDir, runId, "a-1-dead.out"), "token=left-by-the-dead-owner\n");
      log.length = 0;
      const next = restart(dead, log, undefined, { workDir });
      await next.engine.cancel(runId);
      expect(log).toEqual(["stop a-1"]);
      expect(await journal.getRun(runId)).toMatchObject({ status: "cancelled", leaseOwner: null });
      expect((await journal.listAttempts(runId)).find((a) => a.stepId === "a")).toMatchObject({
        status: "cancelled",
        reason: "interrupted",
      });
      expect(existsSync(join(workDir, runId))).toBe(false);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });

  it("a cancel whose kind cannot stop the orphan records nothing but the request; the next one ends the run", async () => {
    const log: string[] = [];
    const { dead, runId, journal } = await crashedRun(log);
    log.length = 0;
    let refuse = true;
    const next = restart(dead, log, async () => {
      if (refuse) throw new Error("EPERM");
    });
    await expect(next.engine.cancel(runId)).rejects.toThrow(
      /could not stop what attempt 1 of step 'a' left running: EPERM/,
    );
    expect(await journal.getRun(runId)).toMatchObject({
      status: "running",
      leaseOwner: null,
      cancelRequested: true,
    });
    expect((await journal.listAttempts(runId)).find((a) => a.stepId === "a")?.status).toBe("running");

    refuse = false;
    await next.engine.cancel(runId);
    expect(log).toEqual(["stop a-1", "stop a-1"]);
    expect(await journal.getRun(runId)).toMatchObject({ status: "cancelled", leaseOwner: null });
  });

  it("a resume that finds a cancel pending stops the orphan, runs nothing, and ends the run cancelled", async () => {
    const log: string[] = [];
    const { dead, runId, journal } = await crashedRun(log);
    await journal.requestCancel(runId, []);
    log.length = 0;
    const next = restart(dead, log);
    const { done } = await next.engine.resume(runId);
    expect(await done).toMatchObject({ status: "cancelled" });
    expect(log).toEqual(["stop a-1"]);
  });

  it("a resume that blocks the run (definition changed) stops the orphan first and leaves its attempt open", async () => {
    const log: string[] = [];
    const { dead, runId, journal } = await crashedRun(log);
    log.length = 0;
    const next = restart(dead, log);
    const changed = next.plan(WORKFLOW.replace("name: orphans", "name: orphans-changed"));
    const { done } = await next.engine.resume(runId, { plan: changed });
    expect(await done).toMatchObject({ status: "blocked", reason: "definition_changed" });
    expect(log).toEqual(["stop a-1"]);
    expect((await journal.listAttempts(runId)).find((a) => a.stepId === "a")?.status).toBe("running");
  });
});
