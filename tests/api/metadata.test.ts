/** Run metadata: journaled with the run, filterable, visible to handlers (`ctx.run`) and expressions. */
import { createEngine, type EngineEvent, parseWorkflow, type RunInfo } from "stageflow";
import { createSqliteJournal } from "stageflow/sqlite";
import { FakeClock, MemoryJournal } from "stageflow/testing";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const WORKFLOW = `
name: review
stages:
  - id: s
    steps:
      - id: look
        look: {}
      - id: echo
        echo:
          pr: \${{ run.metadata.pr.number }}
          text: "\${{ run.metadata.repository }}#\${{ run.metadata.pr.number }} by \${{ run.metadata.actor }}"
          key: \${{ run.key }}
          missing: \${{ run.metadata.nothing.here }}
`;

const METADATA = {
  repository: "octo/app",
  installation: 42,
  pr: { number: 7, head: "abc123" },
  actor: "octocat",
  trigger: "pull_request.opened",
};

describe("run metadata", () => {
  it("reaches handlers as ctx.run and expressions as run.metadata.*, and round-trips through SQLite", async () => {
    const dir = await mkdtemp(join(tmpdir(), "stageflow-meta-"));
    const path = join(dir, "state.db");
    try {
      const journal = createSqliteJournal({ path });
      const engine = createEngine({ journal, clock: new FakeClock() });
      const seen: RunInfo[] = [];
      const echoed: unknown[] = [];
      engine.register("look", async (ctx) => {
        seen.push(ctx.run);
        // Frozen: no step changes what another one reads.
        expect(() => {
          (ctx.run.metadata as { actor: string }).actor = "mallory";
        }).toThrow(TypeError);
        return {};
      });
      engine.register("echo", async (ctx) => {
        echoed.push(ctx.config);
        return {};
      });
      const events: EngineEvent[] = [];
      engine.on((e) => events.push(e));
      const plan = parseWorkflow(WORKFLOW, { file: "review.yml", kinds: engine.kinds });
      const { runId, done } = await engine.start(plan, { key: "delivery-9", metadata: METADATA });
      expect(await done).toMatchObject({ status: "succeeded" });

      expect(seen).toEqual([{ id: runId, workflow: "review", key: "delivery-9", metadata: METADATA }]);
      expect(echoed).toEqual([{ pr: 7, text: "octo/app#7 by octocat", key: "delivery-9", missing: null }]);
      const started = events.find((e) => e.type === "run.started");
      expect(started?.payload).toMatchObject({ key: "delivery-9", metadata: METADATA });
      await engine.close();
      await journal.close();

      const reopened = createSqliteJournal({ path });
      expect(await reopened.getRun(runId)).toMatchObject({ key: "delivery-9", metadata: METADATA });
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("defaults to {} and a null key; a property set to undefined is left out", async () => {
    const journal = new MemoryJournal();
    const engine = createEngine({ journal, clock: new FakeClock() });
    const seen: RunInfo[] = [];
    engine.register("look", async (ctx) => {
      seen.push(ctx.run);
      return {};
    });
    const plan = parseWorkflow("name: w\nstages: [{ id: s, steps: [{ id: l, look: {} }] }]\n", {
      file: "w.yml",
      kinds: engine.kinds,
    });
    const a = await engine.start(plan);
    const b = await engine.start(plan, { metadata: { pr: undefined, sha: "abc" } });
    await Promise.all([a.done, b.done]);
    expect(seen.map((r) => [r.key, r.metadata])).toEqual([
      [null, {}],
      [null, { sha: "abc" }],
    ]);
    expect((await journal.getRun(a.runId))?.metadata).toEqual({});
    expect((await journal.getRun(b.runId))?.metadata).toEqual({ sha: "abc" });
  });

  it("filters engine.listRuns by metadata and key", async () => {
    const engine = createEngine({ journal: new MemoryJournal(), clock: new FakeClock() });
    engine.register("look", async () => ({}));
    const plan = parseWorkflow("name: w\nstages: [{ id: s, steps: [{ id: l, look: {} }] }]\n", {
      file: "w.yml",
      kinds: engine.kinds,
    });
    const start = async (key: string, metadata: Record<string, unknown>) => {
      const handle = await engine.start(plan, { key, metadata });
      await handle.done;
      return handle.runId;
    };
    const a = await start("a", { installation: 1, repository: "octo/app", pr: 1 });
    const b = await start("b", { installation: 2, repository: "octo/app", pr: 1 });
    const c = await start("c", { installation: 1, repository: "octo/lib", pr: 2 });
    const ids = async (query: Parameters<typeof engine.listRuns>[0]) =>
      (await engine.listRuns(query)).map((r) => r.id);
    expect(await ids({ metadata: { installation: 1 } })).toEqual([c, a]);
    expect(await ids({ metadata: { repository: "octo/app", pr: 1 } })).toEqual([b, a]);
    expect(await ids({ metadata: { installation: 1, repository: "octo/app" } })).toEqual([a]);
    expect(await ids({ metadata: { installation: "1" } })).toEqual([]);
    expect(await ids({ key: "b" })).toEqual([b]);
    expect(await ids({ metadata: { installation: 1 }, status: ["failed"] })).toEqual([]);
  });

  it("checks run.<property> statically; anything under run.metadata is the host's", () => {
    const kinds = createEngine({ journal: new MemoryJournal() }).register("look", async () => ({})).kinds;
    const workflow = (expression: string) =>
      `name: w\nstages: [{ id: s, steps: [{ id: l, look: { v: "\${{ ${expression} }}" } }] }]\n`;
    for (const ok of [
      "run.id",
      "run.correlation_id",
      "run.key",
      "run.metadata",
      "run.metadata.pr['head'].sha",
    ]) {
      expect(() => parseWorkflow(workflow(ok), { file: "w.yml", kinds })).not.toThrow();
    }
    expect(() => parseWorkflow(workflow("run.metdata.pr"), { file: "w.yml", kinds })).toThrow(
      "unknown run property 'metdata' (did you mean 'metadata'?)",
    );
    expect(() => parseWorkflow(workflow("run.installation"), { file: "w.yml", kinds })).toThrow(
      "unknown run property 'installation' (known: id, correlation_id, key, metadata)",
    );
  });
});
