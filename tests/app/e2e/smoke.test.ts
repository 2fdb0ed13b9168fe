import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProbotOctokit } from "probot";
import { afterEach, expect, it } from "vitest";
import { readAppConfig } from "../../../src/app/env-config.js";
import { type RunningApp, startApp } from "../../../src/app/main.js";
import { nullLogger } from "../../../src/engine/ports.js";
import { type FakeGitHub, startFakeGitHub } from "../../support/fake-github.js";
import { labeled } from "../handlers/harness.js";
import { delivery, SECRET, send } from "../intake/support.js";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const Octokit = ProbotOctokit.defaults((o: Record<string, unknown>) => ({
  ...o,
  retry: { enabled: false },
  throttle: { ...(o.throttle as object), enabled: false },
}));

let app: RunningApp | undefined;
let gh: FakeGitHub | undefined;
let dir: string | undefined;
afterEach(async () => {
  await app?.close();
  await gh?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it("a signed issues.labeled delivery starts the labelled workflow and its status comment ends succeeded", async () => {
  gh = await startFakeGitHub({
    defaultBranch: "master",
    permissions: { Codertocat: "admin" },
    files: {
      ".github/stageflow/triage.yml": [
        "name: triage",
        "on: { labels: [triage] }",
        "stages:",
        "  - id: only",
        "    steps:",
        "      - id: label",
        "        github: issues.addLabels",
        "        with: { labels: [triaged] }",
        "",
      ].join("\n"),
    },
  });
  dir = await mkdtemp(join(tmpdir(), "stageflow-e2e-"));
  const config = readAppConfig({
    APP_ID: "1",
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: SECRET,
    PORT: "0",
    HOST: "127.0.0.1",
    GHE_HOST: gh.host,
    GHE_PROTOCOL: "http",
    STAGEFLOW_DB: join(dir, "app.db"),
    STAGEFLOW_RECONCILE_MINUTES: "0",
    LOG_LEVEL: "fatal",
  });
  app = await startApp(config, { Octokit, log: nullLogger, stageflow: { minIntervalMs: 0 } });
  const d = await delivery({ name: "issues", payload: labeled("triage") });
  expect((await send(app.port, d)).status).toBe(202);
  await app.worker.drain();
  const [run] = await app.engine.listRuns();
  expect(run?.workflow).toBe("triage");
  for (let i = 0; i < 200 && (await app.engine.listRuns())[0]?.status !== "succeeded"; i++)
    await new Promise((r) => setTimeout(r, 10));
  await app.stageflow?.handlers.reporter.flush();
  expect((await app.engine.listRuns())[0]?.status).toBe("succeeded");
  expect(gh.requests.some((r) => r.operation === "issues/add-labels")).toBe(true);
  const status = [...gh.comments.values()].filter((c) => c.body.includes("stageflow:run:"));
  expect(status).toHaveLength(1);
  expect(gh.problems).toEqual([]);
});
