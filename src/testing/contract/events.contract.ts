import { eventHash } from "../../engine/canonical.js";
import { event, newRun, started } from "./builders.js";
import type { JournalHarness } from "./harness.js";

const warning = (runId: string, elapsedMs: number, dedupeKey?: string) =>
  event(
    runId,
    "stage.warning",
    { stageId: "build", elapsedMs, warnAfterMs: 10 },
    dedupeKey ? { dedupeKey } : {},
  );

export function describeEventContract(h: JournalHarness): void {
  const { describe, expect, it } = h.t;
  describe("events", () => {
    it("gives events increasing sequence numbers and their hash, per run in order", async () => {
      await h.journal.createRun(newRun("r1"), [started("r1")]);
      await h.journal.createRun(newRun("r2"), [started("r2")]);
      await h.journal.appendEvents([warning("r1", 11), warning("r2", 12), warning("r1", 13)]);
      const events = await (await h.reopen()).listEvents("r1");
      expect(events.map((e) => e.type)).toEqual(["run.started", "stage.warning", "stage.warning"]);
      const seqs = events.map((e) => e.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(3);
      expect(events[1]).toEqual({ ...warning("r1", 11), seq: seqs[1], hash: eventHash(warning("r1", 11)) });
    });

    it("lists only the events after a sequence number, for tailing", async () => {
      await h.journal.createRun(newRun("r1"), [started("r1")]);
      const [first] = await h.journal.listEvents("r1");
      await h.journal.appendEvents([warning("r1", 11), warning("r1", 12)]);
      const tail = await h.journal.listEvents("r1", first?.seq);
      expect(tail.map((e) => (e.payload as { elapsedMs: number }).elapsedMs)).toEqual([11, 12]);
      expect(await h.journal.listEvents("r1", tail[1]?.seq)).toEqual([]);
    });

    it("ignores an event whose hash it already has: same payload, or same dedupeKey", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.appendEvents([warning("r1", 11), warning("r1", 11)]);
      await h.journal.appendEvents([warning("r1", 11)]);
      await h.journal.appendEvents([
        warning("r1", 20, "stage-build-warned"),
        warning("r1", 21, "stage-build-warned"),
      ]);
      const events = await (await h.reopen()).listEvents("r1");
      expect(events.map((e) => (e.payload as { elapsedMs: number }).elapsedMs)).toEqual([11, 20]);
      expect(events[1]?.dedupeKey).toBe("stage-build-warned");
    });

    it("does not deduplicate the same event across runs", async () => {
      await h.journal.createRun(newRun("r1"), [started("r1")]);
      await h.journal.createRun(newRun("r2"), [started("r2")]);
      expect(await h.journal.listEvents("r1")).toHaveLength(1);
      expect(await h.journal.listEvents("r2")).toHaveLength(1);
    });

    it("rejects a batch with an event for an unknown run, appending none of it", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await expect(h.journal.appendEvents([warning("r1", 11), warning("ghost", 12)])).rejects.toMatchObject({
        code: "unknown_run",
      });
      expect(await h.journal.listEvents("r1")).toEqual([]);
      expect(await h.journal.listEvents("ghost")).toEqual([]);
    });
  });
}
