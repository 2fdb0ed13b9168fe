import type { NewStepLogLine } from "../../engine/journal.js";
import { newRun } from "./builders.js";
import type { JournalHarness } from "./harness.js";

const line = (
  runId: string,
  stepId: string,
  text: string,
  extra: Partial<NewStepLogLine> = {},
): NewStepLogLine => ({ runId, stepId, attempt: 1, stream: "stdout", at: 4_000, text, ...extra });

export function describeStepLogContract(h: JournalHarness): void {
  const { describe, expect, it } = h.t;
  describe("step logs", () => {
    it("keeps lines in append order, per run, filtered by step and tailed by seq", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.createRun(newRun("r2"), []);
      await h.journal.appendStepLog([
        line("r1", "build", "compiling"),
        line("r1", "build", "warning: x", { stream: "stderr" }),
      ]);
      await h.journal.appendStepLog([line("r2", "build", "other run")]);
      await h.journal.appendStepLog([
        line("r1", "test", "ok", { attempt: 2 }),
        line("r1", "build", "… not kept …", { stream: "note" }),
      ]);
      const all = await (await h.reopen()).listStepLog("r1");
      expect(all.map((l) => [l.stepId, l.attempt, l.stream, l.text])).toEqual([
        ["build", 1, "stdout", "compiling"],
        ["build", 1, "stderr", "warning: x"],
        ["test", 2, "stdout", "ok"],
        ["build", 1, "note", "… not kept …"],
      ]);
      expect(all[0]).toMatchObject({ runId: "r1", at: 4_000 });
      const seqs = all.map((l) => l.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(4);
      expect((await h.journal.listStepLog("r1", { stepId: "build" })).map((l) => l.text)).toEqual([
        "compiling",
        "warning: x",
        "… not kept …",
      ]);
      const tail = await h.journal.listStepLog("r1", { afterSeq: all[1]?.seq });
      expect(tail.map((l) => l.text)).toEqual(["ok", "… not kept …"]);
      expect(await h.journal.listStepLog("nope")).toEqual([]);
    });

    it("deletes a deleted run's lines, and later lines still get higher seqs", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.createRun(newRun("r2"), []);
      await h.journal.appendStepLog([line("r1", "build", "one"), line("r2", "build", "two")]);
      const [before] = await h.journal.listStepLog("r2");
      await h.journal.updateRun("r1", { status: "succeeded", finishedAt: 5_000, updatedAt: 5_000 }, []);
      expect(await h.journal.deleteRun("r1")).toBe(true);
      expect(await h.journal.listStepLog("r1")).toEqual([]);
      await h.journal.appendStepLog([line("r2", "build", "three")]);
      const after = await h.journal.listStepLog("r2");
      expect(after.map((l) => l.text)).toEqual(["two", "three"]);
      expect(after[1]?.seq).toBeGreaterThan(before?.seq ?? Number.POSITIVE_INFINITY);
    });

    it("refuses lines of an unknown run and stores none of the batch", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await expect(
        h.journal.appendStepLog([line("r1", "build", "kept?"), line("ghost", "build", "x")]),
      ).rejects.toMatchObject({ code: "unknown_run" });
      expect(await h.journal.listStepLog("r1")).toEqual([]);
    });
  });
}
