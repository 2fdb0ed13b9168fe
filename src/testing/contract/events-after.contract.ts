import { event, newRun, started } from "./builders.js";
import type { JournalHarness } from "./harness.js";

const warning = (runId: string, elapsedMs: number) =>
  event(runId, "stage.warning", { stageId: "build", elapsedMs, warnAfterMs: 10 });

const elapsed = (events: readonly { payload: unknown }[]) =>
  events.map((e) => (e.payload as { elapsedMs?: number }).elapsedMs ?? "start");

export function describeEventsAfterContract(h: JournalHarness): void {
  const { describe, expect, it } = h.t;
  describe("events across runs after a sequence number", () => {
    it("lists every run's events after a seq in seq order, durably", async () => {
      await h.journal.createRun(newRun("r1"), [started("r1")]);
      await h.journal.createRun(newRun("r2"), [started("r2")]);
      await h.journal.appendEvents([warning("r1", 11), warning("r2", 12)]);
      await h.journal.appendEvents([warning("r1", 13)]);
      const all = await (await h.reopen()).listEventsAfter(0);
      expect(all.map((e) => e.runId)).toEqual(["r1", "r2", "r1", "r2", "r1"]);
      expect(elapsed(all)).toEqual(["start", "start", 11, 12, 13]);
      const seqs = all.map((e) => e.seq);
      expect(seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] as number))).toBe(true);
      expect(await h.journal.listEventsAfter(seqs[2] as number)).toEqual(all.slice(3));
      expect(await h.journal.listEventsAfter(seqs[4] as number)).toEqual([]);
    });

    it("filters by run and by type, and pages with a limit without gaps or repeats", async () => {
      await h.journal.createRun(newRun("r1"), [started("r1")]);
      await h.journal.createRun(newRun("r2"), [started("r2")]);
      await h.journal.appendEvents([warning("r1", 11), warning("r2", 12), warning("r1", 13)]);
      expect(elapsed(await h.journal.listEventsAfter(0, { runId: "r1" }))).toEqual(["start", 11, 13]);
      expect(elapsed(await h.journal.listEventsAfter(0, { types: ["stage.warning"] }))).toEqual([11, 12, 13]);
      expect(elapsed(await h.journal.listEventsAfter(0, { runId: "r2", types: ["stage.warning"] }))).toEqual([
        12,
      ]);
      expect(await h.journal.listEventsAfter(0, { types: [] })).toEqual([]);
      const pages: unknown[] = [];
      let after = 0;
      for (;;) {
        const page = await h.journal.listEventsAfter(after, { limit: 2 });
        if (page.length === 0) break;
        expect(page.length).toBeLessThanOrEqual(2);
        pages.push(...elapsed(page));
        after = page.at(-1)?.seq as number;
      }
      expect(pages).toEqual(["start", "start", 11, 12, 13]);
    });

    it("sets seq on each event it stores, not on a duplicate, and knows the last seq", async () => {
      expect(await h.journal.lastEventSeq()).toBe(0);
      const first = started("r1");
      await h.journal.createRun(newRun("r1"), [first]);
      const again = warning("r1", 11);
      const twice = warning("r1", 11);
      await h.journal.appendEvents([again]);
      await h.journal.appendEvents([twice]);
      expect(typeof first.seq).toBe("number");
      expect(again.seq).toBeGreaterThan(first.seq as number);
      expect(twice.seq).toBeUndefined();
      expect(await h.journal.lastEventSeq()).toBe(again.seq);
      const stored = await h.journal.listEventsAfter(0);
      expect(stored.map((e) => e.seq)).toEqual([first.seq, again.seq]);
    });

    it("refuses a limit that is not a positive integer", async () => {
      await expect(h.journal.listEventsAfter(0, { limit: 0 })).rejects.toThrow(/limit/);
      await expect(h.journal.listEventsAfter(0, { limit: 1.5 })).rejects.toThrow(/limit/);
    });

    it("leaves out a deleted run's events and keeps the others' sequence", async () => {
      await h.journal.createRun(newRun("r1"), [started("r1")]);
      await h.journal.createRun(newRun("r2"), [started("r2")]);
      await h.journal.appendEvents([warning("r2", 12)]);
      await h.journal.updateRun("r1", { status: "succeeded", updatedAt: 9_000, finishedAt: 9_000 }, []);
      const before = await h.journal.listEventsAfter(0, { runId: "r2" });
      expect(await h.journal.deleteRun("r1")).toBe(true);
      expect(await h.journal.listEventsAfter(0)).toEqual(before);
    });

    it("never gives a seq again, even after the run holding the newest events was deleted", async () => {
      await h.journal.createRun(newRun("r1"), [started("r1")]);
      await h.journal.createRun(newRun("r2"), [started("r2")]);
      await h.journal.appendEvents([warning("r2", 12), warning("r2", 13)]);
      const newest = Math.max(...(await h.journal.listEventsAfter(0)).map((e) => e.seq));
      await h.journal.updateRun("r2", { status: "succeeded", updatedAt: 9_000, finishedAt: 9_000 }, []);
      expect(await h.journal.deleteRun("r2")).toBe(true);
      await (await h.reopen()).appendEvents([warning("r1", 14)]);
      const after = await h.journal.listEventsAfter(newest);
      expect(after.map((e) => e.runId)).toEqual(["r1"]);
    });
  });

  describe("storage codes", () => {
    it("rejects with reason storage_unavailable once the journal is closed", async () => {
      await h.journal.createRun(newRun("r1"), [started("r1")]);
      await h.journal.close();
      await expect(h.journal.getRun("r1")).rejects.toMatchObject({ reason: "storage_unavailable" });
      await expect(h.journal.listEventsAfter(0)).rejects.toMatchObject({ reason: "storage_unavailable" });
      await expect(h.journal.appendEvents([warning("r1", 1)])).rejects.toMatchObject({
        reason: "storage_unavailable",
      });
    });

    it("rejects with reason storage_corrupt when the storage is damaged (if it can be)", async () => {
      await h.journal.createRun(newRun("r1"), [started("r1")]);
      for (let i = 0; i < 200; i++) await h.journal.appendEvents([warning("r1", i)]);
      let reason: unknown;
      try {
        // Opening the damaged storage may refuse already, or the first read that meets the damage.
        const damaged = await h.corrupt();
        if (!damaged) return; // an implementation whose storage cannot be damaged from outside
        await damaged.listEventsAfter(0);
        await damaged.listEvents("r1");
        await damaged.verify();
      } catch (e) {
        reason = (e as { reason?: unknown }).reason;
      }
      expect(reason).toBe("storage_corrupt");
    });

    it("keeps reasons other than the storage codes for refused writes", async () => {
      await expect(h.journal.appendEvents([warning("nope", 1)])).rejects.toMatchObject({
        code: "unknown_run",
      });
      await h.journal.appendEvents([warning("nope", 1)]).catch((e: { reason?: unknown }) => {
        expect(e.reason).not.toMatch(/^storage_/);
      });
    });
  });
}
