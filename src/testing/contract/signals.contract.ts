import type { NewSignal } from "../../engine/journal.js";
import { newRun } from "./builders.js";
import type { JournalHarness } from "./harness.js";

const signal = (runId: string, name: string, at: number, payload: unknown = { ok: true }): NewSignal => ({
  runId,
  name,
  payload,
  sender: "octocat",
  at,
});

export function describeSignalContract(h: JournalHarness): void {
  const { describe, expect, it } = h.t;
  describe("signals", () => {
    it("keeps a run's signals durably, in order, with increasing seq", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.createRun(newRun("r2"), []);
      const a = await h.journal.recordSignal(signal("r1", "approval", 5_000), []);
      const b = await h.journal.recordSignal(signal("r2", "approval", 5_001), []);
      const c = await h.journal.recordSignal(signal("r1", "deploy", 5_002, null), []);
      expect(a).toEqual({
        ...signal("r1", "approval", 5_000),
        seq: a.seq,
        consumedBy: null,
        consumedAt: null,
      });
      expect(b.seq).toBeGreaterThan(a.seq);
      expect(c.seq).toBeGreaterThan(b.seq);
      const listed = await (await h.reopen()).listSignals("r1");
      expect(listed.map((s) => [s.name, s.payload, s.seq])).toEqual([
        ["approval", { ok: true }, a.seq],
        ["deploy", null, c.seq],
      ]);
      expect(await h.journal.listSignals("nope")).toEqual([]);
    });

    it("hands each consumer the oldest untaken signal of its name, and the same one again", async () => {
      await h.journal.createRun(newRun("r1"), []);
      expect(await h.journal.consumeSignal("r1", "approval", "gate", 6_000)).toBeUndefined();
      const first = await h.journal.recordSignal(signal("r1", "approval", 5_000, 1), []);
      const second = await h.journal.recordSignal(signal("r1", "approval", 5_001, 2), []);
      await h.journal.recordSignal(signal("r1", "other", 5_002, 3), []);
      const taken = await h.journal.consumeSignal("r1", "approval", "gate", 6_000);
      expect(taken).toMatchObject({ seq: first.seq, payload: 1, consumedBy: "gate", consumedAt: 6_000 });
      // The same consumer again (a step that runs again after a restart): the same signal.
      expect(await (await h.reopen()).consumeSignal("r1", "approval", "gate", 7_000)).toMatchObject({
        seq: first.seq,
        consumedAt: 6_000,
      });
      expect(await h.journal.consumeSignal("r1", "approval", "gate2", 7_000)).toMatchObject({
        seq: second.seq,
        consumedBy: "gate2",
      });
      expect(await h.journal.consumeSignal("r1", "approval", "gate3", 7_000)).toBeUndefined();
      const states = (await h.journal.listSignals("r1")).map((s) => s.consumedBy);
      expect(states).toEqual(["gate", "gate2", null]);
    });

    it("refuses a signal for an unknown run and records nothing", async () => {
      await expect(h.journal.recordSignal(signal("nope", "approval", 5_000), [])).rejects.toMatchObject({
        code: "unknown_run",
      });
      expect(await h.journal.listSignals("nope")).toEqual([]);
    });

    it("are deleted with their run", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.recordSignal(signal("r1", "approval", 5_000), []);
      await h.journal.fixDeadline("r1", "pause", 9_000);
      await h.journal.updateRun("r1", { status: "succeeded", updatedAt: 9_000, finishedAt: 9_000 }, []);
      expect(await h.journal.deleteRun("r1")).toBe(true);
      expect(await h.journal.listSignals("r1")).toEqual([]);
    });
  });

  describe("deadlines", () => {
    it("keeps the first deadline fixed for a key, durably", async () => {
      await h.journal.createRun(newRun("r1"), []);
      expect(await h.journal.fixDeadline("r1", "pause", 10_000)).toBe(10_000);
      expect(await (await h.reopen()).fixDeadline("r1", "pause", 99_000)).toBe(10_000);
      expect(await h.journal.fixDeadline("r1", "other", 20_000)).toBe(20_000);
      await expect(h.journal.fixDeadline("nope", "pause", 1)).rejects.toMatchObject({ code: "unknown_run" });
    });
  });

  describe("parked runs", () => {
    it("lists waiting runs with a wake condition, and drops it when the status changes", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.createRun(newRun("r2"), []);
      await h.journal.createRun(newRun("r3"), []);
      const wake = { at: 50_000, signals: ["approval"] };
      await h.journal.updateRun("r1", { status: "waiting", reason: "parked", updatedAt: 2_000, wake }, []);
      // Escalated: waiting for a person, no wake condition.
      await h.journal.updateRun("r2", { status: "waiting", reason: "escalated", updatedAt: 2_000 }, []);
      await h.journal.updateRun(
        "r3",
        { status: "waiting", updatedAt: 2_000, wake: { at: null, signals: ["go"] } },
        [],
      );
      const parked = await (await h.reopen()).listParked();
      expect(parked.sort((a, b) => (a.runId < b.runId ? -1 : 1))).toEqual([
        { runId: "r1", wake },
        { runId: "r3", wake: { at: null, signals: ["go"] } },
      ]);
      await h.journal.updateRun("r1", { status: "running", updatedAt: 3_000 }, []);
      await h.journal.updateRun("r3", { updatedAt: 3_000, wake: null }, []);
      expect(await h.journal.listParked()).toEqual([]);
      // Waiting again without a wake: not parked (the old condition is gone).
      await h.journal.updateRun("r1", { status: "waiting", updatedAt: 4_000 }, []);
      expect(await h.journal.listParked()).toEqual([]);
    });
  });
}
