/**
 * Writes to GitHub per run (issue 11: "API calls per run of a 3-stage, 12-step workflow: at most
 * 12 writes"): the whole app (`startApp`) against the loopback GitHub, a run started by a signed
 * `pull_request.labeled` delivery over HTTP, the reporter at its default interval (one write per
 * second per run) on a FakeClock that the test moves, so the count does not depend on how fast
 * the machine runs the steps. bench/app-writes.ts measures the same on the real clock.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProbotOctokit } from "probot";
import { FakeClock } from "stageflow/testing";
import { afterEach, expect, it } from "vitest";
import { readAppConfig } from "../../../src/app/env-config.js";
import { type RunningApp, startApp } from "../../../src/app/main.js";
import { nullLogger } from "../../../src/engine/ports.js";
import { type FakeGitHub, type FakeRequest, startFakeGitHub } from "../../support/fake-github.js";
import { example, SHA } from "../handlers/harness.js";
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

/** What the reporter and the handlers write; the rest are the steps' own calls. */
const REPORTING = new Set([
  "checks/create",
  "checks/update",
  "issues/create-comment",
  "issues/update-comment",
  "reactions/create-for-issue-comment",
]);
const isReporting = (r: FakeRequest) => r.operation !== undefined && REPORTING.has(r.operation);

const label = (id: string, name: string) => [
  `      - id: ${id}`,
  "        github: issues.addLabels",
  `        with: { labels: [${name}] }`,
];

/** 3 stages: 1 step, 10 in parallel (with `pauses` of `wait` among them), 1 step: 12 steps. */
function twelveSteps(pauses: string[] = []): string {
  const middle = [
    ...Array.from({ length: 10 - pauses.length }, (_, i) => label(`label_${i + 1}`, `checked-${i + 1}`)),
    ...pauses.map((d, i) => [`      - id: pause_${i + 1}`, `        wait: ${d}`]),
  ].flat();
  return [
    "name: twelve",
    "on: { labels: [ship] }",
    "stages:",
    "  - id: first",
    "    steps:",
    ...label("start", "started"),
    "  - id: middle",
    "    mode: parallel",
    "    steps:",
    ...middle,
    "  - id: last",
    "    steps:",
    ...label("done", "done"),
    "",
  ].join("\n");
}

/** A pull_request.labeled example, labelled `ship` on PR 1 at SHA. */
function prLabeled() {
  const payload = example("pull_request", "labeled");
  payload.label.name = "ship";
  payload.number = payload.pull_request.number = 1;
  payload.pull_request.head.sha = SHA;
  payload.sender.login = "Codertocat";
  payload.sender.type = "User";
  return payload;
}

let app: RunningApp | undefined;
let gh: FakeGitHub | undefined;
let dir: string | undefined;
afterEach(async () => {
  await app?.close();
  await gh?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  app = gh = dir = undefined;
});

async function start(workflow: string) {
  gh = await startFakeGitHub({
    defaultBranch: "master", // as the example payloads' repository has it
    permissions: { Codertocat: "admin" },
    pulls: { 1: { sha: SHA } },
    files: { ".github/stageflow/twelve.yml": workflow },
  });
  dir = await mkdtemp(join(tmpdir(), "stageflow-writes-"));
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
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  // No stageflow.minIntervalMs: the reporter's default (1 s per run).
  app = await startApp(config, { Octokit, log: nullLogger, clock });
  const d = await delivery({ name: "pull_request", payload: prLabeled() });
  expect((await send(app.port, d)).status).toBe(202);
  await app.worker.drain();
  return { app, gh, clock };
}

/** Turns the event loop (never the clock) until `until` holds. */
async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const status = async (a: RunningApp) => (await a.engine.listRuns())[0]?.status;

it("a 3-stage, 12-step run on a PR writes its check run and status comment at most 12 times", async () => {
  const { app, gh, clock } = await start(twelveSteps());
  await until("the run to succeed", async () => (await status(app)) === "succeeded");
  const runId = (await app.engine.listRuns())[0]!.id;
  // The reporter wrote at once when the run started (the check run and the comment created);
  // everything after waits for the interval, which has not passed on the clock.
  expect(app.stageflow!.handlers.reporter.writes).toBe(1);
  expect(
    gh
      .writes()
      .filter(isReporting)
      .map((w) => w.operation),
  ).toEqual(["checks/create", "issues/create-comment"]);
  await clock.advance(1000);
  await until("the check run to complete", () =>
    [...gh.checkRuns.values()].some((c) => c.external_id === runId && c.status === "completed"),
  );
  await app.stageflow!.handlers.reporter.flush();

  const writes = gh.writes();
  const reporting = writes.filter(isReporting);
  expect(writes.filter((w) => !isReporting(w)).map((w) => w.operation)).toEqual(
    Array(12).fill("issues/add-labels"),
  );
  expect(reporting.length).toBeLessThanOrEqual(12);
  // One check run (completed: success) and one status comment, each created once.
  expect(reporting.filter((w) => w.operation === "checks/create")).toHaveLength(1);
  expect(reporting.filter((w) => w.operation === "issues/create-comment")).toHaveLength(1);
  expect([...gh.checkRuns.values()].map((c) => [c.external_id, c.status, c.conclusion])).toEqual([
    [runId, "completed", "success"],
  ]);
  const comments = [...gh.comments.values()].filter((c) => c.body.includes(`stageflow:run:${runId}`));
  expect(comments).toHaveLength(1);
  // The first write and the final one (uncoalesced, each of the run's ~30 events would be one).
  expect(app.stageflow!.handlers.reporter.writes).toBe(2);
  expect(gh.problems).toEqual([]);
});

it("a 12-step run that lasts 3 s writes its report about once a second, within the bound", async () => {
  const { app, gh, clock } = await start(twelveSteps(["1s", "2s", "3s"]));
  // Time moves 100 ms at a time while the run waits, as it would on the real clock.
  for (let t = 0; t < 100 && (await status(app)) !== "succeeded"; t++) {
    await until("the run to settle", async () => {
      const now = await app.engine.report((await app.engine.listRuns())[0]!.id);
      const running = now.attempts.filter((a) => a.status === "running").map((a) => a.stepId);
      return now.run.status !== "running" || running.every((s) => s.startsWith("pause_"));
    });
    await clock.advance(100);
  }
  expect(await status(app)).toBe("succeeded");
  const runId = (await app.engine.listRuns())[0]!.id;
  await clock.advance(1000);
  await until("the check run to complete", () =>
    [...gh.checkRuns.values()].some((c) => c.external_id === runId && c.status === "completed"),
  );
  await app.stageflow!.handlers.reporter.flush();

  const reporting = gh.writes().filter(isReporting);
  expect(reporting.length).toBeLessThanOrEqual(12);
  // It did report while the run waited (more than the first and the final write).
  expect(reporting.filter((w) => w.operation === "checks/update").length).toBeGreaterThanOrEqual(2);
  expect(reporting.filter((w) => w.operation === "checks/create")).toHaveLength(1);
  expect(reporting.filter((w) => w.operation === "issues/create-comment")).toHaveLength(1);
  expect(gh.problems).toEqual([]);
});
