import type { RunQuery } from "../../engine/journal.js";
import { event, newRun, started } from "./builders.js";
import type { JournalHarness } from "./harness.js";

const installation = (id: number, extra: Record<string, unknown> = {}) => ({
  repository: "octo/app",
  installation: id,
  ...extra,
});

export function describeRunKeyContract(h: JournalHarness): void {
  const { describe, expect, it } = h.t;
  describe("run keys and metadata", () => {
    it("records a run's key and metadata as given, durably, as copies", async () => {
      const metadata = installation(7, { pr: { number: 12, head: "abc" }, actor: null, draft: false });
      const run = newRun("r1", { key: "delivery-1", metadata });
      expect(await h.journal.createRun(run, [started("r1")])).toEqual({ created: true });
      metadata.repository = "changed";
      const read = await (await h.reopen()).getRun("r1");
      expect(read).toMatchObject({
        key: "delivery-1",
        metadata: installation(7, { pr: { number: 12, head: "abc" } }),
      });
      expect(read?.metadata).toEqual({
        repository: "octo/app",
        installation: 7,
        pr: { number: 12, head: "abc" },
        actor: null,
        draft: false,
      });
      (read?.metadata as { repository: string }).repository = "changed too";
      expect((await h.journal.getRun("r1"))?.metadata.repository).toBe("octo/app");
    });

    it("gives a run without key or metadata null and {}", async () => {
      await h.journal.createRun(newRun("r1"), []);
      expect(await h.journal.getRun("r1")).toMatchObject({ key: null, metadata: {} });
    });

    it("does not record a second run with a key already taken, and names the run that has it", async () => {
      await h.journal.createRun(newRun("r1", { key: "k" }), [started("r1")]);
      const outcome = await h.journal.createRun(newRun("r2", { key: "k", workflow: "other" }), [
        started("r2"),
      ]);
      expect(outcome).toEqual({ created: false, reason: "duplicate_key", existing: "r1" });
      const journal = await h.reopen();
      expect(await journal.getRun("r2")).toBeUndefined();
      expect(await journal.listEvents("r2")).toEqual([]);
      expect((await journal.listRuns()).map((r) => r.id)).toEqual(["r1"]);
      // Once more after the reopen: the key is durable too.
      expect(await journal.createRun(newRun("r3", { key: "k" }), [])).toMatchObject({ existing: "r1" });
    });

    it("decides between writes of one key enqueued together: exactly one run is recorded", async () => {
      const outcomes = await Promise.all(
        ["a", "b", "c"].map((id) => h.journal.createRun(newRun(id, { key: "k" }), [started(id)])),
      );
      const created = outcomes.filter((o) => o.created);
      expect(created).toHaveLength(1);
      const [winner] = await h.journal.listRuns({ key: "k" });
      expect(outcomes.filter((o) => !o.created)).toEqual([
        { created: false, reason: "duplicate_key", existing: winner?.id },
        { created: false, reason: "duplicate_key", existing: winner?.id },
      ]);
      expect(await h.journal.listRuns()).toHaveLength(1);
    });

    it("lets any number of runs have no key, and a duplicate id still throws", async () => {
      await h.journal.createRun(newRun("r1"), []);
      await h.journal.createRun(newRun("r2", { key: null }), []);
      await expect(h.journal.createRun(newRun("r1", { key: "fresh" }), [])).rejects.toMatchObject({
        code: "duplicate",
      });
      expect(await h.journal.listRuns({ key: "fresh" })).toEqual([]);
    });

    it("frees a key when its finished run is deleted", async () => {
      await h.journal.createRun(newRun("r1", { key: "k" }), []);
      await h.journal.updateRun("r1", { status: "succeeded", updatedAt: 2_000, finishedAt: 2_000 }, [
        event("r1", "run.succeeded", { durationMs: 1 }),
      ]);
      expect(await h.journal.deleteRun("r1")).toBe(true);
      expect(await h.journal.createRun(newRun("r2", { key: "k" }), [])).toEqual({ created: true });
    });

    it("lists runs by key and by metadata: every given key equal, in JSON type and value", async () => {
      await h.journal.createRun(newRun("a", { createdAt: 1_000, key: "ka", metadata: installation(1) }), []);
      await h.journal.createRun(
        newRun("b", { createdAt: 2_000, metadata: installation(2, { pr: 5, sha: "1", ok: true }) }),
        [],
      );
      await h.journal.createRun(
        newRun("c", { createdAt: 3_000, metadata: installation(1, { pr: 6, note: null }) }),
        [],
      );
      await h.journal.createRun(newRun("d", { createdAt: 4_000 }), []);
      await h.journal.createRun(
        newRun("e", { createdAt: 5_000, metadata: { 'odd "key".$[0]': "x", nested: { installation: 1 } } }),
        [],
      );
      await h.journal.updateRun("c", { status: "failed", updatedAt: 6_000 }, []);
      const ids = async (q: RunQuery) => (await h.journal.listRuns(q)).map((r) => r.id);

      expect(await ids({ key: "ka" })).toEqual(["a"]);
      expect(await ids({ key: "nope" })).toEqual([]);
      expect(await ids({ metadata: { installation: 1 } })).toEqual(["c", "a"]);
      expect(await ids({ metadata: { installation: 1, repository: "octo/app" } })).toEqual(["c", "a"]);
      expect(await ids({ metadata: { installation: 1, pr: 6 } })).toEqual(["c"]);
      expect(await ids({ metadata: { installation: 1 }, status: ["running"] })).toEqual(["a"]);
      expect(await ids({ metadata: { installation: 1 }, limit: 1 })).toEqual(["c"]);
      expect(await ids({ metadata: {} })).toEqual(["e", "d", "c", "b", "a"]);
      // JSON types differ: no match.
      expect(await ids({ metadata: { installation: "1" } })).toEqual([]);
      expect(await ids({ metadata: { sha: 1 } })).toEqual([]);
      expect(await ids({ metadata: { sha: "1" } })).toEqual(["b"]);
      expect(await ids({ metadata: { ok: 1 } })).toEqual([]);
      expect(await ids({ metadata: { ok: true } })).toEqual(["b"]);
      expect(await ids({ metadata: { ok: false } })).toEqual([]);
      // null matches a key set to null, not a missing key.
      expect(await ids({ metadata: { note: null } })).toEqual(["c"]);
      // Top-level keys only, written any way.
      expect(await ids({ metadata: { 'odd "key".$[0]': "x" } })).toEqual(["e"]);
      expect(await ids({ metadata: { "nested.installation": 1 } })).toEqual([]);
    });
  });
}
