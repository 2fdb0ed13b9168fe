import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  isRateLimited,
  octokitDefaults,
  upsertComment,
  withOctokitDefaults,
  markerFor,
  ownCommentBy,
  type RateLimitEvent,
} from "../../src/github/index.js";
import { fakeComments } from "./fake-comments.js";
import { checkRecorded, fakeApi, testClient, type FakeApi } from "./github-test-client.js";

let api: FakeApi;
beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  checkRecorded(api.requests);
  nock.cleanAll();
});

const SECONDARY = {
  message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
};
const ROUTE = "/repos/o/r/collaborators/alice/permission";

describe("octokitDefaults", () => {
  it("turns the retry plugin off and throttling on", () => {
    api = fakeApi();
    const options = octokitDefaults();
    expect(options.retry).toEqual({ enabled: false });
    expect(options.throttle.enabled).toBe(true);
  });

  it("waits out a secondary rate limit (403 with retry-after), then succeeds", async () => {
    api = fakeApi();
    api.scope.get(ROUTE).reply(403, SECONDARY, { "retry-after": "7" });
    api.scope.get(ROUTE).reply(200, { permission: "write" });
    const events: RateLimitEvent[] = [];
    const warnings: string[] = [];
    const client = testClient({ onLimit: (e) => events.push(e), log: { warn: (m) => warnings.push(m) } });
    const { data } = await client.request("GET /repos/{owner}/{repo}/collaborators/{username}/permission", {
      owner: "o",
      repo: "r",
      username: "alice",
    });
    expect(data.permission).toBe("write");
    expect(api.requests).toHaveLength(2);
    expect(events).toEqual([
      {
        kind: "secondary",
        retryAfterSeconds: 7,
        method: "GET",
        url: "/repos/{owner}/{repo}/collaborators/{username}/permission",
        waits: 0,
        willWait: true,
      },
    ]);
    expect(warnings[0]).toMatch(/Secondary rate limit hit by GET .*waiting 7 s \(wait 1 of 3\)/);
  });

  it("gives up after maxRateLimitWaits: the request throws and is recognised as rate-limited", async () => {
    api = fakeApi();
    api.scope.get(ROUTE).times(3).reply(429, SECONDARY, { "retry-after": "2" });
    const events: RateLimitEvent[] = [];
    const client = testClient({ maxRateLimitWaits: 2, onLimit: (e) => events.push(e) });
    const error = await client
      .request("GET /repos/{owner}/{repo}/collaborators/{username}/permission", {
        owner: "o",
        repo: "r",
        username: "alice",
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(api.requests).toHaveLength(3);
    expect(events.map((e) => [e.waits, e.willWait])).toEqual([
      [0, true],
      [1, true],
      [2, false],
    ]);
    expect(isRateLimited(error)).toEqual({ retryAfterMs: 2000 });
  });

  it("waits out a primary rate limit (x-ratelimit-remaining: 0)", async () => {
    api = fakeApi();
    const reset = String(Math.floor(Date.now() / 1000));
    api.scope
      .get(ROUTE)
      .reply(
        403,
        { message: "API rate limit exceeded" },
        { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset },
      );
    api.scope.get(ROUTE).reply(200, { permission: "read" });
    const events: RateLimitEvent[] = [];
    const client = testClient({ onLimit: (e) => events.push(e) });
    await client.request("GET /repos/{owner}/{repo}/collaborators/{username}/permission", {
      owner: "o",
      repo: "r",
      username: "alice",
    });
    expect(api.requests).toHaveLength(2);
    expect(events.map((e) => e.kind)).toEqual(["primary"]);
  });

  it("does not retry a 502 itself (the engine's policies own retries)", async () => {
    api = fakeApi();
    api.scope.get(ROUTE).reply(502, { message: "Bad Gateway" });
    api.scope.get(ROUTE).reply(200, { permission: "read" });
    await expect(
      testClient().request("GET /repos/{owner}/{repo}/collaborators/{username}/permission", {
        owner: "o",
        repo: "r",
        username: "alice",
      }),
    ).rejects.toMatchObject({ status: 502 });
    expect(api.requests).toHaveLength(1);
  });

  it("a status comment written through secondary rate limits ends as exactly one comment", async () => {
    api = fakeApi();
    api.scope.post("/repos/o/r/issues/7/comments").reply(403, SECONDARY, { "retry-after": "1" });
    const state = fakeComments(api, {});
    const marker = markerFor("run-9");
    const result = await upsertComment(testClient(), {
      owner: "o",
      repo: "r",
      issueNumber: 7,
      marker,
      body: "Run started",
      isOwn: ownCommentBy({ appSlug: "stageflow" }),
    });
    expect(state.comments).toHaveLength(1);
    expect(state.comments[0]?.id).toBe(result.id);
    expect(api.sent("POST", "/repos/o/r/issues/7/comments")).toHaveLength(2);
  });
});

describe("withOctokitDefaults", () => {
  it("keeps stageflow's handlers over Probot's and the installation's throttle id", () => {
    const probotHandler = () => false;
    const merged = withOctokitDefaults({ maxRateLimitWaits: 1 })({
      auth: "x",
      retry: { enabled: true },
      throttle: { id: "123", onRateLimit: probotHandler, onSecondaryRateLimit: probotHandler },
    });
    expect(merged.auth).toBe("x");
    expect(merged.retry).toEqual({ enabled: false });
    expect(merged.throttle).toMatchObject({ id: "123", enabled: true });
    expect(merged.throttle.onSecondaryRateLimit).not.toBe(probotHandler);
    expect(merged.throttle.onSecondaryRateLimit(5, { method: "GET", url: "/x" }, undefined, 0)).toBe(true);
    expect(merged.throttle.onSecondaryRateLimit(5, { method: "GET", url: "/x" }, undefined, 1)).toBe(false);
  });
});

describe("isRateLimited", () => {
  const error = (status: number, headers: Record<string, string>, message = "Forbidden") =>
    Object.assign(new Error(message), { name: "HttpError", status, response: { headers, data: {} } });

  it("reads retry-after, the primary limit's reset and the secondary-limit message", () => {
    expect(isRateLimited(error(403, { "retry-after": "30" }))).toEqual({ retryAfterMs: 30_000 });
    expect(isRateLimited(error(429, {}))).toEqual({ retryAfterMs: 60_000 });
    expect(isRateLimited(error(403, {}, SECONDARY.message))).toEqual({ retryAfterMs: 60_000 });
    expect(
      isRateLimited(error(403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000" }), 990_000),
    ).toEqual({ retryAfterMs: 11_000 });
  });

  it("is undefined for other errors", () => {
    expect(isRateLimited(error(403, {}, "Resource not accessible by integration"))).toBeUndefined();
    expect(isRateLimited(error(500, { "retry-after": "1" }))).toBeUndefined();
    expect(isRateLimited(new Error("socket hang up"))).toBeUndefined();
    expect(isRateLimited(undefined)).toBeUndefined();
  });
});
