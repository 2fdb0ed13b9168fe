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
    h = await harness({ files: { "triage.yml": LABELLED } });
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
    expect(comments[0]!.body).toContain("**triage** succeeded");
    // A plain issue has no commit: no check run.
    expect(h.gh.checkRuns.size).toBe(0);
  });

  it("on a PR: its check run on the head SHA completes with the summary", async () => {
    h = await harness({
      files: { "triage.yml": LABELLED },
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
    expect(checks[0]!.output.summary).toMatch(/read \| succeeded \| 1 \|/);
    expect(checks[0]!.output.summary).toMatch(/sort \| succeeded \| 1 \|/);
    expect([...h.gh.comments.values()].filter((c) => c.issue === 2)).toHaveLength(1);
  });

  it("a label no workflow listens to starts nothing and says nothing", async () => {
    h = await harness({ files: { "triage.yml": LABELLED } });
    await h.send("issues", labeled("bug"));
    expect(await h.runs()).toEqual([]);
    expect(h.gh.writes()).toEqual([]);
  });

  it("a redelivered label starts nothing more", async () => {
    h = await harness({ files: { "triage.yml": LABELLED } });
    const id = await h.send("issues", labeled("triage"));
    await h.runWhere((r) => r.status === "succeeded");
    await h.send("issues", labeled("triage"), id);
    expect(await h.runs()).toHaveLength(1);
  });

  it("a label two workflows list starts both, once each: a redelivery starts neither again", async () => {
    const notify = LABELLED.replace("name: triage", "name: notify");
    h = await harness({ files: { "triage.yml": LABELLED, "notify.yml": notify } });
    const id = await h.send("issues", labeled("triage"));
    await h.runWhere((r) => r.workflow === "notify" && r.status === "succeeded");
    await h.runWhere((r) => r.workflow === "triage" && r.status === "succeeded");
    await h.send("issues", labeled("triage"), id);
    const runs = await h.runs();
    expect(runs.map((r) => [r.workflow, r.key]).sort()).toEqual([
      ["notify", `delivery:${id}:notify`],
      ["triage", `delivery:${id}:triage`],
    ]);
  });

  it("a label from someone without write permission is refused with what is needed", async () => {
    h = await harness({
      files: { "triage.yml": LABELLED },
      github: { permissions: { Codertocat: "admin", reader: "read" } },
    });
    await h.send("issues", labeled("triage", "reader"));
    expect(await h.runs()).toEqual([]);
    const [reply] = h.replies();
    expect(reply!.body).toContain("was refused");
    expect(reply!.body).toContain("It needs **write** permission on this repository");
  });

  it("a workflow whose inputs are required cannot start from a label: the reply names the input", async () => {
    h = await harness({ files: { "release.yml": RELEASE } });
    await h.send("issues", labeled("release"));
    expect(await h.runs()).toEqual([]);
    expect(h.replies()[0]!.body).toContain("missing required input 'env'");
  });

  it("a PR from a fork cannot start a workflow that needs trust", async () => {
    h = await harness({
      files: { "triage.yml": LABELLED },
      settings: "needs_trust: [triage]\n",
      github: { pulls: { 2: { sha: SHA, fork: true } } },
    });
    const payload = example("pull_request", "labeled");
    payload.label.name = "triage";
    payload.pull_request.head.repo.full_name = "someone/Hello-World";
    await h.send("pull_request", payload);
    expect(await h.runs()).toEqual([]);
    const [reply] = h.replies(2);
    expect(reply!.body).toContain("was refused: a pull request from a fork cannot start triage");
  });

  it("a label of a workflow file that does not validate gets a reply with file:line", async () => {
    h = await harness({
      files: {
        "triage.yml": "name: triage\non: { labels: [triage] }\nstages:\n  - id: look\n    stepz: []\n",
      },
    });
    await h.send("issues", labeled("triage"));
    expect(await h.runs()).toEqual([]);
    const [reply] = h.replies();
    expect(reply!.body).toMatch(/triage\.yml` on the default branch has (a problem|\d+ problems)/);
    expect(reply!.body).toContain("missing required key 'steps'");
    expect(reply!.body).toMatch(/`\.github\/stageflow\/triage\.yml:\d+(:\d+)?`/);
  });

  it("while the settings file has problems, nothing starts and the reply says why", async () => {
    h = await harness({ files: { "triage.yml": LABELLED }, settings: "permission: writ\n" });
    await h.send("issues", labeled("triage"));
    expect(await h.runs()).toEqual([]);
    expect(h.replies()[0]!.body).toContain(".github/stageflow.yml:1");
  });

  it("a push to the default branch forgets the cached workflows; to another branch it does not", async () => {
    h = await harness({ files: { "triage.yml": LABELLED } });
    const push = example("push", "", (e) => e.repository?.default_branch !== undefined);
    push.repository.default_branch = "master";
    await h.send("issues", labeled("nothing")); // loads (and caches) the configuration
    const listings = h.handlers.workflows.stats().listings;
    await h.send("issues", labeled("nothing"));
    expect(h.handlers.workflows.stats().listings).toBe(listings); // cached
    push.ref = "refs/heads/topic";
    await h.send("push", push);
    await h.send("issues", labeled("nothing"));
    expect(h.handlers.workflows.stats().listings).toBe(listings);
    push.ref = "refs/heads/master";
    await h.send("push", push);
    await h.send("issues", labeled("nothing"));
    expect(h.handlers.workflows.stats().listings).toBeGreaterThan(listings);
  });
});
