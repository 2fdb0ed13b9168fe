import type { RunStatus } from "../../engine/journal.js";
import {
  attemptFinish,
  attemptStart,
  checkpoint,
  event,
  newRun,
  started,
  stepSucceeded,
} from "./builders.js";
import type { JournalHarness } from "./harness.js";

export function describeDeleteContract(h: JournalHarness): void {
  const { describe, expect, it } = h.t;
  /** A run with an attempt, a checkpoint and events, ended with `status`. */
  const recorded = async (id: string, status: RunStatus, createdAt = 1_000) => {
    await h.journal.createRun(newRun(id, { createdAt }), [started(id)]);
    await h.journal.startAttempt(attemptStart(id, "compile"), []);
    await h.journal.finishAttempt(attemptFinish(id, "compile"), checkpoint(id, "compile"), [
      stepSucceeded(id, "compile"),
    ]);
    if (status !== "running")
      await h.journal.updateRun(id, { status, finishedAt: 5_000, updatedAt: 5_000 }, []);
  };

  describe("deleting runs (prune)", () => {
    it("deletes a finished run with its attempts, checkpoints and events; others stay", async () => {
      await recorded("old", "succeeded");
      await recorded("keep", "failed");
      expect(await h.journal.deleteRun("old")).toBe(true);
      const journal = await h.reopen();
      expect(await journal.getRun("old")).toBeUndefined();
      expect(await journal.listAttempts("old")).toEqual([]);
      expect(await journal.listCheckpoints("old")).toEqual([]);
      expect(await journal.listEvents("old")).toEqual([]);
      expect((await journal.listRuns()).map((r) => r.id)).toEqual(["keep"]);
      expect(await journal.listAttempts("keep")).toHaveLength(1);
      expect(await journal.listCheckpoints("keep")).toHaveLength(1);
      expect((await journal.listEvents("keep")).map((e) => e.type)).toEqual([
        "run.started",
        "step.succeeded",
      ]);
      expect(await journal.verify()).toEqual({ ok: true, problems: [] });
    });

    it("deletes every finished status, and the id can be used again", async () => {
      for (const status of ["succeeded", "failed", "cancelled", "degraded"] as const) {
        await recorded(status, status);
        expect(await h.journal.deleteRun(status)).toBe(true);
      }
      expect(await h.journal.listRuns()).toEqual([]);
      await h.journal.createRun(newRun("failed"), [started("failed")]);
      expect((await h.journal.listEvents("failed")).map((e) => e.type)).toEqual(["run.started"]);
    });

    it("refuses, deleting nothing, a run that is unknown, running, waiting or blocked", async () => {
      expect(await h.journal.deleteRun("nope")).toBe(false);
      for (const status of ["running", "waiting", "blocked"] as const) {
        await recorded(status, status);
        expect(await h.journal.deleteRun(status)).toBe(false);
        expect((await h.journal.getRun(status))?.status).toBe(status);
        expect(await h.journal.listEvents(status)).toHaveLength(2);
        expect(await h.journal.listAttempts(status)).toHaveLength(1);
      }
    });

    it("keeps events of other runs deduplicated and in order after a delete", async () => {
      await recorded("a", "succeeded");
      await recorded("b", "succeeded");
      await h.journal.deleteRun("b");
      await h.journal.appendEvents([event("a", "run.cancel_requested", {})]);
      await h.journal.appendEvents([event("a", "run.cancel_requested", {})]);
      const seqs = (await h.journal.listEvents("a")).map((e) => e.seq);
      expect(seqs).toHaveLength(3);
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
      const last = seqs[1] as number;
      expect((await h.journal.listEvents("a", last)).map((e) => e.type)).toEqual(["run.cancel_requested"]);
    });

    it("lists runs created since a time", async () => {
      await recorded("r1", "succeeded", 1_000);
      await recorded("r2", "succeeded", 2_000);
      await recorded("r3", "succeeded", 3_000);
      expect((await h.journal.listRuns({ createdSince: 2_000 })).map((r) => r.id)).toEqual(["r3", "r2"]);
      expect(await h.journal.listRuns({ createdSince: 4_000 })).toEqual([]);
    });
  });
}
