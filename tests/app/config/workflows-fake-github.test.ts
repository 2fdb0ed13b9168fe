import { readFileSync } from "node:fs";
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkflowSource } from "../../../src/app/config/workflows.js";
import { type FakeGitHub, startFakeGitHub } from "../../support/fake-github.js";

const example = (name: string) =>
  readFileSync(new URL(`../../../examples/github/${name}`, import.meta.url), "utf8");
const workflow = `name: hello
on: { labels: [hello], commands: [hello] }
stages:
  - id: s
    steps:
      - { id: pause, wait: 1s }
`;

describe("the workflow source against the loopback GitHub (tests/support/fake-github.ts)", () => {
  let github: FakeGitHub;
  beforeAll(async () => {
    nock.enableNetConnect("127.0.0.1");
    github = await startFakeGitHub({
      defaultBranch: "trunk",
      files: {
        ".github/stageflow.yml": example("stageflow.yml"),
        ".github/stageflow/hello.yml": workflow,
        ".github/stageflow/templates/comment.md": "hi\n",
      },
    });
  });
  afterAll(async () => {
    await github.close();
  });

  it("reads settings, workflows and templates, every request a valid one on the default branch", async () => {
    const client = new Octokit({
      baseUrl: github.baseUrl,
      log: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const source = createWorkflowSource({ kinds: new Map() });
    const config = await source.load(client, {
      owner: github.owner,
      repo: github.repo,
      defaultBranch: "trunk",
    });
    expect(config.problems).toEqual([]);
    expect(config.settings.permission).toBe("maintain");
    expect(config.workflows.map((w) => w.name)).toEqual(["hello"]);
    expect(config.commands).toEqual(new Map([["hello", "hello"]]));
    expect([...config.templates.keys()]).toEqual(["comment.md"]);
    expect(github.problems).toEqual([]);
    expect(github.requests.every((r) => r.method === "GET")).toBe(true);
    expect(
      github.requests.filter((r) => r.path.includes("/contents/")).every((r) => r.path.includes("ref=trunk")),
    ).toBe(true);
  });
});
