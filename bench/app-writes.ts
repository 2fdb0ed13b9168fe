/**
 * (f) Writes to GitHub per run (issue 11): the whole app (`startApp`: the real HTTP intake
 * server, the SQLite file, the engine, Probot, the handlers and the reporter with its default
 * interval of one write per second per run) against the loopback GitHub
 * (tests/support/fake-github.ts, every request held against @octokit/openapi). Each run is
 * started by a signed `pull_request.labeled` delivery (a real payload from
 * @octokit/webhooks-examples, its label changed) over HTTP, on a PR, so the run has a check run
 * and a status comment. Runs go one at a time; a run's writes are the requests GitHub received
 * from its delivery until its check run is completed and the reporter has nothing left to write.
 *
 * A write is a POST/PATCH/PUT/DELETE other than an installation token, split into:
 * - reporting: check runs, issue comments, reactions (what the reporter and the handlers write);
 * - the steps' own calls (`github: issues.addLabels`).
 *
 * Workflows:
 * - 12 steps in 3 stages: `first` (1 github step), `middle` (parallel: 5 github steps and 5 `wait`
 *   steps of 20–100 ms), `last` (1 github step). Target: at most 12 reporting writes per run.
 * - 200 steps in 10 sequential stages of 20 parallel steps (10 github, 10 `wait: 300ms` each, so
 *   the run lasts over 3 s): the coalescing (about one write of the check run and the comment per
 *   second; without it, each of the run's events would be a write of both).
 */
import { generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync, symlinkSync } from "node:fs";
import { Agent, request } from "node:http";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { ProbotOctokit } from "probot";
import { readAppConfig } from "../src/app/env-config.js";
import { deliveryStartKey } from "../src/app/handlers/start.js";
import { signBody } from "../src/app/intake/signature.js";
import { type RunningApp, startApp } from "../src/app/main.js";
import { nullLogger } from "../src/engine/ports.js";
import { builtinTemplatesDir } from "../src/github/render/renderer.js";
import { type FakeGitHub, type FakeRequest, startFakeGitHub } from "../tests/support/fake-github.js";
import { median, round, tempDir } from "./workload.js";

export const APP_WRITES_TARGET = { reportingWrites: 12 };
const SECRET = "bench-secret";
const PR = 1;
const SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

/** Operations the reporter and the handlers write (the rest are the steps' own calls). */
const REPORTING = new Set([
  "checks/create",
  "checks/update",
  "issues/create-comment",
  "issues/update-comment",
  "reactions/create-for-issue-comment",
  "reactions/create-for-issue",
]);

export interface WorkflowWrites {
  workflow: string;
  steps: number;
  runs: number;
  /** Reporting writes per run (check runs, comments, reactions): median and max. */
  reportingMedian: number;
  reportingMax: number;
  /** The steps' own writes per run (median). */
  stepWritesMedian: number;
  /** Reporting writes by operation, summed over the runs. */
  byOperation: Record<string, number>;
  /** Report writes the reporter attempted per run (one = a check run and a comment), median. */
  reporterWritesMedian: number;
  /** The run's events per run (median): without coalescing each would be a report write. */
  eventsMedian: number;
  /** From the delivery's answer to the run's end (median), in ms. */
  runMsMedian: number;
  /** openapi problems of the requests (must be none). */
  problems: number;
}

export interface AppWritesResult {
  intervalMs: number;
  twelve: WorkflowWrites;
  twoHundred: WorkflowWrites;
}

function twelveSteps(): string {
  const middle = [
    ...Array.from({ length: 5 }, (_, i) => [
      `      - id: label_${i + 1}`,
      `        github: issues.addLabels`,
      `        with: { labels: [checked-${i + 1}] }`,
    ]),
    ...Array.from({ length: 5 }, (_, i) => [`      - id: pause_${i + 1}`, `        wait: ${(i + 1) * 20}ms`]),
  ].flat();
  return [
    "name: twelve",
    "on: { labels: [bench-12] }",
    "stages:",
    "  - id: first",
    "    steps:",
    "      - id: start",
    "        github: issues.addLabels",
    "        with: { labels: [started] }",
    "  - id: middle",
    "    mode: parallel",
    "    steps:",
    ...middle,
    "  - id: last",
    "    steps:",
    "      - id: done",
    "        github: issues.addLabels",
    "        with: { labels: [done] }",
    "",
  ].join("\n");
}

function twoHundredSteps(): string {
  const lines = ["name: twohundred", "on: { labels: [bench-200] }", "stages:"];
  for (let s = 1; s <= 10; s++) {
    lines.push(`  - id: stage_${s}`, "    mode: parallel", "    steps:");
    for (let i = 1; i <= 20; i++) {
      const id = `s${s}_${i}`;
      if (i % 2)
        lines.push(
          `      - id: ${id}`,
          "        github: issues.addLabels",
          `        with: { labels: [${id}] }`,
        );
      else lines.push(`      - id: ${id}`, "        wait: 300ms");
    }
  }
  lines.push("");
  return lines.join("\n");
}

/** A real pull_request.labeled payload, on PR 1 at SHA, labelled `label`, with an installation. */
function labeledPayload(label: string): Record<string, unknown> {
  const file = createRequire(import.meta.url).resolve("@octokit/webhooks-examples/api.github.com/index.json");
  const events = JSON.parse(readFileSync(file, "utf8")) as {
    name: string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    examples: Record<string, any>[];
  }[];
  const found = events.find((e) => e.name === "pull_request")?.examples.find((x) => x.action === "labeled");
  if (!found) throw new Error("no pull_request.labeled example in @octokit/webhooks-examples");
  const payload = structuredClone(found);
  payload.label.name = label;
  payload.number = PR;
  payload.pull_request.number = PR;
  payload.pull_request.head.sha = SHA;
  payload.sender.login = "Codertocat";
  payload.sender.type = "User";
  payload.installation ??= { id: 1, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" };
  return payload;
}

function deliver(port: number, agent: Agent, id: string, payload: Record<string, unknown>): Promise<number> {
  const body = Buffer.from(JSON.stringify(payload));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/api/github/webhooks",
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": String(body.length),
          "x-github-event": "pull_request",
          "x-github-delivery": id,
          "x-hub-signature-256": signBody(SECRET, body),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The app's writes: not GET, not an installation token. */
const isWrite = (r: FakeRequest) =>
  r.method !== "GET" && r.operation !== "apps/create-installation-access-token";

async function measureWorkflow(
  app: RunningApp,
  gh: FakeGitHub,
  agent: Agent,
  options: { workflow: string; label: string; steps: number; runs: number },
): Promise<WorkflowWrites> {
  const reporting: number[] = [];
  const stepWrites: number[] = [];
  const reporterWrites: number[] = [];
  const events: number[] = [];
  const runMs: number[] = [];
  const byOperation: Record<string, number> = {};
  const problemsBefore = gh.problems.length;
  const reporter = app.stageflow?.handlers.reporter;
  if (!reporter) throw new Error("startApp made no stageflow app (no reporter)");
  const eventsOf = new Map<string, number>();
  const subscription = app.engine.on((event) => {
    if (event.runId) eventsOf.set(event.runId, (eventsOf.get(event.runId) ?? 0) + 1);
  });
  for (let i = 0; i < options.runs; i++) {
    const from = gh.requests.length;
    const reporterFrom = reporter.writes;
    const id = `bench-${options.workflow}-${i}-${Date.now()}`;
    const started = performance.now();
    const status = await deliver(app.port, agent, id, labeledPayload(options.label));
    if (status !== 202) throw new Error(`delivery answered ${status}`);
    // The run: the one started by this delivery (newest first).
    let runId: string | undefined;
    for (let t = 0; t < 3000 && !runId; t++) {
      runId = (await app.engine.listRuns({ key: deliveryStartKey(id, options.workflow) }))[0]?.id;
      if (!runId) await sleep(5);
    }
    if (!runId) throw new Error(`no run started for delivery ${id}`);
    let ended = 0;
    // Its end, then its check run completed (the reporter's final write), at the default interval.
    for (let t = 0; t < 12_000; t++) {
      const [run] = await app.engine.listRuns({ key: deliveryStartKey(id, options.workflow) });
      if (!ended && run && run.status !== "running" && run.status !== "waiting") ended = performance.now();
      const check = [...gh.checkRuns.values()].find((c) => c.external_id === runId);
      if (ended && check?.status === "completed") break;
      await sleep(5);
    }
    if (!ended) throw new Error(`run ${runId} did not end`);
    // Anything still pending (nothing, when the final write was the last) — then quiet.
    await reporter.flush();
    const writes = gh.requests.slice(from).filter(isWrite);
    const mine = writes.filter((w) => w.operation && REPORTING.has(w.operation));
    for (const w of mine) byOperation[w.operation!] = (byOperation[w.operation!] ?? 0) + 1;
    reporting.push(mine.length);
    stepWrites.push(writes.length - mine.length);
    reporterWrites.push(reporter.writes - reporterFrom);
    await subscription.idle();
    events.push(eventsOf.get(runId) ?? 0);
    runMs.push(ended - started);
  }
  subscription.close();
  return {
    workflow: options.workflow,
    steps: options.steps,
    runs: options.runs,
    reportingMedian: median(reporting),
    reportingMax: Math.max(...reporting),
    stepWritesMedian: median(stepWrites),
    byOperation,
    reporterWritesMedian: median(reporterWrites),
    eventsMedian: median(events),
    runMsMedian: round(median(runMs)),
    problems: gh.problems.length - problemsBefore,
  };
}

/**
 * The renderer reads the built-in templates at `../../../templates` from its module: the package
 * root from src/ and dist/, but `.bench-build/templates` in the bench build. A link makes it so.
 */
function linkTemplates(): void {
  const expected = builtinTemplatesDir();
  if (existsSync(expected)) return;
  symlinkSync(
    fileURLToPath(new URL("../../templates/", import.meta.url)),
    expected.replace(/\/$/, ""),
    "dir",
  );
}

/** Runs (f): 5 runs of the 12-step workflow, then 3 of the 200-step one, one at a time. */
export async function runAppWritesBench(options: { runs12?: number; runs200?: number } = {}) {
  linkTemplates();
  const tmp = tempDir("app-writes");
  const gh = await startFakeGitHub({
    defaultBranch: "master", // as the example payloads' repository has it
    permissions: { Codertocat: "admin" },
    pulls: { [PR]: { sha: SHA } },
    files: {
      ".github/stageflow/twelve.yml": twelveSteps(),
      ".github/stageflow/twohundred.yml": twoHundredSteps(),
    },
  });
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const config = readAppConfig({
    APP_ID: "1",
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: SECRET,
    PORT: "0",
    HOST: "127.0.0.1",
    GHE_HOST: gh.host,
    GHE_PROTOCOL: "http",
    STAGEFLOW_DB: tmp.file("app.db"),
    STAGEFLOW_RECONCILE_MINUTES: "0",
    LOG_LEVEL: "fatal",
  });
  // Octokit's throttling (one write a second per installation) and retries off: the count of
  // writes is the same, and runs are not stretched by the client's pacing.
  const Octokit = ProbotOctokit.defaults((o: Record<string, unknown>) => ({
    ...o,
    retry: { enabled: false },
    throttle: { ...(o.throttle as object), enabled: false },
  }));
  // The reporter's default interval (1 s per run): no `stageflow.minIntervalMs`.
  // Warnings and errors on stderr (a report write that failed would change the count).
  const log = {
    ...nullLogger,
    warn: (msg: string, fields?: unknown) => console.error("(f) warn:", msg, JSON.stringify(fields ?? {})),
    error: (msg: string, fields?: unknown) => console.error("(f) error:", msg, JSON.stringify(fields ?? {})),
  };
  // BENCH_THROTTLE=1: Probot's own Octokit, throttling on (as `npm run app` runs), for comparison.
  const app = await startApp(config, { ...(process.env.BENCH_THROTTLE ? {} : { Octokit }), log });
  const agent = new Agent({ keepAlive: true });
  try {
    const twelve = await measureWorkflow(app, gh, agent, {
      workflow: "twelve",
      label: "bench-12",
      steps: 12,
      runs: options.runs12 ?? 5,
    });
    const twoHundred = await measureWorkflow(app, gh, agent, {
      workflow: "twohundred",
      label: "bench-200",
      steps: 200,
      runs: options.runs200 ?? 3,
    });
    return { intervalMs: 1000, twelve, twoHundred } satisfies AppWritesResult;
  } finally {
    agent.destroy();
    await app.close();
    await gh.close();
    tmp.cleanup();
  }
}
