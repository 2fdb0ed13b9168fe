import { newRun } from "./builders.js";
import type { JournalHarness } from "./harness.js";

/** newRun() leases to host-a until 31_000. */
export function describeLeaseContract(h: JournalHarness): void {
  const { describe, expect, it } = h.t;
  describe("leases", () => {
    it("refuses the lease to another owner while it is held, with run_busy and the holder", async () => {
      await h.journal.createRun(newRun("r1"), []);
      expect(await h.journal.acquireLease("r1", "host-b", 60_000, 30_999)).toEqual({
        acquired: false,
        reason: "run_busy",
        owner: "host-a",
        expiresAt: 31_000,
      });
      expect((await h.journal.getRun("r1"))?.leaseOwner).toBe("host-a");
    });

    it("gives an expired lease to a new owner and names the previous one", async () => {
      await h.journal.createRun(newRun("r1"), []);
      expect(await h.journal.acquireLease("r1", "host-b", 60_000, 31_001)).toEqual({
        acquired: true,
        previousOwner: "host-a",
      });
      const run = await (await h.reopen()).getRun("r1");
      expect(run).toMatchObject({ leaseOwner: "host-b", leaseExpiresAt: 60_000 });
    });

    it("lets the owner take its own lease again", async () => {
      await h.journal.createRun(newRun("r1"), []);
      expect(await h.journal.acquireLease("r1", "host-a", 40_000, 2_000)).toEqual({
        acquired: true,
        previousOwner: "host-a",
      });
      expect(await h.journal.getRun("r1")).toMatchObject({ leaseOwner: "host-a", leaseExpiresAt: 40_000 });
    });

    it("takes a live lease over only from the holder named dead: a compare-and-set, never by force", async () => {
      await h.journal.createRun(newRun("r1"), []);
      // host-a's pid is gone: host-b and host-c both saw that, and both try to take the run over.
      expect(await h.journal.acquireLease("r1", "host-b", 50_000, 2_000, { takeOverFrom: "host-a" })).toEqual(
        {
          acquired: true,
          previousOwner: "host-a",
        },
      );
      // host-c's view is stale: the holder is host-b now, alive and unexpired. Refused.
      expect(await h.journal.acquireLease("r1", "host-c", 60_000, 2_001, { takeOverFrom: "host-a" })).toEqual(
        {
          acquired: false,
          reason: "run_busy",
          owner: "host-b",
          expiresAt: 50_000,
        },
      );
      // Naming a holder that is not the current one takes nothing either.
      expect(
        await h.journal.acquireLease("r1", "host-c", 60_000, 2_002, { takeOverFrom: "host-x" }),
      ).toMatchObject({
        acquired: false,
        reason: "run_busy",
      });
      expect(await (await h.reopen()).getRun("r1")).toMatchObject({
        leaseOwner: "host-b",
        leaseExpiresAt: 50_000,
      });
    });

    it("of two owners racing for one free lease, exactly one wins", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.releaseLease("r1", "host-a");
      const outcomes = await Promise.all([
        h.journal.acquireLease("r1", "host-b", 50_000, 2_000),
        h.journal.acquireLease("r1", "host-c", 50_000, 2_000),
      ]);
      expect(outcomes.filter((o) => o.acquired)).toHaveLength(1);
      expect(outcomes.find((o) => !o.acquired)).toMatchObject({ reason: "run_busy" });
    });

    it("reports the lease state and cancel flag of the runs asked for, leaving out unknown ones", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.createRun(newRun("r2", { lease: { owner: "host-b", expiresAt: 40_000 } }), []);
      await h.journal.requestCancel("r2", []);
      const states = await h.journal.leaseStates(["r1", "r2", "nope"]);
      expect(states.sort((a, b) => (a.runId < b.runId ? -1 : 1))).toEqual([
        { runId: "r1", leaseOwner: "host-a", leaseExpiresAt: 31_000, cancelRequested: false },
        { runId: "r2", leaseOwner: "host-b", leaseExpiresAt: 40_000, cancelRequested: true },
      ]);
      expect(await h.journal.leaseStates([])).toEqual([]);
    });

    it("renews only the holder's lease", async () => {
      await h.journal.createRun(newRun("r1"), []);
      expect(await h.journal.renewLease("r1", "host-a", 45_000)).toEqual({
        held: true,
        cancelRequested: false,
      });
      expect((await h.journal.getRun("r1"))?.leaseExpiresAt).toBe(45_000);
      await h.journal.acquireLease("r1", "host-b", 90_000, 46_000);
      expect(await h.journal.renewLease("r1", "host-a", 99_000)).toEqual({
        held: false,
        cancelRequested: false,
      });
      expect(await h.journal.getRun("r1")).toMatchObject({ leaseOwner: "host-b", leaseExpiresAt: 90_000 });
    });

    it("releases the lease with a run's final status, only for the owner that holds it", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.createRun(newRun("r2"), []);
      const final = { status: "succeeded" as const, finishedAt: 5_000, updatedAt: 5_000 };
      await h.journal.updateRun("r1", { ...final, releaseLeaseOf: "host-a" }, []);
      await h.journal.updateRun("r2", { ...final, releaseLeaseOf: "host-b" }, []);
      const reopened = await h.reopen();
      expect(await reopened.getRun("r1")).toMatchObject({
        status: "succeeded",
        leaseOwner: null,
        leaseExpiresAt: null,
      });
      expect(await reopened.getRun("r2")).toMatchObject({
        status: "succeeded",
        leaseOwner: "host-a",
        leaseExpiresAt: 31_000,
      });
    });

    it("releases only the holder's lease; a released lease is free", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.releaseLease("r1", "host-b");
      expect((await h.journal.getRun("r1"))?.leaseOwner).toBe("host-a");
      await h.journal.releaseLease("r1", "host-a");
      expect(await (await h.reopen()).getRun("r1")).toMatchObject({ leaseOwner: null, leaseExpiresAt: null });
      expect(await h.journal.acquireLease("r1", "host-b", 60_000, 2_000)).toEqual({
        acquired: true,
        previousOwner: null,
      });
    });

    it("rejects lease operations on an unknown run", async () => {
      await expect(h.journal.acquireLease("nope", "host-a", 1, 0)).rejects.toMatchObject({
        code: "unknown_run",
      });
      await expect(h.journal.renewLease("nope", "host-a", 1)).rejects.toMatchObject({ code: "unknown_run" });
      await expect(h.journal.releaseLease("nope", "host-a")).rejects.toMatchObject({ code: "unknown_run" });
    });
  });
}
