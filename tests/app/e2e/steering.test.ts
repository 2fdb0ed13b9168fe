/**
 * Steering runs end to end: the whole app (startApp, real HTTP server, SQLite file) receiving
 * signed deliveries of @octokit/webhooks-examples payloads, against the loopback GitHub.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  button,
  comment,
  labeled,
  SHA,
  type Steering,
  steering,
  workflowRunCompleted,
} from "./steering-support.js";

let s: Steering | undefined;
afterEach(async () => {
  const problems = s?.gh.problems ?? [];
  await s?.close();
  s = undefined;
  expect(problems).toEqual([]);
});

/** Two `github` steps; the second (one attempt) reads a comment, so a fault on it fails the run. */
const TWO = `
name: two
on: { labels: [two] }
stages:
  - id: only
    steps:
      - id: first
        github: issues.addLabels
        with: { labels: [one] }
      - id: second
        github: issues.getComment
        with: { comment_id: 7 }
        retry: { max_attempts: 1 }
`;

/** A user's comment (id 7) on PR 2 that the `second` step reads. */
function seedComment(s: Steering, id = 7, body = "hello", issue = 2) {
  s.gh.comments.set(id, {
    id,
    issue,
    body,
    user: { login: "Codertocat", type: "User" },
    performed_via_github_app: null,
  });
}

async function failedRunOnPr(s: Steering) {
  seedComment(s);
  s.gh.fail({ operation: "issues/get-comment", status: 422 });
  await s.send("issue_comment", comment("/stageflow run two", { pr: 2, id: 5001 }));
  const run = await s.runWhere((r) => r.status === "failed");
  await s.flush();
  return run;
}

/** Flushes the reporter until the PR's check run is completed (writes retried after faults). */
async function settled(s: Steering, done: () => boolean) {
  for (let i = 0; i < 50 && !done(); i++) {
    await s.flush();
    if (!done()) await new Promise((r) => setTimeout(r, 20));
  }
}

const pulls = { 2: { sha: SHA } };

it("/stageflow retry re-runs only the failed step, and the run's one comment and check run end succeeded", async () => {
  s = await steering({ workflows: { "two.yml": TWO }, github: { pulls } });
  const run = await failedRunOnPr(s);
  expect(s.requestsOf("issues/add-labels")).toHaveLength(1);
  expect(s.requestsOf("issues/get-comment").map((r) => r.status)).toEqual([422]);
  expect([...s.gh.checkRuns.values()]).toEqual([expect.objectContaining({ conclusion: "failure" })]);

  await s.send("issue_comment", comment("/stageflow retry", { pr: 2, id: 5002 }));
  await s.runWhere((r) => r.id === run.id && r.status === "succeeded");
  await s.flush();
  expect(s.requestsOf("issues/add-labels")).toHaveLength(1);
  expect(s.requestsOf("issues/get-comment").map((r) => r.status)).toEqual([422, 200]);
  expect((await s.app.engine.listRuns()).map((r) => r.id)).toEqual([run.id]);
  expect(s.statusComments(2)).toHaveLength(1);
  expect(s.statusComments(2)[0]!.body).toContain(run.id);
  expect([...s.gh.checkRuns.values()]).toEqual([
    expect.objectContaining({ status: "completed", conclusion: "success", external_id: run.id }),
  ]);
});

const GATED = `
name: gated
on: { labels: [gated] }
stages:
  - id: gate
    steps:
      - { id: ok, approval: { permission: write } }
  - id: ship
    steps:
      - id: label
        github: issues.addLabels
        with: { labels: [shipped] }
`;

it("approve by a reader is refused with a reply; by a writer it continues the run; action_required while waiting", async () => {
  s = await steering({
    workflows: { "gated.yml": GATED },
    github: { pulls, permissions: { Codertocat: "admin", reader: "read", writer: "write" } },
  });
  await s.send("issue_comment", comment("/stageflow run gated", { pr: 2, id: 5001 }));
  const run = await s.runWhere((r) => r.status === "waiting");
  await s.flush();
  expect([...s.gh.checkRuns.values()]).toEqual([
    expect.objectContaining({ external_id: run.id, status: "completed", conclusion: "action_required" }),
  ]);

  await s.send("issue_comment", comment("/stageflow approve", { pr: 2, id: 5002, login: "reader" }));
  expect((await s.app.engine.report(run.id)).run.status).toBe("waiting");
  expect(s.requestsOf("issues/add-labels")).toHaveLength(0);
  const refusal = s.replies(2).at(-1);
  expect(refusal?.body).toMatch(/reader/);
  expect(refusal?.body).toMatch(/write/);
  expect(s.gh.reactions).toContainEqual({ commentId: 5002, content: "-1" });

  await s.send("issue_comment", comment("/stageflow approve", { pr: 2, id: 5003, login: "writer" }));
  await s.runWhere((r) => r.id === run.id && r.status === "succeeded");
  await s.flush();
  expect(s.requestsOf("issues/add-labels")).toHaveLength(1);
  const approval = (await s.app.engine.report(run.id)).stages[0]!.steps[0]!;
  expect(approval.outputs).toMatchObject({ approved_by: "writer" });
  expect(s.statusComments(2)).toHaveLength(1);
  expect([...s.gh.checkRuns.values()]).toEqual([
    expect.objectContaining({ status: "completed", conclusion: "success" }),
  ]);
});

describe("check-run buttons", () => {
  it.each(["retry", "resume"])("the %s button resumes a failed run", async (identifier) => {
    s = await steering({ workflows: { "two.yml": TWO }, github: { pulls } });
    const run = await failedRunOnPr(s);
    await s.send("check_run", button(identifier, run.id));
    await s.runWhere((r) => r.id === run.id && r.status === "succeeded");
    await s.flush();
    expect(s.requestsOf("issues/add-labels")).toHaveLength(1);
    expect(s.requestsOf("issues/get-comment").map((r) => r.status)).toEqual([422, 200]);
    expect([...s.gh.checkRuns.values()]).toEqual([
      expect.objectContaining({ status: "completed", conclusion: "success", external_id: run.id }),
    ]);
  });
});

it("the approve button continues a run waiting for approval", async () => {
  s = await steering({ workflows: { "gated.yml": GATED }, github: { pulls } });
  await s.send("issue_comment", comment("/stageflow run gated", { pr: 2, id: 5001 }));
  const run = await s.runWhere((r) => r.status === "waiting");
  await s.flush();
  const [check] = [...s.gh.checkRuns.values()];
  expect(check!.actions).toContainEqual(expect.objectContaining({ identifier: "approve" }));
  await s.send("check_run", button("approve", run.id));
  await s.runWhere((r) => r.id === run.id && r.status === "succeeded");
  await s.flush();
  expect(s.requestsOf("issues/add-labels")).toHaveLength(1);
  expect([...s.gh.checkRuns.values()]).toEqual([
    expect.objectContaining({ status: "completed", conclusion: "success" }),
  ]);
});

const DISPATCH = `
name: e2e
on: { labels: [e2e] }
stages:
  - id: test
    steps:
      - { id: suite, dispatch: { workflow: e2e.yml, ref: master } }
      - id: label
        github: issues.addLabels
        with: { labels: [tested] }
`;

describe("a dispatch step", () => {
  async function parked(s: Steering) {
    await s.send("issues", labeled("e2e"));
    const run = await s.runWhere((r) => r.status === "waiting");
    expect(s.gh.dispatches).toHaveLength(1);
    expect(s.gh.dispatches[0]).toMatchObject({ workflow: "e2e.yml", ref: "master" });
    return { run, workflowRunId: s.gh.dispatches[0]!.runId };
  }

  async function finished(s: Steering, runId: string) {
    await s.runWhere((r) => r.id === runId && r.status === "succeeded");
    await s.flush();
    const step = (await s.app.engine.report(runId)).stages[0]!.steps[0]!;
    expect(step.outputs).toMatchObject({ conclusion: "success" });
    expect(s.requestsOf("issues/add-labels")).toHaveLength(1);
    expect(s.gh.dispatches).toHaveLength(1);
    expect(s.statusComments(1)).toHaveLength(1);
    expect(s.statusComments(1)[0]!.body).toMatch(/succeeded/i);
  }

  it("finishes when its workflow_run.completed arrives", async () => {
    s = await steering({ workflows: { "e2e.yml": DISPATCH } });
    const { run, workflowRunId } = await parked(s);
    await s.send("workflow_run", workflowRunCompleted(workflowRunId + 1));
    expect((await s.app.engine.report(run.id)).run.status).toBe("waiting");
    await s.send("workflow_run", workflowRunCompleted(workflowRunId));
    await finished(s, run.id);
  });

  it("finishes when its workflow_run.completed arrives after a restart of the app", async () => {
    s = await steering({ workflows: { "e2e.yml": DISPATCH } });
    const { run, workflowRunId } = await parked(s);
    await s.restart();
    expect((await s.app.engine.report(run.id)).run.status).toBe("waiting");
    await s.send("workflow_run", workflowRunCompleted(workflowRunId));
    await finished(s, run.id);
  });

  it("finishes through the polling fallback when the webhook never comes", async () => {
    s = await steering({ workflows: { "e2e.yml": DISPATCH } });
    const { run, workflowRunId } = await parked(s);
    expect(await s.app.stageflow!.pollDispatches()).toBe(0);
    s.gh.completeWorkflowRun(workflowRunId);
    expect(await s.app.stageflow!.pollDispatches()).toBe(1);
    await finished(s, run.id);
  });
});

const ONE = `
name: one
on: { labels: [one] }
stages:
  - id: only
    steps:
      - id: label
        github: issues.addLabels
        with: { labels: [done] }
`;

describe("GitHub faults while reporting", () => {
  async function runOnPr(s: Steering) {
    await s.send("issue_comment", comment("/stageflow run one", { pr: 2, id: 5001 }));
    const run = await s.runWhere((r) => r.status === "succeeded");
    const done = () =>
      [...s.gh.checkRuns.values()].some((c) => c.conclusion === "success") &&
      s.statusComments(2).some((c) => /succeeded/i.test(c.body));
    await settled(s, done);
    return run;
  }

  function expectOneOfEach(s: Steering, runId: string) {
    expect(s.statusComments(2)).toHaveLength(1);
    expect(s.statusComments(2)[0]!.body).toContain(`stageflow:run:${runId}`);
    expect([...s.gh.checkRuns.values()]).toEqual([
      expect.objectContaining({ external_id: runId, status: "completed", conclusion: "success" }),
    ]);
  }

  it("a 502 after GitHub applied the comment's and the check run's create still ends with one of each", async () => {
    s = await steering({ workflows: { "one.yml": ONE }, github: { pulls } });
    s.gh.fail({ operation: "issues/create-comment", status: 502, applied: true });
    s.gh.fail({ operation: "checks/create", status: 502, applied: true });
    const run = await runOnPr(s);
    expect(s.requestsOf("issues/create-comment").some((r) => r.status === 502)).toBe(true);
    expect(s.requestsOf("checks/create").some((r) => r.status === 502)).toBe(true);
    expectOneOfEach(s, run.id);
  });

  it("secondary rate limits (403 with retry-after) on updates still end with one comment and one check run, completed", async () => {
    s = await steering({ workflows: { "one.yml": ONE }, github: { pulls } });
    s.gh.fail({
      operation: "issues/update-comment",
      status: 403,
      times: 2,
      headers: { "retry-after": "1", "x-ratelimit-remaining": "0" },
    });
    // The secondary form: a 403 whose message names the secondary rate limit, with retry-after.
    s.gh.fail({ operation: "checks/update", status: 403, times: 2, headers: { "retry-after": "1" } });
    const run = await runOnPr(s);
    expect(s.requestsOf("issues/update-comment").filter((r) => r.status === 403)).toHaveLength(2);
    expect(s.requestsOf("checks/update").filter((r) => r.status === 403)).toHaveLength(2);
    expectOneOfEach(s, run.id);
  });
});

it("a user's comment quoting a run's marker is never edited", async () => {
  const t = (s = await steering({ workflows: { "one.yml": ONE } }));
  // The app's first create is rate limited (not applied; retried in a minute, or at a flush).
  t.gh.fail({ operation: "issues/create-comment", status: 403, headers: { "retry-after": "60" } });
  await t.send("issues", labeled("one"));
  const run = await t.runWhere((r) => r.status === "succeeded");
  const quoted = `> <!-- stageflow:run:${run.id} -->\nwhy did this run?`;
  const seeded = t.gh.requests.length;
  seedComment(t, 6001, quoted, 1);
  await t.send("issue_comment", comment(quoted, { id: 6001 }));
  await settled(t, () => t.statusComments(1).some((c) => /succeeded/i.test(c.body)));

  expect(t.gh.comments.get(6001)?.body).toBe(quoted);
  const edits = t.gh.requests.filter((r) => r.method === "PATCH" && r.path.includes("/issues/comments/"));
  // The app listed the issue's comments while the user's comment was there, and left it alone.
  expect(t.gh.requests.slice(seeded).some((r) => r.operation === "issues/list-comments")).toBe(true);
  expect(edits.filter((r) => r.path.endsWith("/issues/comments/6001"))).toEqual([]);
  expect(t.statusComments(1)).toHaveLength(1);
  expect(t.statusComments(1)[0]!.id).not.toBe(6001);
  expect(t.statusComments(1)[0]!.body).toContain(`stageflow:run:${run.id}`);
});
