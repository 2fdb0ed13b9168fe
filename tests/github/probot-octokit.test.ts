/**
 * stageflow's Octokit options survive Probot's own: an installation client built by Probot 14
 * from `ProbotOctokit.defaults(withOctokitDefaults(...))` waits out a secondary rate limit with
 * stageflow's handler and does not retry a 502.
 */
import { generateKeyPairSync } from "node:crypto";
import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { withOctokitDefaults, type RateLimitEvent } from "../../src/github/index.js";
import { checkRecorded, fakeApi, type FakeApi } from "./github-test-client.js";

let api: FakeApi;
beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  checkRecorded(api.requests);
  nock.cleanAll();
});

const ROUTE = "/repos/o/r/collaborators/alice/permission";
const SECONDARY = { message: "You have exceeded a secondary rate limit." };

function probot(events: RateLimitEvent[]): Probot {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return new Probot({
    appId: 1,
    privateKey,
    Octokit: ProbotOctokit.defaults(
      withOctokitDefaults({
        onLimit: (e) => events.push(e),
        throttle: { retryAfterBaseValue: 1 },
      }),
    ),
    logLevel: "fatal",
  });
}

describe("withOctokitDefaults under Probot", () => {
  it("an installation client waits out a secondary rate limit and does not retry a 502", async () => {
    api = fakeApi();
    api.scope.post("/app/installations/9/access_tokens").reply(201, {
      token: "ghs_test",
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      permissions: { issues: "write" },
      repository_selection: "all",
    });
    api.scope.get(ROUTE).reply(403, SECONDARY, { "retry-after": "3" });
    api.scope.get(ROUTE).reply(200, { permission: "write" });
    api.scope.get(ROUTE).reply(502, { message: "Bad Gateway" });
    api.scope.get(ROUTE).reply(200, { permission: "write" });
    const events: RateLimitEvent[] = [];
    const octokit = await probot(events).auth(9);
    const params = { owner: "o", repo: "r", username: "alice" };
    const route = "GET /repos/{owner}/{repo}/collaborators/{username}/permission" as const;
    const { data } = await octokit.request(route, params);
    expect(data.permission).toBe("write");
    expect(events).toMatchObject([{ kind: "secondary", retryAfterSeconds: 3, willWait: true }]);
    await expect(octokit.request(route, params)).rejects.toMatchObject({ status: 502 });
    expect(api.sent("GET", ROUTE)).toHaveLength(3);
  });
});
