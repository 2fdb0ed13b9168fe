/**
 * SIGKILL of the engine during a `run` step (the real CLI, in its own process). The step's child
 * writes a timestamped marker every 100 ms. Asserted: the step's process group does not outlive
 * the engine (its watchdog stops it), and when even the watchdog is gone, `resume` stops the
 * recorded group (matched by its leader's start time) before it runs the step again — so the
 * markers of the first and the second copy never overlap in time. Nor does the group outlive a
 * run that is never run again: a `cancel`, a resume that finds a cancel pending, and a resume that
 * blocks the run all stop it first.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { groupAlive } from "../../src/steps/process-identity.js";
import {
  cli,
  findProcesses,
  journal,
  MARKERS_WORKFLOW,
  type Marker,
  readMarkers,
  until,
} from "./processes.js";

let dir = "";
const leftovers: number[] = [];
afterEach(() => {
  for (const pgid of leftovers.splice(0)) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the markers workflow (or `workflow`, a copy of it) until its step has written a few
 * markers, then SIGKILLs the CLI; with `stopBeforeKill`, SIGSTOPs it first and calls that.
 */
async function killDuringStep(opts: {
  killWatchdogFirst: boolean;
  workflow?: (dir: string) => string;
  stopBeforeKill?: (ctx: { db: string; markers: string; runId: string }) => Promise<void>;
}) {
  dir = mkdtempSync(join(tmpdir(), "stageflow-orphans-"));
  const db = join(dir, "journal.db");
  const markers = join(dir, "markers");
  const run = cli(dir, markers, "run", opts.workflow?.(dir) ?? MARKERS_WORKFLOW, "--db", db);
  await until("the first markers", () => readMarkers(markers).length >= 3 || undefined);
  const pgid = (await until("the recorded group", () => journal(db).groups()[0])).pgid;
  leftovers.push(pgid);
  if (opts.killWatchdogFirst) {
    const watchdogs = () => findProcesses(["stageflow-watchdog"], run.child.pid);
    const [watchdog] = watchdogs();
    expect(watchdog, "the engine's watchdog").toBeDefined();
    process.kill(watchdog as number, "SIGKILL");
    await until("the watchdog to die", () => watchdogs().length === 0);
  }
  const runId = journal(db).runId() as string;
  if (opts.stopBeforeKill) {
    run.child.kill("SIGSTOP");
    await opts.stopBeforeKill({ db, markers, runId });
  }
  run.child.kill("SIGKILL");
  expect(await run.exited).toEqual({ code: null, signal: "SIGKILL" });
  return { db, markers, pgid, runId };
}

/** Waits until the orphaned group has written a few more markers: nobody stops it now. */
async function orphanGoesOn(markers: string, pgid: number) {
  const count = readMarkers(markers).length;
  await until("the orphan to go on", () => readMarkers(markers).length > count + 2);
  expect(groupAlive(pgid)).toBe(true);
}

function noOverlap(markers: Marker[]) {
  const first = markers.filter((m) => m.attempt === 1);
  const second = markers.filter((m) => m.attempt === 2);
  expect(first.length, "markers of the first copy").toBeGreaterThanOrEqual(3);
  expect(second.length, "markers of the second copy").toBe(5);
  const lastOfFirst = Math.max(...first.map((m) => m.at));
  const firstOfSecond = Math.min(...second.map((m) => m.at));
  expect(lastOfFirst, "the first copy wrote a marker after the second one started").toBeLessThan(
    firstOfSecond,
  );
}

describe.skipIf(process.platform !== "linux")("SIGKILL of the engine during a run step", () => {
  it("the watchdog stops the step's process group within a bounded time", { timeout: 120_000 }, async () => {
    const { markers, pgid, db, runId } = await killDuringStep({ killWatchdogFirst: false });
    await until("the group to be gone", () => !groupAlive(pgid), 5_000);
    const count = readMarkers(markers).length;
    await new Promise((r) => setTimeout(r, 300));
    expect(readMarkers(markers).length, "markers written after the group was stopped").toBe(count);

    const resumed = cli(dir, markers, "resume", runId, "--db", db);
    expect((await resumed.exited).code, resumed.out()).toBe(0);
    noOverlap(readMarkers(markers));
  });

  it(
    "resume stops a recorded group that is still alive before it runs the step again: the copies never overlap",
    { timeout: 120_000 },
    async () => {
      const { markers, pgid, db, runId } = await killDuringStep({ killWatchdogFirst: true });
      await orphanGoesOn(markers, pgid);

      const resumed = cli(dir, markers, "resume", runId, "--db", db);
      expect((await resumed.exited).code, resumed.out()).toBe(0);
      expect(resumed.out()).toContain(`stopped process group ${pgid}`);
      expect(groupAlive(pgid)).toBe(false);
      noOverlap(readMarkers(markers));
      expect(journal(db).attempts()).toEqual([
        { stepId: "mark", attempt: 1, status: "cancelled", reason: "interrupted" },
        { stepId: "mark", attempt: 2, status: "succeeded", reason: "succeeded" },
      ]);
    },
  );
});

describe.skipIf(process.platform !== "linux")(
  "a run whose owner and watchdog died is never left with its step's group running",
  () => {
    const workDirOf = (runId: string) => join(dir, "work", runId);

    it(
      "`cancel` stops the recorded group, then ends the run cancelled and removes its work directory",
      { timeout: 120_000 },
      async () => {
        const { markers, pgid, db, runId } = await killDuringStep({ killWatchdogFirst: true });
        await orphanGoesOn(markers, pgid);
        // The dead owner's outputs file is still there: nothing removed it.
        expect(existsSync(workDirOf(runId))).toBe(true);

        const cancelled = cli(dir, markers, "cancel", runId, "--db", db);
        expect((await cancelled.exited).code, cancelled.out()).toBe(0);
        expect(cancelled.out()).toContain(`run ${runId} cancelled`);
        expect(cancelled.out()).toContain(`stopped process group ${pgid}`);
        // Stopped before `cancel` returned, not later by anyone else (nothing resumes a cancelled run).
        expect(groupAlive(pgid), "the step's group outlived the cancel").toBe(false);
        expect(journal(db).run()).toMatchObject({ status: "cancelled", leaseOwner: null });
        expect(journal(db).attempts()).toEqual([
          { stepId: "mark", attempt: 1, status: "cancelled", reason: "interrupted" },
        ]);
        expect(existsSync(workDirOf(runId)), "the cancelled run's work directory").toBe(false);
      },
    );

    it(
      "a resume that finds a cancel pending stops the recorded group and ends the run cancelled without running it",
      { timeout: 120_000 },
      async () => {
        const { markers, pgid, db, runId } = await killDuringStep({
          killWatchdogFirst: true,
          // The owner is frozen, so it never reads the request: `cancel` only records it.
          stopBeforeKill: async ({ db, markers, runId }) => {
            const requested = cli(dir, markers, "cancel", runId, "--db", db);
            expect((await requested.exited).code, requested.out()).toBe(0);
            expect(requested.out()).toContain(`cancel requested for run ${runId}`);
          },
        });
        await orphanGoesOn(markers, pgid);

        const resumed = cli(dir, markers, "resume", runId, "--db", db);
        expect((await resumed.exited).code, resumed.out()).toBe(1);
        expect(resumed.out()).toContain(`stopped process group ${pgid}`);
        expect(groupAlive(pgid), "the step's group outlived the cancelled run").toBe(false);
        expect(journal(db).run()).toMatchObject({ status: "cancelled", leaseOwner: null });
        // The step did not run again: one attempt, no second copy's markers.
        expect(journal(db).attempts()).toEqual([
          { stepId: "mark", attempt: 1, status: "cancelled", reason: "interrupted" },
        ]);
        expect(readMarkers(markers).every((m) => m.attempt === 1)).toBe(true);
        expect(existsSync(workDirOf(runId)), "the cancelled run's work directory").toBe(false);
      },
    );

    it(
      "a resume that blocks the run (its workflow file changed) stops the recorded group first",
      { timeout: 120_000 },
      async () => {
        const { markers, pgid, db, runId } = await killDuringStep({
          killWatchdogFirst: true,
          workflow: (dir) => {
            const copy = join(dir, "markers.yml");
            copyFileSync(MARKERS_WORKFLOW, copy);
            return copy;
          },
        });
        await orphanGoesOn(markers, pgid);
        const file = join(dir, "markers.yml");
        writeFileSync(file, readFileSync(file, "utf8").replace("n=5", "n=6"));

        const resumed = cli(dir, markers, "resume", runId, "--db", db);
        expect((await resumed.exited).code, resumed.out()).toBe(1);
        expect(resumed.out()).toContain("definition_changed");
        expect(resumed.out()).toContain(`stopped process group ${pgid}`);
        expect(groupAlive(pgid), "the step's group outlived the blocked resume").toBe(false);
        expect(journal(db).run()).toMatchObject({ status: "blocked", leaseOwner: null });
        // Still open: a resume that accepts the change closes it and runs the step again.
        expect(journal(db).attempts()).toEqual([
          { stepId: "mark", attempt: 1, status: "running", reason: null },
        ]);
      },
    );
  },
);
