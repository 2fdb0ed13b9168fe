import { describe, expect, it } from "vitest";
import { setup, types } from "./harness.js";

describe("priority: higher first in a saturated parallel stage", () => {
  it("starts the first `concurrency` steps by priority, not in file order", async () => {
    const h = setup();
    const plan = h.plan(`
name: prio
stages:
  - id: s
    mode: parallel
    concurrency: 2
    steps:
      - { id: a, task: { sleep: 10 } }
      - { id: b, task: { sleep: 10 }, priority: 1 }
      - { id: c, task: { sleep: 10 }, priority: 10 }
      - { id: d, task: { sleep: 10 }, priority: 5 }
`);
    const { done } = await h.engine.start(plan);
    expect((await done).status).toBe("succeeded");
    expect(h.calls).toEqual(["c#1", "d#1", "b#1", "a#1"]);
  });

  it("starts every step at once in priority order when the stage is not saturated; ties keep file order", async () => {
    const h = setup();
    const plan = h.plan(`
name: prio
stages:
  - id: s
    mode: parallel
    steps:
      - { id: a, task: {} }
      - { id: b, task: {}, priority: 3 }
      - { id: c, task: {} }
      - { id: d, task: {}, priority: 3 }
`);
    await (
      await h.engine.start(plan)
    ).done;
    expect(h.calls).toEqual(["b#1", "d#1", "a#1", "c#1"]);
  });

  it("leaves a sequential stage in file order", async () => {
    const h = setup();
    const plan = h.plan(`
name: seq
stages:
  - id: s
    steps:
      - { id: a, task: {} }
      - { id: b, task: {}, priority: 9 }
`);
    await (
      await h.engine.start(plan)
    ).done;
    expect(h.calls).toEqual(["a#1", "b#1"]);
  });
});

describe("optional: true on its own", () => {
  it("tolerates a failure: the step is skipped as degraded, the run goes on and ends degraded", async () => {
    const h = setup();
    const plan = h.plan(`
name: opt
stages:
  - id: build
    mode: parallel
    steps:
      - { id: app, task: {} }
      - { id: docs, task: { fail: 9, error: "docs broke" }, optional: true }
  - id: ship
    steps: [{ id: upload, task: {} }]
`);
    const { runId, done } = await h.engine.start(plan);
    expect(await done).toMatchObject({ status: "degraded", reason: "degraded" });
    expect(h.count("docs")).toBe(1);
    expect(h.count("upload")).toBe(1);
    const cps = Object.fromEntries(
      (await h.journal.listCheckpoints(runId)).map((c) => [c.stepId, [c.status, c.reason]]),
    );
    expect(cps.docs).toEqual(["skipped", "degraded"]);
    expect(types(h.events, "step.failed")).toEqual([]);
    const decided = h.events.find((e) => e.type === "recovery.decided");
    expect(decided?.payload).toMatchObject({ stepId: "docs", strategy: "degrade", patternId: null });
    const degraded = h.events.find((e) => e.type === "run.degraded");
    expect(degraded?.payload).toMatchObject({ skipped: ["docs"] });
  });

  it("is not retried by the built-in timeout pattern: one attempt, then degraded", async () => {
    const h = setup();
    const plan = h.plan(`
name: opt
stages:
  - id: build
    steps:
      - { id: docs, task: { sleep: 60000 }, timeout: 1s, optional: true }
      - { id: after, task: {} }
`);
    const { done } = await h.engine.start(plan);
    expect(await done).toMatchObject({ status: "degraded" });
    expect(h.count("docs")).toBe(1);
    expect(h.count("after")).toBe(1);
  });

  it("still follows its own retry policy and the workflow's patterns before it is degraded", async () => {
    const h = setup();
    const plan = h.plan(`
name: opt
recovery:
  - { id: flaky, match: "flaky", type: network, strategy: retry, max_attempts: 2, base_delay: 1s }
stages:
  - id: build
    steps:
      - { id: docs, task: { fail: 9, error: "docs broke" }, optional: true, retry: { max_attempts: 3, base_delay: 1s } }
      - { id: pdf, task: { fail: 9, error: "flaky printer" }, optional: true }
`);
    const { done } = await h.engine.start(plan);
    expect(await done).toMatchObject({ status: "degraded" });
    expect(h.count("docs")).toBe(3);
    expect(h.count("pdf")).toBe(2);
  });

  it("with continue_on_error records the failure instead (the run succeeds)", async () => {
    const h = setup();
    const plan = h.plan(`
name: opt
stages:
  - id: s
    steps:
      - { id: docs, task: { fail: 9 }, optional: true, continue_on_error: true }
`);
    const { runId, done } = await h.engine.start(plan);
    expect(await done).toMatchObject({ status: "succeeded" });
    const [cp] = await h.journal.listCheckpoints(runId);
    expect([cp?.status, cp?.reason]).toEqual(["failed", "continued_on_error"]);
  });

  it("a required step that fails still fails the run", async () => {
    const h = setup();
    const plan = h.plan(`
name: req
stages:
  - id: s
    steps:
      - { id: app, task: { fail: 9 } }
`);
    expect(await (await h.engine.start(plan)).done).toMatchObject({ status: "failed" });
  });
});

describe("a step used only as an alternative", () => {
  it("is written with `if: false`: skipped in its stage, run only in the failed step's place", async () => {
    const h = setup();
    const plan = h.plan(`
name: alt
recovery:
  - { id: mirror_down, match: "mirror down", type: network, strategy: alternative, alternatives: [{ step: from_cache }] }
stages:
  - id: build
    steps:
      - { id: fetch, task: { fail: 9, error: "mirror down" } }
      - { id: from_cache, task: { out: { from: cache } }, if: "false" }
  - id: use
    steps:
      - { id: show, task: { out: { got: "\${{ steps.fetch.outputs.from }}" } } }
`);
    const { runId, done } = await h.engine.start(plan);
    expect((await done).status).toBe("succeeded");
    // from_cache's definition ran once, as fetch's second attempt; its own place was skipped.
    expect(h.calls).toEqual(["fetch#1", "fetch#2", "show#1"]);
    const cps = Object.fromEntries((await h.journal.listCheckpoints(runId)).map((c) => [c.stepId, c]));
    expect(cps.from_cache?.reason).toBe("condition_false");
    expect(cps.show?.outputs).toMatchObject({ got: "cache" });
  });
});
