/**
 * SIGKILL of the engine during a `run` step (the real CLI, in its own process). The step's child
 * writes a timestamped marker every 100 ms. Asserted: the step's process group does not outlive
 * the engine (its watchdog stops it), and when even the watchdog is gone, `resume` stops the
 * recorded group (matched by its leader's start time) before it runs the step again — so the
 * markers of the first and the second copy never overlap in time.
 */
import { mkdtempSync, rmSync } from "node:fs";
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

/** Runs the markers workflow until its step has written a few markers, then SIGKILLs the CLI. */
async function killDuringStep(opts: { killWatchdogFirst: boolean }) {
  dir = mkdtempSync(join(tmpdir(), "stageflow-orphans-"));
  const db = join(dir, "journal.db");
  const markers = join(dir, "markers");
  const run = cli(dir, markers, "run", MARKERS_WORKFLOW, "--db", db);
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
  run.child.kill("SIGKILL");
  expect(await run.exited).toEqual({ code: null, signal: "SIGKILL" });
  return { db, markers, pgid, runId: journal(db).runId() as string };
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
      // Nobody stops the orphan now: it goes on writing markers.
      const count = readMarkers(markers).length;
      await until("the orphan to go on", () => readMarkers(markers).length > count + 2);
      expect(groupAlive(pgid)).toBe(true);

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
