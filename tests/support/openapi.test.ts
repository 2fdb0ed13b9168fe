import { describe, expect, it } from "vitest";
import { checkRequest, operationOf } from "./openapi.js";

describe("checkRequest: requests held against @octokit/openapi", () => {
  it("accepts real calls, with or without the GHES /api/v3 prefix", () => {
    expect(
      checkRequest({ method: "POST", path: "/repos/o/r/issues/7/comments", body: { body: "hi" } }),
    ).toEqual([]);
    expect(
      checkRequest({ method: "PATCH", path: "/api/v3/repos/o/r/issues/comments/9", body: '{"body":"x"}' }),
    ).toEqual([]);
    expect(checkRequest({ method: "GET", path: "/repos/o/r/issues/7/comments?per_page=100&page=2" })).toEqual(
      [],
    );
    expect(
      checkRequest({ method: "GET", path: "/repos/o/r/contents/.github/stageflow/deploy.yml?ref=main" }),
    ).toEqual([]);
    expect(checkRequest({ method: "GET", path: "/app/hook/deliveries?per_page=100" })).toEqual([]);
    expect(operationOf({ method: "POST", path: "/repos/o/r/check-runs" })).toBe("checks/create");
  });

  it("names an operation GitHub does not have", () => {
    expect(
      checkRequest({ method: "POST", path: "/repos/o/r/issues/7/comment", body: { body: "x" } })[0],
    ).toMatch(/no such operation/);
    expect(checkRequest({ method: "DELETE", path: "/repos/o/r/check-runs/1" })[0]).toMatch(
      /no such operation/,
    );
  });

  it("names a missing required body field, an unknown one, a wrong type and an unknown query parameter", () => {
    expect(checkRequest({ method: "POST", path: "/repos/o/r/check-runs", body: { name: "x" } })).toEqual([
      expect.stringMatching(/missing body field\(s\) head_sha/),
    ]);
    expect(
      checkRequest({ method: "POST", path: "/repos/o/r/issues/7/comments", body: { body: "x", text: "y" } }),
    ).toEqual([expect.stringMatching(/unknown body field 'text'/)]);
    expect(checkRequest({ method: "POST", path: "/repos/o/r/issues/7/comments", body: { body: 3 } })).toEqual(
      [expect.stringMatching(/body\.body: expected string, got integer/)],
    );
    expect(checkRequest({ method: "GET", path: "/repos/o/r/issues/7/comments?perpage=1" })).toEqual([
      expect.stringMatching(/unknown query parameter 'perpage'/),
    ]);
  });
});
