import { afterEach, describe, expect, it } from "vitest";
import { githubPort as github } from "../../../src/app/handlers/wiring.js";
import { comment, example, type Harness, harness, SHA } from "./harness.js";
import { GATED, LABELLED, RELEASE } from "./workflows.js";

let h: Harness | undefined;
afterEach(async () => {
  expect(h?.gh.problems ?? []).toEqual([]);
  await h?.close();
  h = undefined;
});

const files = { "release.yml": RELEASE, "gated.yml": GATED };
const PERMISSIONS = { Codertocat: "admin", reader: "read", writer: "write" };

describe("slash commands", () => {
  it("a workflow's own command with parameters starts it: 👀 then 🚀", async () => {
    h = await harness({ files });
    await h.send("issue_comment", comment("/deploy env=production dry_run=true\nthanks!", { id: 77 }));
    const run = await h.runWhere((r) => r.status === "succeeded");
    expect(run.workflow).toBe("release");
    expect(run.inputs).toEqual({ env: "production", dry_run: true });
    expect(run.trigger).toMatchObject({ kind: "command", detail: "/deploy env=production dry_run=true" });
    expect(run.metadata).toMatchObject({ source: "command", issue: 1, pr: false });
    expect(h.reactionsOf(77)).toEqual(["eyes", "rocket"]);
  });

  it("/stageflow run NAME k=v starts the named workflow", async () => {
    h = await harness({ files });
    await h.send("issue_comment", comment("/stageflow run release env=staging"));
    const run = await h.runWhere((r) => r.status === "succeeded");
    expect(run.inputs).toMatchObject({ env: "staging" });
  });

  it("bad parameters are refused before anything starts, the reply naming the input", async () => {
    h = await harness({ files });
    await h.send("issue_comment", comment("/deploy env=qa", { id: 78 }));
    expect(await h.runs()).toEqual([]);
    expect(h.reactionsOf(78)).toEqual(["eyes", "-1"]);
    const [reply] = h.replies();
    expect(reply!.body).toContain("cannot run (workflow `release`)");
    expect(reply!.body).toContain("input 'env'");
    expect(reply!.body).toContain("Usage: `/deploy env=<staging|production> [dry_run=<boolean>]`");
  });

  it("an unauthorized commenter is refused with what is needed", async () => {
    h = await harness({ files, github: { permissions: PERMISSIONS } });
    await h.send("issue_comment", comment("/deploy env=staging", { login: "reader", id: 79 }));
    expect(await h.runs()).toEqual([]);
    expect(h.reactionsOf(79)).toEqual(["eyes", "-1"]);
    expect(h.replies()[0]!.body).toContain("It needs **write** permission on this repository");
  });

  it("a permission lookup that fails refuses", async () => {
    h = await harness({ files, github: { permissions: PERMISSIONS } });
    h.gh.fail({ operation: "repos/get-collaborator-permission-level", status: 502 });
    await h.send("issue_comment", comment("/deploy env=staging", { login: "writer" }));
    expect(await h.runs()).toEqual([]);
    expect(h.replies()[0]!.body).toContain(
      "writer on Codertocat/Hello-World failed (HTTP 502), so the request is refused",
    );
  });

  it("an unknown command gets help: workflows, their commands, labels and inputs", async () => {
    h = await harness({ files });
    await h.send("issue_comment", comment("/stageflow frobnicate"));
    expect(await h.runs()).toEqual([]);
    const body = h.replies()[0]!.body;
    expect(body).toContain("`frobnicate` is not a command I know");
    expect(body).toContain("#### `release`");
    expect(body).toContain("or `/deploy`");
    expect(body).toContain("add the label `release`");
    expect(body).toContain("`env` (choice, required: `staging` \\| `production`)");
  });

  it("a help reply longer than GitHub's 65,536 characters is cut to fit, with a note, and posted once", async () => {
    // 20 valid workflows with a 4,080-character description each: help renders ~84,000 characters.
    const many: Record<string, string> = {};
    for (let i = 0; i < 20; i++)
      many[`w${i}.yml`] = LABELLED.replace(
        "name: triage",
        `name: w${i}\ndescription: ${"lorem ipsum ".repeat(340)}`,
      );
    h = await harness({ files: many });
    await h.send("issue_comment", comment("/stageflow help", { id: 91 }));
    const replies = h.replies();
    expect(replies).toHaveLength(1);
    const { body } = replies[0]!;
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.length).toBeGreaterThan(60_000);
    expect(body).toContain("### stageflow: workflows of this repository");
    expect(body).toMatch(/…\(cut: \d+ characters over GitHub's limit on a comment\)$/);
    expect(h.gh.requests.filter((r) => r.status === 422)).toEqual([]);
  });

  it("the app's own comments and other bots are ignored: not one request", async () => {
    h = await harness({ files });
    await h.send("issue_comment", comment("/deploy env=staging", { login: "stageflow[bot]", type: "Bot" }));
    await h.send("issue_comment", comment("/deploy env=staging", { login: "dependabot[bot]", type: "Bot" }));
    expect(await h.runs()).toEqual([]);
    expect(h.gh.writes()).toEqual([]);
  });

  it("other bots may act when the settings allow them", async () => {
    h = await harness({
      files,
      settings: "allow_bots: true\n",
      github: { permissions: { "ci[bot]": "write" } },
    });
    await h.send("issue_comment", comment("/deploy env=staging", { login: "ci[bot]", type: "Bot" }));
    await h.runWhere((r) => r.status === "succeeded");
  });

  it("an edited or deleted comment triggers nothing", async () => {
    h = await harness({ files });
    for (const action of ["edited", "deleted"]) {
      const payload = example("issue_comment", action);
      payload.installation = { id: 1 };
      payload.comment.body = "/deploy env=staging";
      await h.send("issue_comment", payload);
    }
    expect(await h.runs()).toEqual([]);
    expect(h.gh.requests).toEqual([]);
  });

  it("a comment that is no command costs no request", async () => {
    h = await harness({ files });
    await h.send("issue_comment", comment("> /deploy env=staging\nthis quotes it"));
    await h.send("issue_comment", comment("looks good"));
    expect(h.gh.requests).toEqual([]);
  });
});

describe("steering the issue's run", () => {
  it("/stageflow retry re-runs only the failed step", async () => {
    h = await harness({ files, failing: ["test"] });
    await h.send("issue_comment", comment("/deploy env=staging"));
    const failed = await h.runWhere((r) => r.status === "failed");
    expect(h.executed).toEqual(["compile", "test"]);
    h.failing.clear();
    h.executed.length = 0;
    await h.send("issue_comment", comment("/stageflow retry test", { id: 80 }));
    const done = await h.runWhere((r) => r.id === failed.id && r.status === "succeeded");
    expect(done.id).toBe(failed.id);
    expect(h.executed).toEqual(["test", "publish"]);
    expect(h.reactionsOf(80)).toEqual(["eyes", "rocket"]);
    expect(await h.runs()).toHaveLength(1);
  });

  it("retry of a step that did not fail is answered, nothing resumed", async () => {
    h = await harness({ files, failing: ["test"] });
    await h.send("issue_comment", comment("/deploy env=staging"));
    await h.runWhere((r) => r.status === "failed");
    h.executed.length = 0;
    await h.send("issue_comment", comment("/stageflow retry compile"));
    expect(h.executed).toEqual([]);
    const reply = h.replies().at(-1)!.body;
    expect(reply).toContain("'compile' is not a failed step");
    expect(reply).toContain("failed: test");
  });

  it("/stageflow skip STEP records the failed step as skipped and the run goes on", async () => {
    h = await harness({ files, failing: ["test"] });
    await h.send("issue_comment", comment("/deploy env=staging"));
    const failed = await h.runWhere((r) => r.status === "failed");
    h.executed.length = 0;
    await h.send("issue_comment", comment("/stageflow skip test", { id: 83 }));
    const done = await h.runWhere(
      (r) => r.id === failed.id && r.status !== "failed" && r.status !== "running",
    );
    expect(["succeeded", "degraded"]).toContain(done.status);
    expect(h.executed).toEqual(["publish"]);
    const test = (await h.engine.report(failed.id)).stages[0]!.steps.find((s) => s.id === "test")!;
    expect(test.status).toBe("skipped");
    expect(h.reactionsOf(83)).toEqual(["eyes", "rocket"]);
  });

  it("a steering command with no run on the issue says so", async () => {
    h = await harness({ files });
    await h.send("issue_comment", comment("/stageflow cancel"));
    expect(h.replies()[0]!.body).toContain("there is no stageflow run on");
  });

  it("approve by a reader is refused; by a writer the run continues", async () => {
    h = await harness({ files, github: { permissions: PERMISSIONS } });
    await h.send("issue_comment", comment("/ship"));
    const waiting = await h.runWhere((r) => r.status === "waiting");
    await h.send("issue_comment", comment("/stageflow approve", { login: "reader", id: 81 }));
    expect(h.reactionsOf(81)).toEqual(["eyes", "-1"]);
    expect(h.replies().at(-1)!.body).toContain("It needs **write** permission on this repository");
    expect((await h.engine.report(waiting.id)).run.status).toBe("waiting");
    await h.send("issue_comment", comment("/stageflow approve", { login: "writer", id: 82 }));
    await h.runWhere((r) => r.id === waiting.id && r.status === "succeeded");
    expect(h.reactionsOf(82)).toEqual(["eyes", "rocket"]);
  });

  it("cancel ends the waiting run; status replies with the run", async () => {
    h = await harness({ files });
    await h.send("issue_comment", comment("/ship"));
    const waiting = await h.runWhere((r) => r.status === "waiting");
    await h.send("issue_comment", comment(`/stageflow status #${waiting.id.slice(0, 12)}`));
    expect(h.replies().at(-1)!.body).toContain("| Stage | Status | Duration | Steps |");
    expect(h.replies().at(-1)!.body).toContain(waiting.id);
    await h.send("issue_comment", comment("/stageflow cancel"));
    await h.runWhere((r) => r.id === waiting.id && r.status === "cancelled");
    await h.send("issue_comment", comment("/stageflow resume"));
    expect(h.replies().at(-1)!.body).toContain("has already finished (cancelled)");
  });
});

describe("approval gates", () => {
  /** A build, then a gate only a maintainer passes, then the publication. */
  const MAINTAINED = `
name: release
on: { commands: [release] }
stages:
  - id: build
    steps:
      - { id: compile, work: {} }
  - id: gate
    steps:
      - { id: approval, approval: { permission: maintain } }
  - id: ship
    steps:
      - { id: publish, work: {} }
`;
  /** Parked on a signal first; its approval step comes after. */
  const HELD = `
name: held
on: { labels: [held] }
stages:
  - id: first
    steps:
      - { id: hold, signal: go }
  - id: gate
    steps:
      - { id: ok, approval: { permission: write } }
  - id: ship
    steps:
      - { id: publish, work: {} }
`;

  it("skip of an approval step is refused, and of a step that did not fail: a writer cannot get past a maintain gate", async () => {
    h = await harness({
      files: { "release.yml": MAINTAINED },
      failing: ["compile"],
      github: { pulls: { 2: { sha: SHA } }, permissions: { Codertocat: "admin", writer: "write" } },
    });
    await h.send("issue_comment", comment("/release", { pr: 2 }));
    const run = await h.runWhere((r) => r.status === "failed");
    h.failing.clear();
    h.executed.length = 0;

    await h.send("issue_comment", comment("/stageflow skip approval", { pr: 2, login: "writer", id: 8001 }));
    expect(h.reactionsOf(8001)).toEqual(["eyes", "-1"]);
    expect(h.replies(2).at(-1)!.body).toContain(
      "'approval' is an approval step of run " +
        `${run.id}: it cannot be skipped; it passes when someone with maintain permission on the ` +
        "repository approves it once the run waits there",
    );
    await h.send("issue_comment", comment("/stageflow skip publish", { pr: 2, login: "writer", id: 8002 }));
    expect(h.reactionsOf(8002)).toEqual(["eyes", "-1"]);
    expect(h.replies(2).at(-1)!.body).toContain(
      `'publish' is pending in run ${run.id}: only a failed step can be skipped (failed: compile)`,
    );
    expect(h.executed).toEqual([]);
    expect((await h.engine.report(run.id)).run.status).toBe("failed");

    // Skipping the failed step is the writer's to do; the run then stops at the gate.
    await h.send("issue_comment", comment("/stageflow skip compile", { pr: 2, login: "writer", id: 8003 }));
    expect(h.reactionsOf(8003)).toEqual(["eyes", "rocket"]);
    await h.runWhere((r) => r.id === run.id && r.status === "waiting");
    await h.send("issue_comment", comment("/stageflow approve", { pr: 2, login: "writer", id: 8004 }));
    expect(h.reactionsOf(8004)).toEqual(["eyes", "-1"]);
    expect(h.executed).toEqual([]);
    await h.send("issue_comment", comment("/stageflow approve", { pr: 2, id: 8005 }));
    await h.runWhere((r) => r.id === run.id && r.status === "degraded");
    expect(h.executed).toEqual(["publish"]);
  });

  it("approve before the run reaches its approval step is refused, and its check run offers no Approve until then", async () => {
    h = await harness({ files: { "held.yml": HELD }, github: { pulls: { 2: { sha: SHA } } } });
    const payload = example("pull_request", "labeled");
    payload.label.name = "held";
    payload.pull_request.head.sha = SHA;
    await h.send("pull_request", payload);
    const run = await h.runWhere((r) => r.status === "waiting");
    await h.reporter.flush();
    const [check] = [...h.gh.checkRuns.values()];
    expect(check).toMatchObject({ status: "in_progress", conclusion: null });
    expect(check!.actions).toEqual([expect.objectContaining({ identifier: "cancel" })]);

    await h.send("issue_comment", comment("/stageflow approve", { pr: 2, id: 7001 }));
    expect(h.reactionsOf(7001)).toEqual(["eyes", "-1"]);
    expect(h.replies(2).at(-1)!.body).toContain(
      `run ${run.id} of held is not waiting for an approval: its approval step 'ok' has not been ` +
        "reached yet; approve once it waits there",
    );

    // The signal comes: the run now waits at the gate, where nobody approved it.
    await h.engine.signal(run.id, "go", {});
    const gate = async () => (await h!.engine.report(run.id)).stages[1]!.steps[0]!;
    for (let i = 0; i < 5000 && (await gate()).status !== "running"; i++)
      await new Promise((r) => setImmediate(r));
    expect(await gate()).toMatchObject({ id: "ok", status: "running" });
    await h.runWhere((r) => r.id === run.id && r.status === "waiting");
    await h.reporter.flush();
    expect([...h.gh.checkRuns.values()][0]).toMatchObject({
      status: "completed",
      conclusion: "action_required",
      actions: [
        expect.objectContaining({ identifier: "approve" }),
        expect.objectContaining({ identifier: "cancel" }),
      ],
    });
    expect(h.executed).toEqual([]);
    await h.send("issue_comment", comment("/stageflow approve", { pr: 2, id: 7002 }));
    expect(h.reactionsOf(7002)).toEqual(["eyes", "rocket"]);
    await h.runWhere((r) => r.id === run.id && r.status === "succeeded");
    expect(h.executed).toEqual(["publish"]);
  });
});

describe("pull requests", () => {
  it("a command on a PR is bound to its head: the check run goes on that SHA", async () => {
    h = await harness({ files, github: { pulls: { 2: { sha: SHA } } } });
    await h.send("issue_comment", comment("/deploy env=staging", { pr: 2 }));
    const run = await h.runWhere((r) => r.status === "succeeded");
    expect(run.metadata).toMatchObject({ pr: true, headSha: SHA, issue: 2 });
    await h.reporter.flush();
    expect([...h.gh.checkRuns.values()]).toMatchObject([{ head_sha: SHA, conclusion: "success" }]);
  });

  it("when the head moves before the run starts, it asks again and starts nothing", async () => {
    const moved = "0000000000000000000000000000000000000002";
    const fake: { pulls?: Map<number, { sha: string }> } = {};
    h = await harness({
      files,
      github: { pulls: { 2: { sha: SHA } } },
      githubPort: {
        ...github,
        async checkPermission(client, o) {
          fake.pulls?.set(2, { sha: moved }); // a push lands while the command is being checked
          return github.checkPermission(client, o);
        },
      },
    });
    fake.pulls = h.gh.pulls;
    await h.send("issue_comment", comment("/deploy env=staging", { pr: 2 }));
    expect(await h.runs()).toEqual([]);
    expect(h.replies(2)[0]!.body).toContain("head moved");
  });

  it("a PR from a fork cannot start a workflow that needs trust", async () => {
    h = await harness({
      files,
      settings: "needs_trust: ['*']\n",
      github: { pulls: { 2: { sha: SHA, fork: true } } },
    });
    await h.send("issue_comment", comment("/deploy env=staging", { pr: 2 }));
    expect(await h.runs()).toEqual([]);
    expect(h.replies(2)[0]!.body).toContain("fork");
  });
});

describe("workflow files with problems", () => {
  it("a command of a file that does not validate gets a reply with file:line", async () => {
    h = await harness({
      files: {
        "broken.yml": "name: broken\non: { commands: [broken] }\nstages:\n  - id: a\n    stepz: []\n",
      },
    });
    await h.send("issue_comment", comment("/broken", { id: 90 }));
    expect(await h.runs()).toEqual([]);
    expect(h.reactionsOf(90)).toEqual(["eyes", "-1"]);
    const body = h.replies()[0]!.body;
    expect(body).toContain("so `/broken` cannot run");
    expect(body).toMatch(/`\.github\/stageflow\/broken\.yml:\d+(:\d+)?`/);
  });
});
