import { createHash } from "node:crypto";
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatProblem } from "../../../src/app/config/problems.js";
import { DEFAULT_SETTINGS } from "../../../src/app/config/settings.js";
import { createWorkflowSource, loadTemplateText } from "../../../src/app/config/workflows.js";
import { githubNock } from "../../support/openapi.js";

const API = "https://api.github.com";
const repo = { owner: "octo-org", repo: "hello-world", defaultBranch: "trunk" };
const base = `/repos/${repo.owner}/${repo.repo}`;
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const client = () => new Octokit({ auth: "test-token", log: silent });
const kinds = new Map();
/** nock at api.github.com, every request held against @octokit/openapi. */
let gh: ReturnType<typeof githubNock>;

const deploy = `name: deploy
on: { commands: [deploy], labels: [ship-it] }
inputs:
  env: { type: choice, options: [staging, production], default: staging }
stages:
  - id: go
    steps:
      - { id: pause, wait: 1s }
`;
const triage = `name: triage
on: { labels: [needs-triage] }
stages:
  - id: t
    steps:
      - { id: pause, wait: 1s }
`;
const broken = `name: broken
stages:
  - id: s
    steps:
      - id: a
        wait: 1s
        retires: 3
`;
const settingsText = "permission: maintain\n";

/** A git blob SHA, as GitHub computes it. */
const blobSha = (text: string) =>
  createHash("sha1")
    .update(`blob ${Buffer.byteLength(text)}\0${text}`)
    .digest("hex");
const treeSha = (seed: string) => createHash("sha1").update(`tree ${seed}`).digest("hex");

function fileEntry(path: string, text: string) {
  const name = path.split("/").pop() as string;
  const sha = blobSha(text);
  const url = `${API}${base}/contents/${path}?ref=${repo.defaultBranch}`;
  return {
    type: "file",
    name,
    path,
    sha,
    size: Buffer.byteLength(text),
    url,
    html_url: `https://github.com/${repo.owner}/${repo.repo}/blob/${repo.defaultBranch}/${path}`,
    git_url: `${API}${base}/git/blobs/${sha}`,
    download_url: `https://raw.githubusercontent.com/${repo.owner}/${repo.repo}/${repo.defaultBranch}/${path}`,
    _links: { self: url, git: `${API}${base}/git/blobs/${sha}`, html: url },
  };
}
function dirEntry(path: string) {
  const sha = treeSha(path);
  const url = `${API}${base}/contents/${path}?ref=${repo.defaultBranch}`;
  return {
    ...fileEntry(path, ""),
    type: "dir",
    sha,
    size: 0,
    git_url: `${API}${base}/git/trees/${sha}`,
    download_url: null,
    _links: { self: url, git: `${API}${base}/git/trees/${sha}`, html: url },
  };
}

type Files = Record<string, string>;

/** Answers the listings of `.github`, `.github/stageflow` and its templates, on the default branch only. */
function listings(files: Files) {
  const scope = gh.scope();
  const dirs = new Map<string, unknown[]>();
  const add = (dir: string, entry: unknown) => dirs.set(dir, [...(dirs.get(dir) ?? []), entry]);
  for (const [path, text] of Object.entries(files)) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length - 1; i++) {
      const dir = parts.slice(0, i).join("/");
      const sub = parts.slice(0, i + 1).join("/");
      if (!(dirs.get(dir) ?? []).some((e) => (e as { path: string }).path === sub)) add(dir, dirEntry(sub));
    }
    add(parts.slice(0, -1).join("/"), fileEntry(path, text));
  }
  for (const [dir, entries] of dirs) {
    if (dir === "") continue;
    scope
      .get(`${base}/contents/${encodeURIComponent(dir)}`)
      .query({ ref: repo.defaultBranch })
      .reply(200, entries);
  }
  return scope;
}

function blobs(...texts: string[]) {
  const scope = gh.scope();
  for (const text of texts) {
    const sha = blobSha(text);
    scope.get(`${base}/git/blobs/${sha}`).reply(200, {
      sha,
      node_id: `B_${sha.slice(0, 8)}`,
      size: Buffer.byteLength(text),
      url: `${API}${base}/git/blobs/${sha}`,
      content: `${Buffer.from(text)
        .toString("base64")
        .replace(/(.{60})/g, "$1\n")}\n`,
      encoding: "base64",
    });
  }
  return scope;
}

beforeEach(() => {
  nock.disableNetConnect();
  gh = githubNock();
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  nock.enableNetConnect();
  expect(pending).toEqual([]);
  gh.assertValid();
  expect(gh.requests.map((r) => r.operation)).not.toContain(undefined);
});

describe("createWorkflowSource", () => {
  const files: Files = {
    ".github/stageflow.yml": settingsText,
    ".github/stageflow/deploy.yml": deploy,
    ".github/stageflow/triage.yaml": triage,
    ".github/stageflow/README.md": "# not a workflow\n",
    ".github/stageflow/templates/comment.md": "{{ run.id }}\n",
  };

  it("reads the settings, the workflows and the template list from the default branch", async () => {
    listings(files);
    blobs(settingsText, deploy, triage);
    const source = createWorkflowSource({ kinds });
    const config = await source.load(client(), repo);
    expect(config.problems).toEqual([]);
    expect(config.settings).toEqual({ ...DEFAULT_SETTINGS, permission: "maintain" });
    expect(config.workflows.map((w) => [w.file, w.name, w.labels, w.commands, w.sha])).toEqual([
      [".github/stageflow/deploy.yml", "deploy", ["ship-it"], ["deploy"], blobSha(deploy)],
      [".github/stageflow/triage.yaml", "triage", ["needs-triage"], [], blobSha(triage)],
    ]);
    expect(config.workflows[0]?.plan.inputs.env?.options).toEqual(["staging", "production"]);
    expect(config.commands).toEqual(new Map([["deploy", "deploy"]]));
    expect(config.templates).toEqual(
      new Map([
        ["comment.md", { sha: blobSha("{{ run.id }}\n"), path: ".github/stageflow/templates/comment.md" }],
      ]),
    );
    expect(source.stats()).toEqual({ listings: 3, blobFetches: 3, hits: 0 });
  });

  it("never asks for another ref than the default branch, and fetches blobs only by SHA", async () => {
    listings(files);
    blobs(settingsText, deploy, triage);
    await createWorkflowSource({ kinds }).load(client(), repo);
    const seen = gh.requests.map((r) => `${r.method} ${r.path}`);
    expect(gh.requests.map((r) => r.operation)).toEqual([
      "repos/get-content",
      "git/get-blob",
      "repos/get-content",
      "git/get-blob",
      "git/get-blob",
      "repos/get-content",
    ]);
    expect(seen).toEqual([
      `GET ${base}/contents/.github?ref=trunk`,
      `GET ${base}/git/blobs/${blobSha(settingsText)}`,
      `GET ${base}/contents/.github%2Fstageflow?ref=trunk`,
      `GET ${base}/git/blobs/${blobSha(deploy)}`,
      `GET ${base}/git/blobs/${blobSha(triage)}`,
      `GET ${base}/contents/.github%2Fstageflow%2Ftemplates?ref=trunk`,
    ]);
  });

  it("caches the listing until invalidate, and texts by blob SHA: unchanged files are not fetched again", async () => {
    listings(files);
    blobs(settingsText, deploy, triage);
    const source = createWorkflowSource({ kinds });
    const first = await source.load(client(), repo);
    expect(await source.load(client(), repo)).toBe(first); // no request at all: nock would fail
    expect(source.stats()).toEqual({ listings: 3, blobFetches: 3, hits: 0 });

    source.invalidate({ owner: "OCTO-ORG", repo: "Hello-World" }); // names are case-insensitive
    listings(files);
    const again = await source.load(client(), repo);
    expect(again.workflows.map((w) => w.name)).toEqual(["deploy", "triage"]);
    expect(source.stats()).toEqual({ listings: 6, blobFetches: 3, hits: 3 });

    // a push changes one file: only its blob is fetched
    const changed = deploy.replace("labels: [ship-it]", "labels: [ship-it, deploy-now]");
    source.invalidate(repo);
    listings({ ...files, ".github/stageflow/deploy.yml": changed });
    blobs(changed);
    const third = await source.load(client(), repo);
    expect(third.workflows[0]?.labels).toEqual(["ship-it", "deploy-now"]);
    expect(source.stats()).toEqual({ listings: 9, blobFetches: 4, hits: 5 });
  });

  it("with no room in its caches, a load after invalidate fetches every blob again", async () => {
    const source = createWorkflowSource({ kinds, maxCachedText: 0, maxCachedPlans: 0 });
    for (let i = 0; i < 2; i++) {
      listings(files);
      blobs(settingsText, deploy, triage);
      expect((await source.load(client(), repo)).workflows).toHaveLength(2);
      source.invalidate(repo);
    }
    expect(source.stats()).toEqual({ listings: 6, blobFetches: 6, hits: 0 });
  });

  it("a workflow that does not validate is a problem with file and line, and the others still load", async () => {
    const withBroken = { ...files, ".github/stageflow/broken.yml": broken };
    listings(withBroken);
    blobs(settingsText, broken, deploy, triage);
    const config = await createWorkflowSource({ kinds }).load(client(), repo);
    expect(config.problems.map(formatProblem)).toEqual([
      ".github/stageflow/broken.yml:7:9 stages[0].steps[0]: unknown key 'retires' (did you mean 'retry'?)",
    ]);
    expect(config.problems[0]).toMatchObject({ file: ".github/stageflow/broken.yml", line: 7, column: 9 });
    expect(config.workflows.map((w) => w.name)).toEqual(["deploy", "triage"]);
    expect(config.invalid).toEqual([
      {
        file: ".github/stageflow/broken.yml",
        name: "broken",
        labels: [],
        commands: [],
        problems: config.problems,
      },
    ]);
  });

  it("a broken file's triggers are read as far as they can be, so its command is answered with its problems", async () => {
    const text = `name: ship\non: { commands: [/Ship], labels: [go] }\nstages: 3\n`;
    listings({ ".github/stageflow/ship.yml": text });
    blobs(text);
    const config = await createWorkflowSource({ kinds }).load(client(), repo);
    expect(config.commands).toEqual(new Map());
    expect(config.invalid).toEqual([
      {
        file: ".github/stageflow/ship.yml",
        name: "ship",
        labels: ["go"],
        commands: ["ship"],
        problems: config.problems,
      },
    ]);
    expect(config.problems.map(formatProblem)).toEqual([
      ".github/stageflow/ship.yml:3:9 stages: expected a list, got number 3",
    ]);
  });

  it("malformed YAML and an unknown kind are problems too, never a throw", async () => {
    const yaml = "name: x\nstages: [\n";
    const unknownKind =
      "name: y\nstages:\n  - id: s\n    steps:\n      - { id: a, dispach: { workflow: e2e.yml } }\n";
    listings({ ".github/stageflow/a.yml": yaml, ".github/stageflow/b.yml": unknownKind });
    blobs(yaml, unknownKind);
    const config = await createWorkflowSource({ kinds }).load(client(), repo);
    expect(config.workflows).toEqual([]);
    expect(config.problems.map((p) => [p.file, p.line])).toEqual([
      [".github/stageflow/a.yml", 3],
      [".github/stageflow/b.yml", 5],
    ]);
    expect(config.problems[1]?.message).toMatch(/unknown step kind 'dispach'/);
    expect(config.invalid.map((w) => [w.file, w.name])).toEqual([
      [".github/stageflow/a.yml", "x"], // best effort: as far as the broken YAML reads
      [".github/stageflow/b.yml", "y"],
    ]);
    expect(config.settings).toEqual(DEFAULT_SETTINGS);
  });

  it("a repository without .github (404) has no workflows, the default settings and no problems", async () => {
    gh.scope().get(`${base}/contents/.github`).query({ ref: "trunk" }).reply(404, {
      message: "Not Found",
      documentation_url: "https://docs.github.com/rest/repos/contents#get-repository-content",
    });
    const source = createWorkflowSource({ kinds });
    expect(await source.load(client(), repo)).toEqual({
      settings: DEFAULT_SETTINGS,
      workflows: [],
      problems: [],
      invalid: [],
      templates: new Map(),
      commands: new Map(),
    });
    expect(source.stats()).toEqual({ listings: 1, blobFetches: 0, hits: 0 });
  });

  it("a .github without stageflow files lists once and reads nothing", async () => {
    listings({ ".github/dependabot.yml": "version: 2\n" });
    const config = await createWorkflowSource({ kinds }).load(client(), repo);
    expect(config.workflows).toEqual([]);
    expect(config.problems).toEqual([]);
  });

  it("two workflows with the same name or the same command: the later file is a problem at its line", async () => {
    const sameName = triage
      .replace("on: { labels: [needs-triage] }", "on: { labels: [x] }")
      .replace("name: triage", "name: deploy");
    const sameCommand = `name: other\non:\n  commands: [ship, /Deploy]\n${deploy.slice(deploy.indexOf("stages:"))}`;
    const prefix = `name: pre\non: { commands: [stageflow] }\n${deploy.slice(deploy.indexOf("stages:"))}`;
    const bad = `name: bad\non: { commands: ["two words"] }\n${deploy.slice(deploy.indexOf("stages:"))}`;
    const texts = {
      ".github/stageflow/a.yml": deploy,
      ".github/stageflow/b.yml": sameName,
      ".github/stageflow/c.yml": sameCommand,
      ".github/stageflow/d.yml": prefix,
      ".github/stageflow/e.yml": bad,
    };
    listings(texts);
    blobs(...Object.values(texts));
    const config = await createWorkflowSource({ kinds }).load(client(), repo);
    expect(config.workflows.map((w) => w.file)).toEqual([".github/stageflow/a.yml"]);
    expect(config.commands).toEqual(new Map([["deploy", "deploy"]]));
    expect(config.invalid.map((w) => [w.file, w.name, w.commands, w.problems.length])).toEqual([
      [".github/stageflow/b.yml", "deploy", [], 1],
      [".github/stageflow/c.yml", "other", ["ship", "deploy"], 1],
      [".github/stageflow/d.yml", "pre", ["stageflow"], 1],
      [".github/stageflow/e.yml", "bad", ["two words"], 1],
    ]);
    expect(config.problems.map(formatProblem)).toEqual([
      ".github/stageflow/b.yml:1:7 name: workflow 'deploy' is also defined in .github/stageflow/a.yml (names are unique in a repository); this file is not loaded",
      ".github/stageflow/c.yml:3:20 on.commands[1]: '/deploy' is also the command of workflow 'deploy' (.github/stageflow/a.yml); this file is not loaded",
      ".github/stageflow/d.yml:2:18 on.commands[0]: '/stageflow' is the command prefix of the app (settings command_prefix); this file is not loaded",
      ".github/stageflow/e.yml:2:18 on.commands[0]: 'two words' is not a command word (1–40 letters, digits, '_', '-' or '.')",
    ]);
  });

  it("an invalid settings file is reported with its line, beside the workflows", async () => {
    const text = "permission: writer\n";
    listings({ ".github/stageflow.yml": text });
    blobs(text);
    const config = await createWorkflowSource({ kinds }).load(client(), repo);
    expect(config.problems.map(formatProblem)).toEqual([
      ".github/stageflow.yml:1:13 permission: expected one of read, triage, write, maintain, admin, got string 'writer'",
    ]);
  });

  it("a failed listing rejects and is not cached: the next load lists again", async () => {
    gh.scope().get(`${base}/contents/.github`).query({ ref: "trunk" }).reply(502, "Bad Gateway");
    const source = createWorkflowSource({ kinds });
    await expect(source.load(client(), repo)).rejects.toMatchObject({ status: 502 });
    listings({ ".github/stageflow/deploy.yml": deploy });
    blobs(deploy);
    expect((await source.load(client(), repo)).workflows).toHaveLength(1);
  });

  it("files too large or not regular are problems, not fetched", async () => {
    listings({ ".github/stageflow/big.yml": `# ${"x".repeat(300 * 1024)}\n` });
    const config = await createWorkflowSource({ kinds }).load(client(), repo);
    expect(config.problems.map(formatProblem)).toEqual([
      ".github/stageflow/big.yml the file has 307203 bytes; at most 262144 are read",
    ]);
  });

  it("template texts come by blob SHA, cached", async () => {
    const template = "## {{ run.workflow }}\n";
    blobs(template);
    const source = createWorkflowSource({ kinds });
    expect(await source.templateText(client(), repo, blobSha(template))).toBe(template);
    expect(await source.templateText(client(), repo, blobSha(template))).toBe(template);
    expect(source.stats()).toEqual({ listings: 0, blobFetches: 1, hits: 1 });
    blobs(template);
    expect(await loadTemplateText(client(), repo, blobSha(template))).toBe(template);
  });
});
