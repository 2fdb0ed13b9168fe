import { describe, expect, it } from "vitest";
import {
  createRestMethodCatalog,
  restMethod,
  restMethodNames,
  suggestMethod,
} from "../../src/github/index.js";
import { checkRequest } from "../support/openapi.js";

describe("REST method catalog", () => {
  it("gives the method and route of Octokit names", () => {
    expect(restMethod("issues.addLabels")).toEqual({
      method: "POST",
      url: "/repos/{owner}/{repo}/issues/{issue_number}/labels",
    });
    expect(restMethod("pulls.requestReviewers")).toEqual({
      method: "POST",
      url: "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
    });
    expect(restMethod("actions.createWorkflowDispatch")?.method).toBe("POST");
  });

  it("knows nothing that is not a REST method", () => {
    for (const name of [
      "issues.nope",
      "issues",
      "issues.constructor",
      "constructor.name",
      "issues.toString",
      "",
      "a.b.c",
    ]) {
      expect(restMethod(name)).toBeUndefined();
    }
  });

  it("lists every name, sorted, each resolving to a route GitHub has", () => {
    const names = restMethodNames();
    expect(names.length).toBeGreaterThan(500);
    expect(names).toContain("issues.createComment");
    expect([...names].sort()).toEqual(names);
    const catalog = createRestMethodCatalog();
    for (const name of [
      "issues.addLabels",
      "issues.createComment",
      "pulls.requestReviewers",
      "repos.createDispatchEvent",
    ]) {
      const { method, url } = catalog.lookup(name)!;
      const path = url.replace(/\{[^}]+\}/g, "x");
      expect(checkRequest({ method, path }).filter((p) => p.includes("no such operation"))).toEqual([]);
    }
  });

  it("suggests the closest names for a misspelt one", () => {
    expect(suggestMethod("issues.addLabel")[0]).toBe("issues.addLabels");
    expect(suggestMethod("issue.createComment")[0]).toBe("issues.createComment");
    expect(suggestMethod("pulls.requestReviewer")[0]).toBe("pulls.requestReviewers");
    expect(suggestMethod("zzzzzzzz.qqqqqqqqqq")).toEqual([]);
  });
});
