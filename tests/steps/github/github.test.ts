import nock from "nock";
import { InputError } from "stageflow";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { githubNock } from "../../support/openapi.js";
import { harness, METADATA, nextEvent, outputsOf, plan, T0 } from "./support.js";

const REPO = "/repos/octo-org/octo-repo";

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe("the github kind", () => {
  it("calls the method's route with owner, repo and issue_number from the run's metadata", async () => {
    const { engine, clients } = harness();
    const api = githubNock();
    api
      .scope()
      .post(`${REPO}/issues/7/labels`, { labels: ["deployed"] })
      .reply(200, [{ id: 1, name: "deployed" }]);
    const handle = await engine.start(
      plan(
        engine,
        `  - id: tag\n    steps: [{ id: label, github: issues.addLabels, with: { labels: [deployed] } }]\n`,
      ),
      { metadata: METADATA },
    );
    expect(await handle.done).toMatchObject({ status: "succeeded" });
    expect(await outputsOf(engine, handle.runId, "label")).toMatchObject({
      status: "succeeded",
      outputs: { status: 200, data: [{ id: 1, name: "deployed" }] },
    });
    api.assertValid();
    expect(api.requests.map((r) => r.operation)).toEqual(["issues/add-labels"]);
    expect(clients.map((run) => run.metadata.installationId)).toEqual([42]);
  });

  it("with: overrides the metadata's defaults", async () => {
    const { engine } = harness();
    const api = githubNock();
    api.scope().post("/repos/acme/tools/issues/3/comments", { body: "hi" }).reply(201, { id: 9 });
    const handle = await engine.start(
      plan(
        engine,
        `  - id: a\n    steps: [{ id: c, github: issues.createComment, with: { owner: acme, repo: tools, issue_number: 3, body: hi } }]\n`,
      ),
      { metadata: METADATA },
    );
    expect(await handle.done).toMatchObject({ status: "succeeded" });
    api.assertValid();
  });

  it("an unknown method is refused when the workflow is read, with a suggestion", () => {
    const { engine } = harness();
    let error: unknown;
    try {
      plan(engine, `  - id: a\n    steps: [{ id: l, github: issues.addLabel, with: { labels: [x] } }]\n`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect(String((error as Error).message)).toMatch(
      /unknown GitHub REST method 'issues\.addLabel' \(did you mean 'issues\.addLabels'\?\)/,
    );
  });

  it("a secondary rate limit parks the run until Retry-After has passed, then asks again", async () => {
    const { engine, journal, clock } = harness();
    const api = githubNock();
    api
      .scope()
      .post(`${REPO}/issues/7/labels`)
      .reply(
        403,
        {
          message:
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        },
        { "retry-after": "120" },
      )
      .post(`${REPO}/issues/7/labels`)
      .reply(200, [{ id: 1, name: "deployed" }]);
    const parked = nextEvent(engine, "run.parked");
    const handle = await engine.start(
      plan(
        engine,
        `  - id: tag\n    steps: [{ id: label, github: issues.addLabels, with: { labels: [deployed] } }]\n`,
      ),
      { metadata: METADATA },
    );
    expect((await parked).payload).toEqual({ wakeAt: T0 + 120_000, signals: [] });
    expect(await handle.done).toMatchObject({ status: "waiting", reason: "parked" });
    expect(api.requests).toHaveLength(1);

    const succeeded = nextEvent(engine, "run.succeeded", handle.runId);
    await clock.advance(120_000);
    await succeeded;
    expect(api.requests).toHaveLength(2);
    expect((await journal.getRun(handle.runId))?.status).toBe("succeeded");
    api.assertValid();
  });

  it("another error fails the step with GitHub's status in the message (recovery reads it)", async () => {
    const { engine } = harness();
    const api = githubNock();
    api.scope().post(`${REPO}/issues/7/labels`).reply(404, { message: "Not Found" });
    const handle = await engine.start(
      plan(
        engine,
        `  - id: tag\n    steps: [{ id: label, github: issues.addLabels, with: { labels: [x] } }]\n`,
      ),
      { metadata: METADATA },
    );
    const result = await handle.done;
    expect(result).toMatchObject({ status: "failed" });
    expect(result.error).toMatchObject({ name: "GitHubRequestError", status: 404, code: "github_404" });
    expect(result.error?.message).toContain("answered 404");
  });
});
