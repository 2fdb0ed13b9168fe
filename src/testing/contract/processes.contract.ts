import type { ProcessRecord } from "../../engine/journal.js";
import { attemptStart, newRun, started } from "./builders.js";
import type { JournalHarness } from "./harness.js";

const record = (runId: string, stepId: string, attempt: number, pgid: number): ProcessRecord => ({
  runId,
  stepId,
  attempt,
  kind: "run",
  process: { pgid, start: `linux:boot:${pgid}0`, host: "h", platform: "linux" },
  recordedAt: 4_000 + attempt,
});

export function describeProcessContract(h: JournalHarness): void {
  const { describe, expect, it } = h.t;
  describe("process records", () => {
    it("keeps what a handler recorded per attempt, in order, durably, and as given", async () => {
      await h.journal.createRun(newRun("r1"), [started("r1")]);
      await h.journal.createRun(newRun("r2"), []);
      await h.journal.startAttempt(attemptStart("r1", "compile"), []);
      await h.journal.recordProcess(record("r1", "compile", 1, 100));
      await h.journal.recordProcess(record("r2", "compile", 1, 200));
      await h.journal.recordProcess(record("r1", "lint", 1, 300));
      expect(await (await h.reopen()).listProcesses("r1")).toEqual([
        record("r1", "compile", 1, 100),
        record("r1", "lint", 1, 300),
      ]);
      expect(await h.journal.listProcesses("r3")).toEqual([]);
    });

    it("replaces the record of an attempt recorded again, keeping its place", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.recordProcess(record("r1", "compile", 1, 100));
      await h.journal.recordProcess(record("r1", "compile", 2, 200));
      await h.journal.recordProcess({ ...record("r1", "compile", 1, 150), kind: "custom" });
      expect(await h.journal.listProcesses("r1")).toEqual([
        { ...record("r1", "compile", 1, 150), kind: "custom" },
        record("r1", "compile", 2, 200),
      ]);
    });

    it("are deleted with their run", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.createRun(newRun("r2"), []);
      await h.journal.recordProcess(record("r1", "compile", 1, 100));
      await h.journal.recordProcess(record("r2", "compile", 1, 200));
      await h.journal.updateRun("r1", { status: "succeeded", updatedAt: 9_000, finishedAt: 9_000 }, []);
      expect(await h.journal.deleteRun("r1")).toBe(true);
      expect(await h.journal.listProcesses("r1")).toEqual([]);
      expect(await h.journal.listProcesses("r2")).toEqual([record("r2", "compile", 1, 200)]);
    });

    it("refuses a record for an unknown run and changes nothing", async () => {
      await expect(h.journal.recordProcess(record("nope", "compile", 1, 100))).rejects.toMatchObject({
        code: "unknown_run",
      });
      expect(await h.journal.listProcesses("nope")).toEqual([]);
    });
  });
}
