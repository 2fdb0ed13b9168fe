import type { BreakerSnapshot } from "../../engine/journal.js";
import { attemptFinish, attemptStart, checkpoint, newRun, started } from "./builders.js";
import type { JournalHarness } from "./harness.js";

const open: BreakerSnapshot = { state: "open", consecutiveFailures: 5, openUntil: 9_000, updatedAt: 4_000 };
const closed: BreakerSnapshot = {
  state: "closed",
  consecutiveFailures: 0,
  openUntil: null,
  updatedAt: 5_000,
};

export function describeMiscContract(h: JournalHarness): void {
  const { describe, expect, it } = h.t;
  describe("breakers", () => {
    it("saves, loads and overwrites breaker state per dependency", async () => {
      expect(await h.journal.loadBreakers()).toEqual({});
      await h.journal.saveBreaker("api.github.com", open);
      await h.journal.saveBreaker("hooks.slack.com", closed);
      expect(await (await h.reopen()).loadBreakers()).toEqual({
        "api.github.com": open,
        "hooks.slack.com": closed,
      });
      await h.journal.saveBreaker("api.github.com", { ...closed, updatedAt: 6_000 });
      expect((await h.journal.loadBreakers())["api.github.com"]).toEqual({ ...closed, updatedAt: 6_000 });
    });
  });

  describe("verify and close", () => {
    it("verifies a clean journal as ok", async () => {
      await h.journal.createRun(newRun("r1"), [started("r1")]);
      await h.journal.startAttempt(attemptStart("r1", "compile"), []);
      await h.journal.finishAttempt(attemptFinish("r1", "compile"), checkpoint("r1", "compile"), []);
      await h.journal.putCheckpoint(checkpoint("r1", "lint", "skipped", {}), []);
      expect(await h.journal.verify()).toEqual({ ok: true, problems: [] });
    });

    it("reports a checkpoint whose checksum does not match, naming run and step", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.putCheckpoint({ ...checkpoint("r1", "compile"), checksum: "0".repeat(64) }, []);
      const result = await h.journal.verify();
      expect(result.ok).toBe(false);
      expect(result.problems).toEqual([expect.stringMatching(/run 'r1' step 'compile'.*checksum mismatch/)]);
    });

    it("keeps every write that resolved before close, and rejects writes after it", async () => {
      const closing = h.journal;
      await closing.createRun(newRun("r1"), []);
      const pending = closing.appendEvents([started("r1")]);
      await closing.close();
      await pending;
      await expect(closing.appendEvents([started("r1")])).rejects.toMatchObject({ code: "closed" });
      await expect(closing.saveBreaker("x", open)).rejects.toThrow(/closed/);
      await closing.close();
      const reopened = await h.reopen();
      // Only a durable implementation gives a new, open journal here.
      if (reopened !== closing) expect(await reopened.listEvents("r1")).toHaveLength(1);
    });
  });
}
