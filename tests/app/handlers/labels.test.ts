import { afterEach, describe, expect, it } from "vitest";
import { example, type Harness, harness, labeled, SHA } from "./harness.js";
import { LABELLED, RELEASE } from "./workflows.js";

let h: Harness | undefined;
afterEach(async () => {
  expect(h?.gh.problems ?? []).toEqual([]);
  await h?.close();
  h = undefined;
});

describe("a label starts a workflow", () => {
  it("on an issue: the run finishes and its status comment says so", async () => {
    h = await harness({ files: { ".github/stageflow/triage.yml": LABELLED } });
    await h.send("issues", labeled("triage"));
    const run = await h.runWhere((r) => r.status === "succeeded");
    expect(run.workflow).toBe("triage");
    expect(run.metadata).toMatchObject({
      installationId: 1,
      owner: "Codertocat",
      repo: "Hello-World",
      issue: 1,
      pr: false,
      headSha: null,
      actor: "Codertocat",
      source: "label",
    });
    expect(run.trigger).toMatchObject({ kind: "label", actor: "Codertocat", detail: "triage" });
    await h.reporter.flush();
    const comments = [...h.gh.comments.values()];
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain(`<!-- stageflow:run:${run.id} -->`);
    expect(comments[0]!.body).toContain("triage**: succeeded");
    // A plain issue has no commit: no check run.
    expect(h.gh.checkRuns.size).toBe(0);
  });

  it("on a PR: its check run on the head SHA completes with the summary", async () => {
    h = await harness({
      files: { ".github/stageflow/triage.yml": LABELLED },
      github: { pulls: { 2: { sha: SHA } } },
    });
    const payload = example("pull_request", "labeled");
    payload.label.name = "triage";
    payload.pull_request.head.sha = SHA;
    await h.send("pull_request", payload);
    const run = await h.runWhere((r) => r.status === "succeeded");
    expect(run.metadata).toMatchObject({ issue: 2, pr: true, headSha: SHA });
    await h.reporter.flush();
    const checks = [...h.gh.checkRuns.values()];
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({
      head_sha: SHA,
      name: "stageflow: triage",
      external_id: run.id,
      status: "completed",
      conclusion: "success",
    });
    expect(checks[0]!.output.summary).toContain("| read | succeeded | 1 |");
    expect(checks[0]!.output.summary).toContain("| sort | succeeded | 1 |");
    expect([...h.gh.comments.values()].filter((c) => c.issue === 2)).toHaveLength(1);
  });

  it("a label no workflow listens to starts nothing and says nothing", async () => {
    h = await harness({ files: { ".github/stageflow/triage.yml": LABELLED } });
    await h.send("issues", labeled("bug"));
    expect(await h.runs()).toEqual([]);
    expect(h.gh.writes()).toEqual([]);
  });

  it("a redelivered label starts nothing more", async () => {
    h = await harness({ files: { ".github/stageflow/triage.yml": LABELLED } });
    const id = await h.send("issues", labeled("triage"));
    await h.runWhere((r) => r.status === "succeeded");
    await h.send("issues", labeled("triage"), id);
    expect(await h.runs()).toHaveLength(1);
  });

  it("a label from someone without write permission is refused with what is needed", async () => {
    h = await harness({
      files: { ".github/stageflow/triage.yml": LABELLED },
      github: { permissions: { Codertocat: "admin", reader: "read" } },
    });
    await h.send("issues", labeled("triage", "reader"));
    expect(await h.runs()).toEqual([]);
    const [reply] = h.replies();
    expect(reply!.body).toContain("reply-refused");
    expect(reply!.body).toContain("write permission on the repository");
  });

  it("a workflow whose inputs are required cannot start from a label: the reply names the input", async () => {
    h = await harness({ files: { ".github/stageflow/release.yml": RELEASE } });
    await h.send("issues", labeled("release"));
    expect(await h.runs()).toEqual([]);
    expect(h.replies()[0]!.body).toContain("missing required input 'env'");
  });

  it("a PR from a fork cannot start a workflow that needs trust", async () => {
    h = await harness({
      files: { ".github/stageflow/triage.yml": LABELLED },
      settings: { needs_trust: ["triage"] },
      github: { pulls: { 2: { sha: SHA, fork: true } } },
    });
    const payload = example("pull_request", "labeled");
    payload.label.name = "triage";
    payload.pull_request.head.repo.full_name = "someone/Hello-World";
    await h.send("pull_request", payload);
    expect(await h.runs()).toEqual([]);
    const [reply] = h.replies(2);
    expect(reply!.body).toContain("reply-refused");
    expect(reply!.body).toContain("fork");
  });

  it("a label of a workflow file that does not validate gets a reply with file:line", async () => {
    const file = ".github/stageflow/triage.yml";
    h = await harness({
      files: {},
      invalid: [
        {
          file,
          labels: ["triage"],
          commands: [],
          problems: [{ file, line: 7, column: 5, message: "stages: required" }],
        },
      ],
    });
    await h.send("issues", labeled("triage"));
    const [reply] = h.replies();
    expect(reply!.body).toContain("reply-workflow-error");
    expect(reply!.body).toContain(".github/stageflow/triage.yml:7:5");
  });

  it("a push to the default branch forgets the cached workflows; to another branch it does not", async () => {
    h = await harness({ files: {} });
    const push = example("push", "", (e) => e.repository?.default_branch !== undefined);
    push.ref = `refs/heads/${push.repository.default_branch}`;
    await h.send("push", push);
    push.ref = "refs/heads/topic";
    await h.send("push", push);
    expect(h.workflows.invalidated).toHaveLength(1);
  });
});
