import Bottleneck from "bottleneck";
import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createOctokit } from "../../../src/github/index.js";
import { createAlertChannels, gitHubIssueChannel, issueMarker } from "../../../src/observe/alerts/index.js";
import { githubNock } from "../../support/openapi.js";
import { firing, resolved } from "./fixtures.js";

const repo = { owner: "acme", repo: "ops" };
const marker = issueMarker('workflow_p95_latency{workflow="release"}');

function client() {
  const group = () => new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 });
  return createOctokit({
    auth: "ghs_testtoken",
    throttle: { write: group(), notifications: group(), search: group() },
  });
}

let api: ReturnType<typeof githubNock>;
beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  api.assertValid();
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe("the GitHub-issue channel", () => {
  it("opens an issue when a group fires, comments on a change, comments and closes on resolve", async () => {
    api = githubNock();
    const created: Array<Record<string, unknown>> = [];
    const comments: Array<Record<string, unknown>> = [];
    let closed: unknown;
    api
      .scope()
      .get("/repos/acme/ops/issues")
      .query({ state: "open", labels: "stageflow-alert", per_page: "100", page: "1" })
      .reply(200, [{ number: 3, body: "someone else's issue" }])
      .post("/repos/acme/ops/issues", (b: Record<string, unknown>) => (created.push(b), true))
      .reply(201, { number: 42 })
      .post("/repos/acme/ops/issues/42/comments", (b: Record<string, unknown>) => (comments.push(b), true))
      .times(2)
      .reply(201, { id: 1 })
      .patch("/repos/acme/ops/issues/42", (b: unknown) => ((closed = b), true))
      .reply(200, { number: 42, state: "closed" });

    const channel = gitHubIssueChannel({ client: client(), repo });
    await channel.send(firing());
    expect(created).toEqual([
      {
        title: '[stageflow] FIRING critical: workflow_p95_latency {workflow="release"}',
        body: expect.stringMatching(new RegExp(`Workflow p95 latency exceeded 5 seconds[\\s\\S]*${marker}$`)),
        labels: ["stageflow-alert"],
      },
    ]);

    await channel.send(
      firing({
        sequence: 2,
        alerts: [
          ...firing().alerts,
          { labels: { workflow: "release", stage: "b" }, value: 9000, activeAt: 0 },
        ],
      }),
    );
    expect(comments[0]!.body).toMatch(/^\[stageflow\] FIRING critical/);
    expect(comments[0]!.body).toContain("stage=b: 9000");

    await channel.send(resolved({ sequence: 3 }));
    expect(comments[1]!.body).toMatch(/^\[stageflow\] RESOLVED critical/);
    expect(closed).toEqual({ state: "closed", state_reason: "completed" });
    expect(api.requests.map((r) => r.operation)).toEqual([
      "issues/list-for-repo",
      "issues/create",
      "issues/create-comment",
      "issues/create-comment",
      "issues/update",
    ]);
  });

  it("finds its open issue by the marker after a restart instead of opening a second one", async () => {
    api = githubNock();
    api
      .scope()
      .get("/repos/acme/ops/issues")
      .query(true)
      .reply(200, [{ number: 7, body: `old text\n\n${marker}` }])
      .post("/repos/acme/ops/issues/7/comments")
      .reply(201, { id: 2 })
      .patch("/repos/acme/ops/issues/7")
      .reply(200, { number: 7 });
    await gitHubIssueChannel({ client: client(), repo }).send(resolved());
    expect(api.writes().map((r) => r.operation)).toEqual(["issues/create-comment", "issues/update"]);
  });

  it("does nothing on resolve when no issue is open for the group", async () => {
    api = githubNock();
    api.scope().get("/repos/acme/ops/issues").query(true).reply(200, []);
    await gitHubIssueChannel({ client: client(), repo }).send(resolved());
    expect(api.writes()).toEqual([]);
  });

  it("builds its own client from the configured token when the host gives none", async () => {
    api = githubNock();
    api
      .scope()
      .matchHeader("authorization", "token ghs_configuredtoken")
      .get("/repos/acme/ops/issues")
      .query(true)
      .reply(200, [])
      .post("/repos/acme/ops/issues")
      .reply(201, { number: 9 });
    const [channel] = createAlertChannels({
      github: { repo, token: "ghs_configuredtoken", label: "ops-alert" },
    });
    await channel!.send(firing());
    expect(api.requests.map((r) => r.path)).toEqual([
      "/repos/acme/ops/issues?state=open&labels=ops-alert&per_page=100&page=1",
      "/repos/acme/ops/issues",
    ]);
  });

  it("fails with GitHub's status (the dispatcher decides about retrying)", async () => {
    api = githubNock();
    api
      .scope()
      .get("/repos/acme/ops/issues")
      .query(true)
      .reply(200, [])
      .post("/repos/acme/ops/issues")
      .reply(410, { message: "Issues are disabled for this repo" });
    await expect(gitHubIssueChannel({ client: client(), repo }).send(firing())).rejects.toMatchObject({
      status: 410,
    });
  });
});
