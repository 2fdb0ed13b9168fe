import nock from "nock";
import { type Engine, isRefused, isRunBusy } from "stageflow";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadRunCost } from "../../../src/observe/index.js";
import { githubNock } from "../../support/openapi.js";
import { harness, METADATA, nextEvent, outputsOf, plan } from "./support.js";

const REPO = "/repos/octo-org/octo-repo";
const DISPATCHES = `${REPO}/actions/workflows/e2e.yml/dispatches`;
const RUN_URL = "https://github.com/octo-org/octo-repo/actions/runs/4242";
const DETAILS = {
  workflow_run_id: 4242,
  run_url: "https://api.github.com/repos/octo-org/octo-repo/actions/runs/4242",
  html_url: RUN_URL,
};
const E2E = `  - id: test\n    steps: [{ id: e2e, dispatch: { workflow: e2e.yml, ref: main, inputs: { suite: full } } }]\n`;

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isRefused(error) ? error.code : String(error);
  }
}

/** Resumes the run once the execution that just ended it here has let it go. */
async function resumeWhenIdle(engine: Engine, runId: string) {
  for (;;) {
    try {
      return await engine.resume(runId);
    } catch (error) {
      if (!isRunBusy(error)) throw error;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

describe("the dispatch kind", () => {
  it("dispatches, parks holding nothing, and succeeds when the host signals the workflow run's result", async () => {
    const { engine, dispatches } = harness();
    const api = githubNock();
    api
      .scope()
      .post(DISPATCHES, { ref: "main", inputs: { suite: "full" }, return_run_details: true })
      .reply(200, DETAILS)
      .get(`${REPO}/actions/runs/4242`)
      .reply(200, { id: 4242, status: "in_progress", conclusion: null, html_url: RUN_URL });
    const parked = nextEvent(engine, "run.parked");
    const handle = await engine.start(plan(engine, E2E), { metadata: METADATA });
    expect((await parked).payload).toEqual({ wakeAt: null, signals: ["dispatch:e2e"] });
    expect(await handle.done).toMatchObject({ status: "waiting", reason: "parked" });
    expect(await dispatches.get(`${handle.runId}/e2e`)).toMatchObject({
      runId: handle.runId,
      stepId: "e2e",
      signal: "dispatch:e2e",
      installationId: 42,
      owner: "octo-org",
      repo: "octo-repo",
      workflow: "e2e.yml",
      workflowRunId: 4242,
      url: RUN_URL,
      status: "waiting",
    });

    const succeeded = nextEvent(engine, "run.succeeded", handle.runId);
    await engine.signal(handle.runId, "dispatch:e2e", {
      workflowRunId: 4242,
      conclusion: "success",
      url: RUN_URL,
    });
    await succeeded;
    expect(await outputsOf(engine, handle.runId, "e2e")).toMatchObject({
      outputs: { conclusion: "success", url: RUN_URL, run_id: 4242 },
    });
    expect((await dispatches.get(`${handle.runId}/e2e`))?.status).toBe("completed");
    expect(api.writes()).toHaveLength(1);
    api.assertValid();
  });

  it("a step that runs again after its process stopped waits for the same workflow run: one dispatch", async () => {
    // The first engine keeps the wait in memory (it never parks) and is stopped mid-wait; the run
    // stays `running` and a second engine on the same journal and registry takes it over.
    const first = harness({ parkAfterMs: 3_600_000 });
    const api = githubNock();
    api
      .scope()
      .post(DISPATCHES)
      .once()
      .reply(200, DETAILS)
      .get(`${REPO}/actions/runs/4242`)
      .reply(200, { id: 4242, status: "queued", conclusion: null, html_url: RUN_URL });
    const handle = await first.engine.start(plan(first.engine, E2E), { metadata: METADATA });
    while ((await first.dispatches.waiting()).length === 0) await new Promise((r) => setImmediate(r));
    await first.engine.close();
    expect((await first.journal.getRun(handle.runId))?.status).toBe("running");

    const second = harness({ journal: first.journal, clock: first.clock, dispatches: first.dispatches });
    const succeeded = nextEvent(second.engine, "run.succeeded", handle.runId);
    const resumed = await second.engine.resumeAll();
    expect(resumed.map((h) => h.runId)).toEqual([handle.runId]);
    await second.engine.signal(handle.runId, "dispatch:e2e", {
      workflowRunId: 4242,
      conclusion: "neutral",
      url: RUN_URL,
    });
    await succeeded;
    expect(api.writes()).toHaveLength(1);
    expect(first.dispatches.puts).toBe(1);
    expect(api.requests.map((r) => r.operation)).toEqual([
      "actions/create-workflow-dispatch",
      "actions/get-workflow-run",
    ]);
    api.assertValid();
    await second.engine.close();
  });

  it("a workflow run that completed while nobody listened is found by asking GitHub once", async () => {
    const api = githubNock();
    api.scope().post(DISPATCHES).reply(200, DETAILS).get(`${REPO}/actions/runs/4242`).reply(200, {
      id: 4242,
      status: "completed",
      conclusion: "success",
      html_url: RUN_URL,
      run_started_at: "2026-12-01T10:00:00Z",
      updated_at: "2026-12-01T10:07:30Z",
    });
    const { engine, dispatches, journal } = harness();
    const handle = await engine.start(plan(engine, E2E), { metadata: METADATA });
    expect(await handle.done).toMatchObject({ status: "waiting", reason: "parked" });
    // What a restarted app does for a parked run: resume it; its step asks GitHub.
    const resumed = await engine.resume(handle.runId);
    expect(await resumed.done).toMatchObject({ status: "succeeded" });
    expect((await dispatches.get(`${handle.runId}/e2e`))?.status).toBe("completed");
    // The workflow run's times are outputs: the cost report's runner minutes.
    expect(await outputsOf(engine, handle.runId, "e2e")).toMatchObject({
      outputs: { run_started_at: "2026-12-01T10:00:00Z", run_updated_at: "2026-12-01T10:07:30Z" },
    });
    expect((await loadRunCost(journal, handle.runId))?.units).toEqual({
      github_api_calls: 2,
      runner_minutes: 7.5,
      http_calls: 0,
    });
    api.assertValid();
  });

  it("a failed workflow run fails the step with the run's URL; ref defaults to the repository's default branch", async () => {
    const { engine } = harness();
    const api = githubNock();
    api
      .scope()
      .get(REPO)
      .reply(200, { id: 1, name: "octo-repo", default_branch: "trunk" })
      .post(DISPATCHES, { ref: "trunk", return_run_details: true })
      .reply(200, DETAILS)
      .get(`${REPO}/actions/runs/4242`)
      .reply(200, { id: 4242, status: "in_progress", conclusion: null, html_url: RUN_URL });
    const handle = await engine.start(
      plan(engine, `  - id: test\n    steps: [{ id: e2e, dispatch: e2e.yml }]\n`),
      { metadata: METADATA },
    );
    await handle.done;
    const failed = nextEvent(engine, "run.failed", handle.runId);
    await engine.signal(handle.runId, "dispatch:e2e", {
      workflowRunId: 4242,
      conclusion: "failure",
      url: RUN_URL,
    });
    const event = await failed;
    expect(JSON.stringify(event.payload)).toContain(`ended failure: ${RUN_URL}`);
    api.assertValid();
  });

  it("resuming the failed run dispatches again and waits for the new workflow run by asking GitHub", async () => {
    const { engine, clock, dispatches } = harness();
    const api = githubNock();
    const NEXT_URL = "https://github.com/octo-org/octo-repo/actions/runs/4243";
    api
      .scope()
      .post(DISPATCHES)
      .reply(200, DETAILS)
      .get(`${REPO}/actions/runs/4242`)
      .reply(200, { id: 4242, status: "in_progress", conclusion: null, html_url: RUN_URL });
    const handle = await engine.start(plan(engine, E2E), { metadata: METADATA });
    await handle.done;
    const failed = nextEvent(engine, "run.failed", handle.runId);
    await engine.signal(handle.runId, "dispatch:e2e", {
      workflowRunId: 4242,
      conclusion: "failure",
      url: RUN_URL,
    });
    await failed;

    // `/stageflow retry`: the host resumes the failed run; the step sees the failure and dispatches again.
    api
      .scope()
      .get(`${REPO}/actions/runs/4242`)
      .reply(200, { id: 4242, status: "completed", conclusion: "failure", html_url: RUN_URL })
      .post(DISPATCHES)
      .reply(200, { ...DETAILS, workflow_run_id: 4243, html_url: NEXT_URL })
      .get(`${REPO}/actions/runs/4243`)
      .reply(200, { id: 4243, status: "completed", conclusion: "success", html_url: NEXT_URL });
    const parked = nextEvent(engine, "run.parked", handle.runId);
    const resumed = await resumeWhenIdle(engine, handle.runId);
    expect((await parked).payload).toEqual({ wakeAt: clock.now() + 60_000, signals: [] });
    expect(await resumed.done).toMatchObject({ status: "waiting", reason: "parked" });
    expect((await dispatches.get(`${handle.runId}/e2e`))?.workflowRunId).toBe(4243);

    const succeeded = nextEvent(engine, "run.succeeded", handle.runId);
    await clock.advance(60_000);
    await succeeded;
    expect(await outputsOf(engine, handle.runId, "e2e")).toMatchObject({
      outputs: { conclusion: "success", url: NEXT_URL, run_id: 4243 },
    });
    expect(api.writes()).toHaveLength(2);
    api.assertValid();
  });

  it("engine.signal takes dispatch:<step id> for a run with that step and refuses other names", async () => {
    const { engine } = harness();
    githubNock().scope().post(DISPATCHES).reply(200, DETAILS);
    const handle = await engine.start(plan(engine, E2E), { metadata: METADATA });
    await handle.done;
    expect(await code(engine.signal(handle.runId, "dispatch:other"))).toBe("signal_unknown");
    expect(await code(engine.signal(handle.runId, "approve"))).toBe("signal_unknown");
  });

  it("a bad config is refused when the workflow is read", () => {
    const { engine } = harness();
    expect(() =>
      plan(
        engine,
        `  - id: t\n    steps: [{ id: e2e, dispatch: { workflow: e2e.yml, repo: nope, when: now } }]\n`,
      ),
    ).toThrow(/repo.*owner\/name[\s\S]*when.*unknown key|when.*unknown key[\s\S]*repo.*owner\/name/);
  });
});
