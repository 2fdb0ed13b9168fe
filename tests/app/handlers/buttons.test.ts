import { afterEach, describe, expect, it } from "vitest";
import { example, type Harness, harness, SHA } from "./harness.js";
import { RELEASE } from "./workflows.js";

let h: Harness | undefined;
afterEach(async () => {
  expect(h?.gh.problems ?? []).toEqual([]);
  await h?.close();
  h = undefined;
});

const files = { "release.yml": RELEASE };

/** A check_run.requested_action from the examples, moved to the test repository. */
function button(identifier: string, externalId: string, login = "Codertocat") {
  const payload = example("check_run", "requested_action");
  const repo = example("issues", "labeled").repository;
  payload.repository = repo;
  payload.installation = { id: 1 };
  payload.requested_action = { identifier };
  payload.check_run.external_id = externalId;
  payload.sender.login = login;
  return payload;
}

async function failedRunOnPr(h: Harness) {
  const payload = example("issue_comment", "created", (e) => e.installation !== undefined);
  payload.comment.body = "/deploy env=staging";
  payload.issue.number = 2;
  payload.issue.pull_request = { url: "https://api.github.com/repos/Codertocat/Hello-World/pulls/2" };
  await h.send("issue_comment", payload);
  return h.runWhere((r) => r.status === "failed");
}

describe("check-run buttons", () => {
  it("a failed run's check run offers Retry; the button resumes the run, re-running only what failed", async () => {
    h = await harness({ files, failing: ["test"], github: { pulls: { 2: { sha: SHA } } } });
    const run = await failedRunOnPr(h);
    await h.reporter.flush();
    const [check] = [...h.gh.checkRuns.values()];
    expect(check).toMatchObject({ conclusion: "failure", external_id: run.id });
    expect(check!.actions).toEqual([expect.objectContaining({ identifier: "retry", label: "Retry failed" })]);
    h.failing.clear();
    h.executed.length = 0;
    await h.send("check_run", button("retry", run.id));
    await h.runWhere((r) => r.id === run.id && r.status === "succeeded");
    expect(h.executed).toEqual(["test", "publish"]);
    await h.reporter.flush();
    expect(h.gh.checkRuns.size).toBe(1);
    expect([...h.gh.checkRuns.values()][0]).toMatchObject({
      status: "completed",
      conclusion: "success",
      actions: [],
    });
  });

  it("a button pressed by someone without permission is refused on the PR", async () => {
    h = await harness({
      files,
      failing: ["test"],
      github: { pulls: { 2: { sha: SHA } }, permissions: { Codertocat: "admin", reader: "read" } },
    });
    const run = await failedRunOnPr(h);
    h.executed.length = 0;
    await h.send("check_run", button("resume", run.id, "reader"));
    expect(h.executed).toEqual([]);
    expect(h.replies(2).at(-1)!.body).toContain("was refused");
  });

  it("while the settings file has problems, a button is refused like a command: nothing runs, the reply says why", async () => {
    h = await harness({
      files,
      settings: "permission: admin\n",
      failing: ["test"],
      github: { pulls: { 2: { sha: SHA } }, permissions: { Codertocat: "admin", writer: "write" } },
    });
    const run = await failedRunOnPr(h);
    // A typo lands on the default branch: who may act is unknown until it is fixed.
    h.gh.files.set(".github/stageflow.yml", "permission: admn\n");
    h.handlers.workflows.invalidate({ owner: "Codertocat", repo: "Hello-World" });
    h.failing.clear();
    h.executed.length = 0;
    for (const identifier of ["retry", "resume", "cancel"])
      await h.send("check_run", button(identifier, run.id, "writer"));
    expect(h.executed).toEqual([]);
    expect((await h.engine.report(run.id)).run.status).toBe("failed");
    const replies = h.replies(2).slice(-3);
    expect(replies).toHaveLength(3);
    for (const reply of replies) expect(reply.body).toMatch(/`\.github\/stageflow\.yml:1(:\d+)?`/);
  });

  it("a button naming a run of another repository, or no run, does nothing", async () => {
    h = await harness({ files, failing: ["test"], github: { pulls: { 2: { sha: SHA } } } });
    const run = await failedRunOnPr(h);
    const before = h.gh.requests.length;
    const other = button("retry", run.id);
    other.repository.name = "Other";
    other.repository.full_name = "Codertocat/Other";
    await h.send("check_run", other);
    await h.send("check_run", button("retry", "no-such-run"));
    await h.send("check_run", button("lgtm|26764", run.id));
    expect(h.gh.requests.length - before).toBeLessThanOrEqual(1); // at most the installation token
    expect((await h.engine.report(run.id)).run.status).toBe("failed");
  });
});
