/**
 * Triggers end to end: signed deliveries built from @octokit/webhooks-examples payloads sent over
 * the app's real HTTP server (startApp, SQLite file), GitHub answered by the loopback fake; each
 * test asserts what GitHub received and that every request was valid per @octokit/openapi.
 */
import { afterEach, describe, expect, it } from "vitest";
import { comment, type E2E, example, labeled, SHA, startE2E } from "./harness.js";

const TRIAGE = `name: triage
on: { labels: [triage] }
stages:
  - id: sort
    steps:
      - id: mark
        github: issues.addLabels
        with: { labels: [triaged] }
  - id: tell
    steps:
      - id: note
        github: issues.addLabels
        with: { labels: [sorted] }
`;

const DEPLOY = `name: deploy
description: Ships the app.
on: { commands: [deploy] }
inputs:
  env: { type: choice, options: [staging, production], required: true }
stages:
  - id: ship
    steps:
      - id: mark
        github: issues.addLabels
        with:
          labels: ["deployed-\${{ inputs.env }}"]
`;

let e2e: E2E | undefined;
afterEach(async () => {
  await e2e?.close();
  e2e = undefined;
});

/** Labels the app added through `issues.addLabels`, per request. */
const addedLabels = (t: E2E) =>
  t.requestsOf("issues/add-labels").map((r) => (r.body as { labels: string[] }).labels);

/** A pull_request.labeled payload for `label` on PR 2 (head SHA as the example has it). */
function prLabeled(label: string) {
  const payload = example("pull_request", "labeled");
  payload.label.name = label;
  return payload;
}

describe("labels", () => {
  it("a label on a PR starts its workflow; the check run on the head SHA completes success with the stage table", async () => {
    const t = (e2e = await startE2E({ workflows: { "triage.yml": TRIAGE }, pulls: { 2: { sha: SHA } } }));
    const payload = prLabeled("triage");
    expect(payload.pull_request.head.sha).toBe(SHA);
    const { answer } = await t.deliver("pull_request", payload);
    expect(answer.status).toBe(202);

    const runs = await t.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ workflow: "triage", status: "succeeded" });
    expect(runs[0]!.metadata).toMatchObject({ issue: 2, pr: true, headSha: SHA, source: "label" });
    expect(addedLabels(t)).toEqual([["triaged"], ["sorted"]]);
    expect(t.requestsOf("issues/add-labels").every((r) => r.path.includes("/issues/2/labels"))).toBe(true);

    const checks = t.checkRuns();
    expect(checks).toHaveLength(1);
    const [check] = checks;
    expect(check).toMatchObject({
      head_sha: SHA,
      name: "stageflow: triage",
      external_id: runs[0]!.id,
      status: "completed",
      conclusion: "success",
    });
    const summary = check!.output.summary ?? "";
    expect(summary).toContain("| Stage / step | Status |");
    for (const id of ["sort", "mark", "tell", "note"]) expect(summary).toMatch(new RegExp(`\\b${id}\\b`));
    expect(summary).toContain("2/2 succeeded");
    expect(t.statusComments(2)).toHaveLength(1);
    expect(t.statusComments(2)[0]!.body).toContain(`<!-- stageflow:run:${runs[0]!.id} -->`);
    expect(t.gh.problems).toEqual([]);
  });

  it("while the run waits (a durable wait step) its check run stays in_progress, also across a restart", async () => {
    const slow = `name: slow
on: { labels: [slow] }
stages:
  - id: first
    steps:
      - id: mark
        github: issues.addLabels
        with: { labels: [started] }
  - id: later
    steps:
      - id: pause
        wait: 1d
`;
    const t = (e2e = await startE2E({ workflows: { "slow.yml": slow }, pulls: { 2: { sha: SHA } } }));
    await t.deliver("pull_request", prLabeled("slow"));
    const runs = await t.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe("waiting");
    expect(addedLabels(t)).toEqual([["started"]]);
    const checks = t.checkRuns(SHA);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ name: "stageflow: slow", status: "in_progress", conclusion: null });
    expect(checks[0]!.output.summary).toContain("mark");

    // Across a restart it stays parked: no step runs again, still one check run and one comment.
    await t.restart();
    await t.settle();
    expect((await t.runs()).map((r) => r.status)).toEqual(["waiting"]);
    expect(addedLabels(t)).toEqual([["started"]]);
    expect(t.checkRuns()).toHaveLength(1);
    expect(t.checkRuns()[0]).toMatchObject({ status: "in_progress", conclusion: null });
    expect(t.statusComments(2)).toHaveLength(1);
    expect(t.gh.problems).toEqual([]);
  });

  it("a label on a plain issue reports through its status comment only (no check run)", async () => {
    const t = (e2e = await startE2E({ workflows: { "triage.yml": TRIAGE } }));
    const payload = labeled("triage");
    expect(payload.issue.pull_request).toBeUndefined();
    await t.deliver("issues", payload);

    const runs = await t.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ workflow: "triage", status: "succeeded" });
    expect(runs[0]!.metadata).toMatchObject({ issue: 1, pr: false, headSha: null });
    expect(addedLabels(t)).toEqual([["triaged"], ["sorted"]]);
    expect(t.checkRuns()).toEqual([]);
    expect(t.requestsOf("checks/create")).toEqual([]);
    const status = t.statusComments(1);
    expect(status).toHaveLength(1);
    expect(status[0]!.body).toContain(`<!-- stageflow:run:${runs[0]!.id} -->`);
    expect(status[0]!.body).toMatch(/succeeded/);
    expect(t.gh.problems).toEqual([]);
  });
});

describe("slash commands", () => {
  it("/deploy env=staging starts deploy with that input, with 👀 and 🚀", async () => {
    const t = (e2e = await startE2E({ workflows: { "deploy.yml": DEPLOY } }));
    await t.deliver("issue_comment", comment("/deploy env=staging", { id: 7001 }));

    const runs = await t.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ workflow: "deploy", status: "succeeded", inputs: { env: "staging" } });
    expect(runs[0]!.metadata).toMatchObject({ source: "command", actor: "Codertocat", issue: 1 });
    expect(addedLabels(t)).toEqual([["deployed-staging"]]);
    expect(t.reactionsOf(7001)).toEqual(["eyes", "rocket"]);
    expect(t.replies(1)).toEqual([]);
    expect(t.statusComments(1)).toHaveLength(1);
    expect(t.gh.problems).toEqual([]);
  });

  it("/stageflow run deploy env=production starts deploy with that input", async () => {
    const t = (e2e = await startE2E({ workflows: { "deploy.yml": DEPLOY } }));
    await t.deliver("issue_comment", comment("/stageflow run deploy env=production", { id: 7020 }));
    const runs = await t.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ workflow: "deploy", status: "succeeded", inputs: { env: "production" } });
    expect(addedLabels(t)).toEqual([["deployed-production"]]);
    expect(t.reactionsOf(7020)).toEqual(["eyes", "rocket"]);
    expect(t.gh.problems).toEqual([]);
  });

  it("bad parameters get a reply naming the input and 👎; nothing starts", async () => {
    const t = (e2e = await startE2E({ workflows: { "deploy.yml": DEPLOY } }));
    await t.deliver("issue_comment", comment("/deploy env=moon", { id: 7002 }));

    expect(await t.runs()).toEqual([]);
    expect(t.reactionsOf(7002)).toEqual(["eyes", "-1"]);
    const replies = t.replies(1);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toContain("env");
    expect(replies[0]!.body).toContain("Nothing was started");
    expect(replies[0]!.body).toContain("/deploy env=<staging|production>");
    expect(addedLabels(t)).toEqual([]);
    expect(t.statusComments()).toEqual([]);
    expect(t.gh.problems).toEqual([]);
  });

  it("a missing required parameter names the input too", async () => {
    const t = (e2e = await startE2E({ workflows: { "deploy.yml": DEPLOY } }));
    await t.deliver("issue_comment", comment("/deploy", { id: 7003 }));
    expect(await t.runs()).toEqual([]);
    expect(t.reactionsOf(7003)).toContain("-1");
    expect(t.replies(1)).toHaveLength(1);
    expect(t.replies(1)[0]!.body).toMatch(/\benv\b/);
    expect(t.gh.problems).toEqual([]);
  });

  it("an unknown command gets the help reply listing the workflows", async () => {
    const t = (e2e = await startE2E({ workflows: { "deploy.yml": DEPLOY, "triage.yml": TRIAGE } }));
    await t.deliver("issue_comment", comment("/stageflow frobnicate", { id: 7004 }));

    expect(await t.runs()).toEqual([]);
    const replies = t.replies(1);
    expect(replies).toHaveLength(1);
    const body = replies[0]!.body;
    expect(body).toContain("`frobnicate` is not a command I know");
    expect(body).toContain("#### `deploy`");
    expect(body).toContain("#### `triage`");
    expect(body).toContain("/deploy");
    expect(body).toContain("`env`");
    expect(body).toContain("/stageflow run NAME key=value ...");
    expect(t.reactionsOf(7004)).toContain("eyes");
    expect(t.gh.problems).toEqual([]);
  });
});

describe("permissions", () => {
  it("a commenter with read permission is refused with a reply saying what is needed", async () => {
    const t = (e2e = await startE2E({
      workflows: { "deploy.yml": DEPLOY },
      permissions: { Codertocat: "admin", reader: "read" },
    }));
    await t.deliver("issue_comment", comment("/deploy env=staging", { login: "reader", id: 7005 }));

    expect(await t.runs()).toEqual([]);
    expect(t.requestsOf("repos/get-collaborator-permission-level")).toHaveLength(1);
    expect(t.reactionsOf(7005)).toEqual(["eyes", "-1"]);
    const replies = t.replies(1);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toContain("@reader");
    expect(replies[0]!.body).toContain("refused");
    expect(replies[0]!.body).toContain("It needs **write** permission on this repository");
    expect(addedLabels(t)).toEqual([]);
    expect(t.gh.problems).toEqual([]);
  });

  it("a failed permission lookup (500) refuses", async () => {
    const t = (e2e = await startE2E({ workflows: { "deploy.yml": DEPLOY } }));
    t.gh.fail({ operation: "repos/get-collaborator-permission-level", status: 500 });
    await t.deliver("issue_comment", comment("/deploy env=staging", { id: 7006 }));

    expect(await t.runs()).toEqual([]);
    const lookups = t.requestsOf("repos/get-collaborator-permission-level");
    expect(lookups.map((r) => r.status)).toEqual([500]);
    expect(t.reactionsOf(7006)).toEqual(["eyes", "-1"]);
    const replies = t.replies(1);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toContain("refused");
    expect(replies[0]!.body).toContain("It needs **write** permission on this repository");
    expect(addedLabels(t)).toEqual([]);
    expect(t.gh.problems).toEqual([]);
  });

  it("a fork PR cannot start a workflow listed in needs_trust, and is told why", async () => {
    const t = (e2e = await startE2E({
      workflows: { "deploy.yml": DEPLOY },
      settings: "needs_trust: [deploy]\n",
      pulls: { 2: { sha: SHA, fork: true } },
    }));
    await t.deliver("issue_comment", comment("/deploy env=staging", { id: 7007, pr: 2 }));

    expect(await t.runs()).toEqual([]);
    expect(t.reactionsOf(7007)).toEqual(["eyes", "-1"]);
    const replies = t.replies(2);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toContain("fork");
    expect(replies[0]!.body).toContain("cannot start deploy");
    expect(replies[0]!.body).toContain("needing trust");
    expect(addedLabels(t)).toEqual([]);
    expect(t.checkRuns()).toEqual([]);
    expect(t.gh.problems).toEqual([]);
  });

  it("the same fork PR may start a workflow not listed in needs_trust", async () => {
    const t = (e2e = await startE2E({
      workflows: { "deploy.yml": DEPLOY },
      settings: "needs_trust: [release]\n",
      pulls: { 2: { sha: SHA, fork: true } },
    }));
    await t.deliver("issue_comment", comment("/deploy env=staging", { id: 7008, pr: 2 }));
    const runs = await t.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: "succeeded" });
    expect(t.checkRuns(SHA)).toHaveLength(1);
    expect(t.gh.problems).toEqual([]);
  });
});

describe("fork pull requests by label", () => {
  it("a label on a fork PR does not start a needs_trust workflow (reply on the PR, no check run)", async () => {
    const t = (e2e = await startE2E({
      workflows: { "triage.yml": TRIAGE },
      settings: "needs_trust: ['*']\n",
      pulls: { 2: { sha: SHA, fork: true } },
    }));
    const payload = prLabeled("triage");
    payload.pull_request.head.repo.full_name = "someone/Hello-World";
    payload.pull_request.head.repo.fork = true;
    await t.deliver("pull_request", payload);

    expect(await t.runs()).toEqual([]);
    expect(t.checkRuns()).toEqual([]);
    const replies = t.replies(2);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toContain("cannot start triage");
    expect(addedLabels(t)).toEqual([]);
    expect(t.gh.problems).toEqual([]);
  });
});

describe("what never triggers", () => {
  it("a redelivered delivery (same X-GitHub-Delivery) starts nothing more", async () => {
    const t = (e2e = await startE2E({ workflows: { "deploy.yml": DEPLOY } }));
    const payload = comment("/deploy env=staging", { id: 7010 });
    const first = await t.deliver("issue_comment", payload);
    const again = await t.deliver("issue_comment", payload, first.id);
    expect(again.answer.status).toBeGreaterThanOrEqual(200);
    expect(again.answer.status).toBeLessThan(300);

    const runs = await t.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.key).toBe(`delivery:${first.id}:deploy`);
    expect(addedLabels(t)).toEqual([["deployed-staging"]]);
    expect(t.statusComments(1)).toHaveLength(1);
    expect(t.reactionsOf(7010).filter((r) => r === "rocket")).toHaveLength(1);
    expect(t.gh.problems).toEqual([]);
  });

  it("the app's own comments and other bots are ignored", async () => {
    const t = (e2e = await startE2E({ workflows: { "deploy.yml": DEPLOY } }));
    await t.deliver(
      "issue_comment",
      comment("/deploy env=staging", { login: "stageflow[bot]", type: "Bot", id: 7011 }),
    );
    await t.deliver(
      "issue_comment",
      comment("/deploy env=staging", { login: "dependabot[bot]", type: "Bot", id: 7012 }),
    );

    expect(await t.runs()).toEqual([]);
    expect(t.gh.reactions).toEqual([]);
    expect(t.gh.comments.size).toBe(0);
    expect(t.gh.writes()).toEqual([]);
    expect(t.gh.problems).toEqual([]);

    // The same command from a person does start (the workflow and the payload are fine).
    await t.deliver("issue_comment", comment("/deploy env=staging", { id: 7013 }));
    expect(await t.runs()).toHaveLength(1);
  });

  it("with allow_bots other bots may start workflows, the app itself never", async () => {
    const t = (e2e = await startE2E({
      workflows: { "deploy.yml": DEPLOY },
      settings: "allow_bots: true\n",
      permissions: { Codertocat: "admin", "stageflow[bot]": "admin", "dependabot[bot]": "write" },
    }));
    await t.deliver(
      "issue_comment",
      comment("/deploy env=staging", { login: "stageflow[bot]", type: "Bot", id: 7016 }),
    );
    expect(await t.runs()).toEqual([]);
    expect(t.reactionsOf(7016)).toEqual([]);

    await t.deliver(
      "issue_comment",
      comment("/deploy env=staging", { login: "dependabot[bot]", type: "Bot", id: 7017 }),
    );
    const runs = await t.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.metadata).toMatchObject({ actor: "dependabot[bot]" });
    expect(t.reactionsOf(7017)).toEqual(["eyes", "rocket"]);
    expect(t.gh.problems).toEqual([]);
  });

  it("a redelivery after a restart of the app starts nothing more (the inbox is in the SQLite file)", async () => {
    const t = (e2e = await startE2E({ workflows: { "deploy.yml": DEPLOY } }));
    const payload = comment("/deploy env=staging", { id: 7018 });
    const first = await t.deliver("issue_comment", payload);
    expect(await t.runs()).toHaveLength(1);

    await t.restart();
    const again = await t.deliver("issue_comment", payload, first.id);
    expect(again.answer.status).toBeGreaterThanOrEqual(200);
    expect(again.answer.status).toBeLessThan(300);
    const runs = await t.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe("succeeded");
    expect(addedLabels(t)).toEqual([["deployed-staging"]]);
    expect(t.reactionsOf(7018)).toEqual(["eyes", "rocket"]);
    expect(t.statusComments(1)).toHaveLength(1);

    // A new delivery after the restart is handled.
    await t.deliver("issue_comment", comment("/deploy env=production", { id: 7019 }));
    expect((await t.runs()).map((r) => r.inputs.env).sort()).toEqual(["production", "staging"]);
    expect(t.gh.problems).toEqual([]);
  });

  it("a quoted command and a command in a code block trigger nothing", async () => {
    const t = (e2e = await startE2E({ workflows: { "deploy.yml": DEPLOY } }));
    await t.deliver("issue_comment", comment("> /deploy env=staging\n\nshould we?", { id: 7021 }));
    await t.deliver("issue_comment", comment("```\n/deploy env=staging\n```", { id: 7022 }));
    await t.deliver("issue_comment", comment("try `/deploy env=staging` later", { id: 7023 }));
    expect(await t.runs()).toEqual([]);
    expect(t.gh.writes()).toEqual([]);
    expect(t.gh.problems).toEqual([]);
  });

  it("an edited comment with a command triggers nothing", async () => {
    const t = (e2e = await startE2E({ workflows: { "deploy.yml": DEPLOY } }));
    const payload = example("issue_comment", "edited");
    payload.installation ??= { id: 1 };
    payload.comment.body = "/deploy env=staging";
    payload.comment.id = 7014;
    const { answer } = await t.deliver("issue_comment", payload);
    expect(answer.status).toBe(202);

    expect(await t.runs()).toEqual([]);
    expect(t.gh.writes()).toEqual([]);
    expect(t.gh.comments.size).toBe(0);
    expect(t.gh.problems).toEqual([]);

    // The same comment as created does start (the edit alone is what is ignored).
    payload.action = "created";
    delete payload.changes;
    await t.deliver("issue_comment", payload);
    expect(await t.runs()).toHaveLength(1);
  });
});

describe("broken workflow files", () => {
  it("a workflow file with an error gets a reply naming file:line", async () => {
    const broken = `name: deploy
on: { commands: [deploy] }
stages:
  - id: ship
    steps:
      - id: mark
        github: issues.addLabels
        with: { labels: [x] }
        retries: lots
`;
    const t = (e2e = await startE2E({ workflows: { "deploy.yml": broken } }));
    await t.deliver("issue_comment", comment("/deploy env=staging", { id: 7015 }));

    expect(await t.runs()).toEqual([]);
    expect(t.reactionsOf(7015)).toContain("-1");
    const replies = t.replies(1);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toMatch(/`\.github\/stageflow\/deploy\.yml:9(:\d+)?`/);
    expect(replies[0]!.body).toContain("unknown key 'retries'");
    expect(addedLabels(t)).toEqual([]);
    expect(t.gh.problems).toEqual([]);
  });
});
