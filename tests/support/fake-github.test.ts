import { Octokit } from "@octokit/rest";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "./fake-github.js";

let gh: FakeGitHub | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

describe("the loopback GitHub", () => {
  it("serves the default branch's files, comments and check runs, each request checked against the API description", async () => {
    gh = await startFakeGitHub({
      files: { ".github/stageflow/a.yml": "name: a\n" },
      permissions: { alice: "write" },
    });
    const octokit = new Octokit({ baseUrl: gh.baseUrl, auth: "t" });
    const listing = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      owner: gh.owner,
      repo: gh.repo,
      path: ".github/stageflow",
      ref: "main",
    });
    expect(listing.data).toEqual([expect.objectContaining({ path: ".github/stageflow/a.yml" })]);
    await expect(
      octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
        owner: gh.owner,
        repo: gh.repo,
        path: ".github/stageflow",
        ref: "topic",
      }),
    ).rejects.toMatchObject({ status: 404 });
    const perm = await octokit.request("GET /repos/{owner}/{repo}/collaborators/{username}/permission", {
      owner: gh.owner,
      repo: gh.repo,
      username: "alice",
    });
    expect(perm.data.role_name).toBe("write");
    gh.fail({ operation: "issues/create-comment", status: 502, applied: true });
    await expect(
      octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
        owner: gh.owner,
        repo: gh.repo,
        issue_number: 1,
        body: "x",
      }),
    ).rejects.toMatchObject({ status: 502 });
    expect([...gh.comments.values()].map((c) => c.body)).toEqual(["x"]);
    const run = await octokit.request("POST /repos/{owner}/{repo}/check-runs", {
      owner: gh.owner,
      repo: gh.repo,
      name: "n",
      head_sha: "abc",
      external_id: "r1",
    });
    await octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", {
      owner: gh.owner,
      repo: gh.repo,
      check_run_id: run.data.id,
      conclusion: "success",
    });
    expect(gh.checkRuns.get(Number(run.data.id))).toMatchObject({
      status: "completed",
      conclusion: "success",
    });
    expect(gh.problems).toEqual([]);
    expect(gh.writes().map((r) => r.operation)).toEqual([
      "issues/create-comment",
      "checks/create",
      "checks/update",
    ]);
  });

  it("refuses a comment body over GitHub's 65,536 characters with a 422, as GitHub does", async () => {
    gh = await startFakeGitHub({});
    const octokit = new Octokit({ baseUrl: gh.baseUrl, auth: "t" });
    const where = { owner: gh.owner, repo: gh.repo };
    const post = (body: string) =>
      octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
        ...where,
        issue_number: 1,
        body,
      });
    await expect(post("x".repeat(65_537))).rejects.toMatchObject({ status: 422 });
    const { data } = await post("x".repeat(65_536));
    await expect(
      octokit.request("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", {
        ...where,
        comment_id: data.id,
        body: "y".repeat(65_537),
      }),
    ).rejects.toMatchObject({ status: 422 });
    expect([...gh.comments.values()].map((c) => c.body.length)).toEqual([65_536]);
  });
});
