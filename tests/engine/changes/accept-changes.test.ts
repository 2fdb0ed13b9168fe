import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isChangesRefused } from "../../../src/engine/changes/accept.js";
import type { Journal } from "../../../src/engine/journal.js";
import { createSqliteJournal } from "../../../src/store/index.js";
import { tempDir } from "../../store/temp.js";
import { setup, types } from "../executor/harness.js";

/** build: compile, docs (skipped by its condition); test: unit fails on its first call. */
const V1 = `
name: rel
inputs: { version: { type: string, default: "1.0" } }
stages:
  - id: build
    steps:
      - { id: compile, task: { out: { bin: app } } }
      - { id: docs, task: {}, if: "false" }
  - id: test
    steps:
      - { id: unit, task: { fail: 1 } }
`;

async function failedRun() {
  const dir = await tempDir();
  const journal: Journal = createSqliteJournal({ path: join(dir, "state.db"), durability: "process" });
  const h = setup({ journal });
  const { runId, done } = await h.engine.start(h.plan(V1));
  expect(await done).toMatchObject({ status: "failed" });
  return { h, runId, journal };
}

describe("resume --accept-changes (real SQLite)", () => {
  it("continues under a safe change: kept results stay, new steps run, removed ones go, the event records it", async () => {
    const { h, runId, journal } = await failedRun();
    const v2 = h.plan(`
name: rel
inputs:
  version: { type: string, default: "1.0" }
  channel: { type: string, default: stable }
stages:
  - id: build
    steps:
      - { id: compile, task: { out: { bin: app } }, retry: { max_attempts: 2 } }
      - { id: docs, task: {}, if: "true" }
  - id: test
    steps:
      - { id: unit, task: {}, timeout: 1m }
      - { id: lint, task: { out: { channel: "\${{ inputs.channel }}" } } }
`);
    const before = h.calls.length;
    const { done } = await h.engine.resume(runId, { plan: v2, acceptChanges: true });
    expect(await done).toMatchObject({ status: "succeeded" });
    // compile kept its result (only its retry changed); docs ran (its condition changed); unit and lint ran.
    expect(h.calls.slice(before).sort()).toEqual(["docs#1", "lint#1", "unit#2"]);
    const run = await journal.getRun(runId);
    expect(run?.definitionHash).toBe(v2.hash);
    expect(run?.inputs).toEqual({ version: "1.0", channel: "stable" });
    const accepted = (await journal.listEvents(runId)).find((e) => e.type === "run.changes_accepted");
    expect(accepted?.payload).toEqual({
      previousHash: h.plan(V1).hash,
      hash: v2.hash,
      added: ["lint"],
      removed: [],
      changed: ["compile", "docs", "unit"],
      rerun: ["docs"],
    });
    const cps = Object.fromEntries((await journal.listCheckpoints(runId)).map((c) => [c.stepId, c.outputs]));
    expect(cps.lint).toMatchObject({ channel: "stable" });
    // The new definition is the run's own now: a plain resume of it is not a change.
    const report = await h.engine.report(runId);
    expect(report.stages.flatMap((s) => s.steps.map((st) => [st.id, st.status]))).toEqual([
      ["compile", "succeeded"],
      ["docs", "succeeded"],
      ["unit", "succeeded"],
      ["lint", "succeeded"],
    ]);
    await journal.close();
  });

  it("drops a removed step that succeeded (its attempts stay) and refuses its id coming back", async () => {
    const { h, runId, journal } = await failedRun();
    const without = h.plan(`
name: rel
inputs: { version: { type: string, default: "1.0" } }
stages:
  - id: build
    steps:
      - { id: docs, task: {}, if: "false" }
  - id: test
    steps:
      - { id: unit, task: {} }
`);
    const { done } = await h.engine.resume(runId, { plan: without, acceptChanges: true });
    expect(await done).toMatchObject({ status: "succeeded" });
    expect((await journal.listCheckpoints(runId)).map((c) => c.stepId).sort()).toEqual(["docs", "unit"]);
    expect((await journal.listAttempts(runId)).filter((a) => a.stepId === "compile")).toHaveLength(1);
    await journal.close();
  });

  it("refuses an unsafe change with every reason, and records nothing", async () => {
    const { h, runId, journal } = await failedRun();
    const unsafe = h.plan(`
name: rel
inputs:
  version: { type: string, default: "1.0" }
  target: { type: string, required: true }
stages:
  - id: setup
    steps:
      - { id: fetch, task: {} }
  - id: build
    steps:
      - { id: compile, task: { out: { bin: other } } }
      - { id: docs, task: {}, if: "false" }
  - id: test
    steps:
      - { id: unit, task: {} }
`);
    const events = (await journal.listEvents(runId)).length;
    const error = await h.engine
      .resume(runId, { plan: unsafe, acceptChanges: true })
      .catch((e: unknown) => e);
    expect(isChangesRefused(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain("step 'compile' already succeeded and what it runs changed (task)");
    expect(message).toContain(
      "step 'fetch' in stage 'setup' would run after stage 'build', which already ran",
    );
    expect(message).toContain("missing required input 'target'");
    const run = await journal.getRun(runId);
    expect([run?.status, run?.definitionHash, run?.leaseOwner]).toEqual(["failed", h.plan(V1).hash, null]);
    expect((await journal.listEvents(runId)).length).toBe(events);
    expect(types(h.events).filter((t) => t === "run.changes_accepted")).toEqual([]);
    await journal.close();
  });

  it("without --accept-changes a changed definition still blocks the run, and says how to go on", async () => {
    const { h, runId, journal } = await failedRun();
    const v2 = h.plan(V1.replace("fail: 1", "fail: 0"));
    const result = await (await h.engine.resume(runId, { plan: v2 })).done;
    expect(result).toMatchObject({ status: "blocked", reason: "definition_changed" });
    expect(result.error?.message).toContain("accept the changes (resume --accept-changes)");
    const { done } = await h.engine.resume(runId, { plan: v2, acceptChanges: true });
    expect(await done).toMatchObject({ status: "succeeded" });
    await journal.close();
  });
});
