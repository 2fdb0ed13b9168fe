import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { addReaction } from "../../src/github/index.js";
import { checkRecorded, fakeApi, testClient, type FakeApi } from "./github-test-client.js";

let api: FakeApi;
beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  checkRecorded(api.requests);
  nock.cleanAll();
});

describe("addReaction", () => {
  it("reacts to a comment", async () => {
    api = fakeApi();
    api.scope.post("/repos/o/r/issues/comments/42/reactions").reply(201, { id: 1, content: "eyes" });
    expect(await addReaction(testClient(), { owner: "o", repo: "r", commentId: 42, content: "eyes" })).toBe(
      true,
    );
    expect(api.requests[0]?.body).toEqual({ content: "eyes" });
  });

  it("returns false instead of throwing when GitHub refuses or fails", async () => {
    api = fakeApi();
    api.scope.post("/repos/o/r/issues/comments/42/reactions").reply(500, { message: "Server Error" });
    api.scope.post("/repos/o/r/issues/comments/43/reactions").replyWithError("socket hang up");
    expect(await addReaction(testClient(), { owner: "o", repo: "r", commentId: 42, content: "rocket" })).toBe(
      false,
    );
    expect(await addReaction(testClient(), { owner: "o", repo: "r", commentId: 43, content: "-1" })).toBe(
      false,
    );
  });
});
