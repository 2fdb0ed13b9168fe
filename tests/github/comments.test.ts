import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { markerFor, ownCommentBy, upsertComment } from "../../src/github/index.js";
import { botComment, fakeComments, userComment, APP } from "./fake-comments.js";
import { checkRecorded, fakeApi, testClient, type FakeApi } from "./github-test-client.js";

const marker = markerFor("run-1");
const isOwn = ownCommentBy({ appSlug: APP.slug });
const base = { owner: "o", repo: "r", issueNumber: 7, marker, isOwn };
let api: FakeApi;

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  checkRecorded(api.requests);
  nock.cleanAll();
});

describe("upsertComment", () => {
  it("creates the comment with the hidden marker when the issue has none", async () => {
    api = fakeApi();
    const state = fakeComments(api, { comments: [userComment(1, "hello")] });
    const result = await upsertComment(testClient(), { ...base, body: "Run started" });
    expect(result.created).toBe(true);
    expect(state.comments).toHaveLength(2);
    expect(state.comments[1]?.id).toBe(result.id);
    expect(state.comments[1]?.body).toBe(`Run started\n\n${marker}`);
    expect(api.sent("POST", "/repos/o/r/issues/7/comments")).toHaveLength(1);
  });

  it("updates a known comment by id without listing", async () => {
    api = fakeApi();
    const state = fakeComments(api, { comments: [botComment(5, `old\n\n${marker}`)] });
    const result = await upsertComment(testClient(), { ...base, body: "Run finished", commentId: 5 });
    expect(result).toEqual({ id: 5, created: false });
    expect(state.comments[0]?.body).toBe(`Run finished\n\n${marker}`);
    expect(api.sent("GET", "/repos/o/r/issues/7/comments")).toHaveLength(0);
    expect(api.sent("PATCH", "/repos/o/r/issues/comments/5")).toHaveLength(1);
  });

  it("finds its own comment by the marker when the known id was deleted", async () => {
    api = fakeApi();
    const state = fakeComments(api, { comments: [botComment(8, `old\n\n${marker}`)] });
    const result = await upsertComment(testClient(), { ...base, body: "new", commentId: 5 });
    expect(result).toEqual({ id: 8, created: false });
    expect(state.comments.map((c) => c.body)).toEqual([`new\n\n${marker}`]);
  });

  it("writes nothing when its comment already has the body", async () => {
    api = fakeApi();
    fakeComments(api, { comments: [botComment(8, `same\n\n${marker}`)] });
    const result = await upsertComment(testClient(), { ...base, body: "same" });
    expect(result).toEqual({ id: 8, created: false });
    expect(api.requests.map((r) => r.method)).toEqual(["GET"]);
  });

  it("searches every page of comments", async () => {
    api = fakeApi();
    const others = Array.from({ length: 130 }, (_, i) => userComment(i + 1, `comment ${i}`));
    const state = fakeComments(api, { comments: [...others, botComment(500, `old\n\n${marker}`)] });
    const result = await upsertComment(testClient(), { ...base, body: "new" });
    expect(result).toEqual({ id: 500, created: false });
    expect(api.sent("GET", "/repos/o/r/issues/7/comments").map((r) => r.path)).toEqual([
      "/repos/o/r/issues/7/comments?per_page=100&page=1",
      "/repos/o/r/issues/7/comments?per_page=100&page=2",
    ]);
    expect(state.comments).toHaveLength(131);
  });

  it("converges on the comment a create made before answering 502: exactly one comment", async () => {
    api = fakeApi();
    const state = fakeComments(api, { failCreates: 1 });
    const result = await upsertComment(testClient(), { ...base, body: "Run started" });
    expect(result.created).toBe(true);
    expect(state.comments).toHaveLength(1);
    expect(result.id).toBe(state.comments[0]?.id);
    // No retry by Octokit, no second create by stageflow.
    expect(api.sent("POST", "/repos/o/r/issues/7/comments")).toHaveLength(1);
    // A later update finds the same comment.
    const again = await upsertComment(testClient(), { ...base, body: "Run finished" });
    expect(again).toEqual({ id: result.id, created: false });
    expect(state.comments).toHaveLength(1);
    expect(state.comments[0]?.body).toBe(`Run finished\n\n${marker}`);
  });

  it("rethrows a 5xx create that did not apply", async () => {
    api = fakeApi();
    api.scope.get("/repos/o/r/issues/7/comments").query(true).twice().reply(200, []);
    api.scope.post("/repos/o/r/issues/7/comments").reply(503, { message: "Unavailable" });
    await expect(upsertComment(testClient(), { ...base, body: "x" })).rejects.toMatchObject({ status: 503 });
    expect(api.sent("GET", "/repos/o/r/issues/7/comments")).toHaveLength(2);
  });

  it("does not list again after a 4xx create", async () => {
    api = fakeApi();
    api.scope.get("/repos/o/r/issues/7/comments").query(true).reply(200, []);
    api.scope
      .post("/repos/o/r/issues/7/comments")
      .reply(403, { message: "Resource not accessible by integration" });
    await expect(upsertComment(testClient(), { ...base, body: "x" })).rejects.toMatchObject({ status: 403 });
    expect(api.sent("GET", "/repos/o/r/issues/7/comments")).toHaveLength(1);
  });

  it("never edits a user's comment (or another app's) that quotes the marker", async () => {
    api = fakeApi();
    const quoted = `> the bot said\n> ${marker}\nwhy?`;
    const state = fakeComments(api, {
      comments: [userComment(1, quoted), botComment(2, `other app\n\n${marker}`, "other-app")],
    });
    const result = await upsertComment(testClient(), { ...base, body: "Run started", commentId: null });
    expect(result.created).toBe(true);
    expect(state.comments[0]?.body).toBe(quoted);
    expect(state.comments[1]?.body).toBe(`other app\n\n${marker}`);
    expect(api.sent("PATCH", "/repos/o/r/issues/comments/")).toHaveLength(0);
    expect(state.comments).toHaveLength(3);
  });

  it("cuts a body over GitHub's limit with a note, marker included", async () => {
    api = fakeApi();
    const state = fakeComments(api, {});
    const line = `${"x".repeat(99)}\n`;
    await upsertComment(testClient(), { ...base, body: line.repeat(700), runId: "run-1" });
    const body = state.comments[0]?.body ?? "";
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.endsWith(marker)).toBe(true);
    expect(body).toContain("full report: `stageflow report run-1`");
  });
});

describe("ownCommentBy", () => {
  it("matches the app by its slug or its bot user, never a user named like the bot", () => {
    expect(isOwn(botComment(1, "x"))).toBe(true);
    expect(isOwn({ id: 1, user: { login: "stageflow[bot]", type: "Bot" } })).toBe(true);
    expect(isOwn({ id: 1, user: { login: "stageflow[bot]", type: "User" } })).toBe(false);
    expect(isOwn(botComment(1, "x", "other"))).toBe(false);
    expect(ownCommentBy({ botLogin: "my-bot" })({ id: 1, user: { login: "my-bot", type: "Bot" } })).toBe(
      true,
    );
    expect(() => ownCommentBy({})).toThrow(/appSlug or botLogin/);
  });
});
