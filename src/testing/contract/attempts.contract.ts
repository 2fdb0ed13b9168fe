import { attemptFinish, attemptStart, checkpoint, event, newRun, stepSucceeded } from "./builders.js";
import type { JournalHarness } from "./harness.js";

const stepStarted = (runId: string, stepId: string, attempt = 1) =>
  event(runId, "step.started", { stageId: "build", stepId, attempt });

export function describeAttemptContract(h: JournalHarness): void {
  const { describe, expect, it } = h.t;
  describe("attempts and checkpoints", () => {
    it("records an attempt's start, then its end with checkpoint and events together", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.startAttempt(attemptStart("r1", "compile"), [stepStarted("r1", "compile")]);
      expect(await h.journal.listAttempts("r1")).toEqual([
        {
          runId: "r1",
          stageId: "build",
          stepId: "compile",
          attempt: 1,
          status: "running",
          reason: null,
          startedAt: 3_001,
          finishedAt: null,
          outputs: null,
          error: null,
          decision: null,
        },
      ]);
      await h.journal.finishAttempt(attemptFinish("r1", "compile"), checkpoint("r1", "compile"), [
        stepSucceeded("r1", "compile"),
      ]);
      const journal = await h.reopen();
      expect(await journal.listAttempts("r1")).toEqual([
        expect.objectContaining({
          status: "succeeded",
          reason: "succeeded",
          finishedAt: 4_001,
          decision: "done",
        }),
      ]);
      expect((await journal.listAttempts("r1"))[0]?.outputs).toEqual({ ok: true });
      expect(await journal.listCheckpoints("r1")).toEqual([checkpoint("r1", "compile")]);
      expect((await journal.listEvents("r1")).map((e) => e.type)).toEqual(["step.started", "step.succeeded"]);
    });

    it("keeps every attempt of a step, in order, with errors and decisions", async () => {
      await h.journal.createRun(newRun("r1"), []);
      const error = { name: "HttpError", message: "502", status: 502, headers: { "retry-after": "1" } };
      await h.journal.startAttempt(attemptStart("r1", "deploy", 1), []);
      await h.journal.finishAttempt(
        {
          ...attemptFinish("r1", "deploy", 1),
          status: "failed",
          reason: "handler_error",
          outputs: undefined,
          error,
        },
        null,
        [],
      );
      await h.journal.startAttempt(attemptStart("r1", "deploy", 2), []);
      const attempts = await h.journal.listAttempts("r1");
      expect(attempts.map((a) => [a.attempt, a.status])).toEqual([
        [1, "failed"],
        [2, "running"],
      ]);
      expect(attempts[0]).toMatchObject({ error, outputs: null, decision: "done" });
      expect(await h.journal.listCheckpoints("r1")).toEqual([]);
    });

    it("rejects a duplicate attempt, an attempt of an unknown run, and ending an unstarted attempt", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.startAttempt(attemptStart("r1", "compile"), []);
      await expect(h.journal.startAttempt(attemptStart("r1", "compile"), [])).rejects.toMatchObject({
        code: "duplicate",
      });
      await expect(h.journal.startAttempt(attemptStart("nope", "compile"), [])).rejects.toMatchObject({
        code: "unknown_run",
      });
      await expect(
        h.journal.finishAttempt(attemptFinish("r1", "compile", 7), checkpoint("r1", "compile"), []),
      ).rejects.toMatchObject({ code: "unknown_attempt" });
      expect(await h.journal.listCheckpoints("r1")).toEqual([]);
    });

    it("writes nothing of a finishAttempt whose events name an unknown run", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.startAttempt(attemptStart("r1", "compile"), [stepStarted("r1", "compile")]);
      await expect(
        h.journal.finishAttempt(attemptFinish("r1", "compile"), checkpoint("r1", "compile"), [
          stepSucceeded("r1", "compile"),
          stepSucceeded("ghost", "compile"),
        ]),
      ).rejects.toMatchObject({ code: "unknown_run" });
      const journal = await h.reopen();
      expect((await journal.listAttempts("r1"))[0]).toMatchObject({ status: "running", outputs: null });
      expect(await journal.listCheckpoints("r1")).toEqual([]);
      expect((await journal.listEvents("r1")).map((e) => e.type)).toEqual(["step.started"]);
    });

    it("keeps a fast first attempt when its checkpoint is replaced or cleared, and refuses it twice", async () => {
      // A fast step as the engine writes it: start and finish queued together, the checkpoint's
      // outputs the attempt's own, no decision (the SQLite journal stores it once, in the checkpoint).
      await h.journal.createRun(newRun("r1"), []);
      const outputs = { ok: true };
      const start = attemptStart("r1", "fast");
      const finish = { ...attemptFinish("r1", "fast", 1, outputs), decision: undefined };
      const cp = checkpoint("r1", "fast", "succeeded", outputs);
      await Promise.all([h.journal.startAttempt(start, []), h.journal.finishAttempt(finish, cp, [])]);
      const attempt = {
        runId: "r1",
        stageId: "build",
        stepId: "fast",
        attempt: 1,
        status: "succeeded",
        reason: "succeeded",
        startedAt: cp.startedAt,
        finishedAt: cp.finishedAt,
        outputs,
        error: null,
        decision: null,
      };
      expect(await (await h.reopen()).listAttempts("r1")).toEqual([attempt]);
      expect(await h.journal.listCheckpoints("r1")).toEqual([cp]);
      await expect(h.journal.startAttempt(start, [])).rejects.toMatchObject({ code: "duplicate" });

      await h.journal.putCheckpoint(checkpoint("r1", "fast", "failed", {}), []);
      expect(await h.journal.listAttempts("r1")).toEqual([attempt]);
      await h.journal.clearFailedCheckpoints("r1");
      const journal = await h.reopen();
      expect(await journal.listCheckpoints("r1")).toEqual([]);
      expect(await journal.listAttempts("r1")).toEqual([attempt]);
      await expect(journal.startAttempt(start, [])).rejects.toMatchObject({ code: "duplicate" });
    });

    it("puts a checkpoint without an attempt, replacing the step's earlier one", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.putCheckpoint(checkpoint("r1", "notify", "failed", { why: "x" }), []);
      const skipped = checkpoint("r1", "notify", "skipped", {});
      await h.journal.putCheckpoint(skipped, [
        event("r1", "step.skipped", { stageId: "build", stepId: "notify", reason: "condition_false" }),
      ]);
      expect(await (await h.reopen()).listCheckpoints("r1")).toEqual([skipped]);
      expect((await h.journal.listEvents("r1")).map((e) => e.type)).toEqual(["step.skipped"]);
      await expect(h.journal.putCheckpoint(checkpoint("nope", "x"), [])).rejects.toMatchObject({
        code: "unknown_run",
      });
    });

    it("replaces a run's definition with dropped checkpoints and an event in one write; attempts stay", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.createRun(newRun("r2"), []);
      const outputs = { ok: true };
      const fast = attemptFinish("r1", "fast", 1, outputs);
      await Promise.all([
        h.journal.startAttempt(attemptStart("r1", "fast"), []),
        h.journal.finishAttempt(
          { ...fast, decision: undefined },
          checkpoint("r1", "fast", "succeeded", outputs),
          [],
        ),
      ]);
      await h.journal.putCheckpoint(checkpoint("r1", "keep", "succeeded"), []);
      await h.journal.putCheckpoint(checkpoint("r2", "fast", "succeeded"), []);
      const definition = { name: "deploy2", stages: [{ id: "build", steps: [{ id: "keep" }] }] };
      const accepted = event("r1", "run.changes_accepted", {
        previousHash: "def-hash-1",
        hash: "def-hash-2",
        added: [],
        removed: ["fast"],
        changed: [],
        rerun: [],
      });
      await h.journal.replaceDefinition(
        "r1",
        {
          workflow: "deploy2",
          definition,
          definitionHash: "def-hash-2",
          inputs: { ref: "main", channel: "beta" },
          dropCheckpoints: ["fast"],
          updatedAt: 9_000,
        },
        [accepted],
      );
      const journal = await h.reopen();
      expect(await journal.getRun("r1")).toMatchObject({
        workflow: "deploy2",
        definition,
        definitionHash: "def-hash-2",
        inputs: { ref: "main", channel: "beta" },
        updatedAt: 9_000,
      });
      expect((await journal.getRun("r2"))?.definitionHash).toBe("def-hash-1");
      expect((await journal.listCheckpoints("r1")).map((c) => c.stepId)).toEqual(["keep"]);
      expect((await journal.listCheckpoints("r2")).map((c) => c.stepId)).toEqual(["fast"]);
      // The dropped step's attempt is still there (an attempt inlined in its checkpoint too).
      expect((await journal.listAttempts("r1")).map((a) => [a.stepId, a.attempt, a.status])).toEqual([
        ["fast", 1, "succeeded"],
      ]);
      expect((await journal.listEvents("r1")).map((e) => e.type)).toEqual(["run.changes_accepted"]);
      await expect(
        h.journal.replaceDefinition(
          "nope",
          {
            workflow: "x",
            definition: {},
            definitionHash: "h",
            inputs: {},
            dropCheckpoints: [],
            updatedAt: 1,
          },
          [],
        ),
      ).rejects.toMatchObject({ code: "unknown_run" });
    });

    it("clears a run's failed checkpoints and keeps its succeeded ones and other runs'", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.createRun(newRun("r2"), []);
      await h.journal.putCheckpoint(checkpoint("r1", "a", "succeeded"), []);
      await h.journal.putCheckpoint(checkpoint("r1", "b", "failed"), []);
      await h.journal.putCheckpoint(checkpoint("r1", "c", "succeeded"), []);
      await h.journal.putCheckpoint(checkpoint("r2", "b", "failed"), []);
      await h.journal.clearFailedCheckpoints("r1");
      const journal = await h.reopen();
      expect((await journal.listCheckpoints("r1")).map((c) => c.stepId)).toEqual(["a", "c"]);
      expect((await journal.listCheckpoints("r2")).map((c) => c.stepId)).toEqual(["b"]);
    });
  });
}
