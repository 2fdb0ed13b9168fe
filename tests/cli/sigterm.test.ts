/**
 * SIGTERM (what service managers, CI runners and container hosts send) stops a real `stageflow
 * run` process as Ctrl-C does: the step's process group is stopped, the lease released, the run
 * left resumable, exit code 143.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { groupAlive } from "../../src/steps/process-identity.js";
import { cli, journal, MARKERS_WORKFLOW, readMarkers, until } from "../recovery/processes.js";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("SIGTERM during a run step", () => {
  it(
    "exits 143 with no process of the step left and the lease released; resume runs the step again",
    { timeout: 120_000 },
    async () => {
      dir = mkdtempSync(join(tmpdir(), "stageflow-sigterm-"));
      const db = join(dir, "journal.db");
      const markers = join(dir, "markers");
      const run = cli(dir, markers, "run", MARKERS_WORKFLOW, "--db", db);
      await until("the first markers", () => readMarkers(markers).length >= 2 || undefined);
      const { pgid } = await until("the recorded group", () => journal(db).groups()[0]);

      run.child.kill("SIGTERM");
      const exit = await run.exited;
      expect(exit, run.out()).toEqual({ code: 143, signal: null });
      expect(run.out()).toMatch(/terminated \(SIGTERM\); resume with: (npx )?stageflow resume \S+/);
      expect(groupAlive(pgid), "a process of the step outlived the CLI").toBe(false);
      const runId = journal(db).runId() as string;
      expect(journal(db).run()).toEqual({ id: runId, status: "running", leaseOwner: null });
      const count = readMarkers(markers).length;

      const resumed = cli(dir, markers, "resume", runId, "--db", db);
      expect((await resumed.exited).code, resumed.out()).toBe(0);
      // The lease was free: nobody had to be taken over.
      expect(resumed.out()).toMatch(/run resumed \(owner [^,)]+, 0 finished steps kept\)/);
      const all = readMarkers(markers);
      expect(all.slice(0, count).every((m) => m.attempt === 1)).toBe(true);
      expect(all.slice(count).map((m) => m.attempt)).toEqual([2, 2, 2, 2, 2]);
      expect(journal(db).attempts()).toEqual([
        { stepId: "mark", attempt: 1, status: "cancelled", reason: "interrupted" },
        { stepId: "mark", attempt: 2, status: "succeeded", reason: "succeeded" },
      ]);
    },
  );
});
