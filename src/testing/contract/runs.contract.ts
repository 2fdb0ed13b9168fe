import { event, newRun, started } from "./builders.js";
import type { JournalHarness } from "./harness.js";

export function describeRunContract(h: JournalHarness): void {
  const { describe, expect, it } = h.t;
  describe("runs", () => {
    it("records a new run as running, leased to its owner, with its first events", async () => {
      await h.journal.createRun(newRun("r1"), [started("r1")]);
      const run = await (await h.reopen()).getRun("r1");
      expect(run).toEqual({
        id: "r1",
        workflow: "deploy",
        definition: { name: "deploy", stages: [{ id: "build", steps: [{ id: "compile" }] }] },
        definitionHash: "def-hash-1",
        source: ".github/stageflow/deploy.yml",
        trigger: { kind: "cli", actor: "octocat" },
        correlationId: "corr-r1",
        inputs: { ref: "main" },
        key: null,
        metadata: {},
        status: "running",
        reason: null,
        error: null,
        leaseOwner: "host-a",
        leaseExpiresAt: 31_000,
        cancelRequested: false,
        createdAt: 1_000,
        updatedAt: 1_000,
        finishedAt: null,
      });
      expect((await h.journal.listEvents("r1")).map((e) => e.type)).toEqual(["run.started"]);
    });

    it("returns undefined for an unknown run, and null for a missing source", async () => {
      await h.journal.createRun({ ...newRun("r1"), source: undefined }, []);
      expect(await h.journal.getRun("nope")).toBeUndefined();
      expect((await h.journal.getRun("r1"))?.source).toBeNull();
    });

    it("refuses a second run with the same id and keeps the first one", async () => {
      await h.journal.createRun(newRun("r1"), [started("r1")]);
      await expect(
        h.journal.createRun(newRun("r1", { workflow: "other" }), [
          event("r1", "run.succeeded", { durationMs: 1 }),
        ]),
      ).rejects.toMatchObject({ code: "duplicate" });
      expect((await h.journal.getRun("r1"))?.workflow).toBe("deploy");
      expect(await h.journal.listEvents("r1")).toHaveLength(1);
    });

    it("stores copies: changing what was written or read does not change the journal", async () => {
      const run = newRun("r1");
      await h.journal.createRun(run, []);
      (run.inputs as { ref: string }).ref = "changed";
      const read = await h.journal.getRun("r1");
      (read?.inputs as { ref: string }).ref = "changed too";
      expect((await h.journal.getRun("r1"))?.inputs).toEqual({ ref: "main" });
    });

    it("lists runs newest first, filtered by status and workflow, up to a limit", async () => {
      await h.journal.createRun(newRun("old", { createdAt: 1_000 }), []);
      await h.journal.createRun(newRun("mid", { createdAt: 2_000, workflow: "release" }), []);
      await h.journal.createRun(newRun("new", { createdAt: 3_000 }), []);
      await h.journal.updateRun("mid", { status: "failed", updatedAt: 4_000 }, []);
      await h.journal.updateRun("new", { status: "waiting", updatedAt: 4_000 }, []);
      const ids = async (q?: Parameters<typeof h.journal.listRuns>[0]) =>
        (await h.journal.listRuns(q)).map((r) => r.id);

      expect(await ids()).toEqual(["new", "mid", "old"]);
      expect(await ids({ status: ["running", "failed"] })).toEqual(["mid", "old"]);
      expect(await ids({ status: [] })).toEqual([]);
      expect(await ids({ workflow: "deploy" })).toEqual(["new", "old"]);
      expect(await ids({ workflow: "deploy", status: ["waiting"] })).toEqual(["new"]);
      expect(await ids({ limit: 2 })).toEqual(["new", "mid"]);
    });

    it("updates status, reason, error and finish time with its events; omitted fields stay", async () => {
      await h.journal.createRun(newRun("r1"), [started("r1")]);
      const error = { name: "Error", message: "boom", reason: "handler_error" as const };
      await h.journal.updateRun(
        "r1",
        { status: "failed", reason: "retries_exhausted", error, updatedAt: 5_000 },
        [
          event("r1", "run.failed", {
            reason: "retries_exhausted",
            failedSteps: ["compile"],
            durationMs: 4_000,
          }),
        ],
      );
      await h.journal.updateRun("r1", { finishedAt: 6_000, updatedAt: 6_000 }, []);
      const run = await (await h.reopen()).getRun("r1");
      expect(run).toMatchObject({ status: "failed", reason: "retries_exhausted", error, finishedAt: 6_000 });
      expect(run?.updatedAt).toBe(6_000);
      expect((await h.journal.listEvents("r1")).map((e) => e.type)).toEqual(["run.started", "run.failed"]);

      await h.journal.updateRun(
        "r1",
        { status: "running", reason: null, error: null, finishedAt: null, updatedAt: 7 },
        [],
      );
      expect(await h.journal.getRun("r1")).toMatchObject({
        status: "running",
        reason: null,
        error: null,
        finishedAt: null,
      });
    });

    it("rejects an update or a cancel request for an unknown run, writing nothing", async () => {
      await expect(
        h.journal.updateRun("nope", { status: "failed", updatedAt: 1 }, [
          event("nope", "run.succeeded", { durationMs: 1 }),
        ]),
      ).rejects.toMatchObject({ code: "unknown_run" });
      await expect(h.journal.requestCancel("nope", [])).rejects.toMatchObject({ code: "unknown_run" });
      expect(await h.journal.listEvents("nope")).toEqual([]);
    });

    it("marks a cancel request, which the owner sees on its next renewal", async () => {
      await h.journal.createRun(newRun("r1"), []);
      expect(await h.journal.renewLease("r1", "host-a", 40_000)).toEqual({
        held: true,
        cancelRequested: false,
      });
      await h.journal.requestCancel("r1", [event("r1", "run.cancel_requested", {})]);
      expect((await h.journal.getRun("r1"))?.cancelRequested).toBe(true);
      expect(await (await h.reopen()).renewLease("r1", "host-a", 50_000)).toEqual({
        held: true,
        cancelRequested: true,
      });
      expect((await h.journal.listEvents("r1")).map((e) => e.type)).toEqual(["run.cancel_requested"]);
    });
  });
}
