/**
 * The shared end-to-end harness: the whole app (`startApp`: the real HTTP intake server, a SQLite
 * file in a temporary directory, the engine, Probot, the handlers and the reporter) against the
 * loopback GitHub (tests/support/fake-github.ts, every request held against @octokit/openapi in
 * `gh.problems`), fed HMAC-signed deliveries over HTTP (tests/app/intake/support.ts) built from
 * @octokit/webhooks-examples payloads (tests/app/handlers/harness.ts: `labeled`, `comment`,
 * `example`). `restart()` closes the app and starts it again on the same SQLite file and the same
 * fake GitHub. Waits turn real time only to await asynchronous completion, never to test timing.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProbotOctokit } from "probot";
import type { RunRecord } from "stageflow";
import { readAppConfig } from "../../../src/app/env-config.js";
import { type AppDeps, type RunningApp, startApp } from "../../../src/app/main.js";
import { nullLogger } from "../../../src/engine/ports.js";
import { type FakeGitHub, type FakeGitHubOptions, startFakeGitHub } from "../../support/fake-github.js";
import type { Payload } from "../handlers/harness.js";
import { type Answer, delivery, SECRET, send } from "../intake/support.js";

export { comment, example, labeled, type Payload, SHA } from "../handlers/harness.js";

let privateKey: string | undefined;
/** The app's private key, generated once per test file (never a fixture). */
const keyPem = () =>
  (privateKey ??= generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey);

/**
 * Probot's Octokit without its retries and throttling (a function, not an object: Probot puts its
 * own throttle options over object defaults, but calls a function last).
 */
export const TestOctokit = ProbotOctokit.defaults((o: Record<string, unknown>) => ({
  ...o,
  retry: { enabled: false },
  throttle: { ...(o.throttle as object), enabled: false },
})) as typeof ProbotOctokit;

export interface E2EOptions {
  /** Workflow files by name (`deploy.yml`), under `.github/stageflow/` on the default branch. */
  workflows?: Record<string, string>;
  /** The text of `.github/stageflow.yml`. */
  settings?: string;
  /** Other files of the default branch, by path. */
  files?: Record<string, string>;
  /** Repository permission of each user. @default { Codertocat: "admin" } */
  permissions?: Record<string, string>;
  /** Head SHA (and fork) of each pull request number. */
  pulls?: FakeGitHubOptions["pulls"];
  /** Extra environment variables for `readAppConfig` (e.g. STAGEFLOW_ALLOW_RUN_STEPS). */
  env?: Record<string, string>;
  /** Options of stageflow's app. @default { appSlug: "stageflow", minIntervalMs: 0 } */
  stageflow?: AppDeps["stageflow"];
}

/** What a delivery did. */
export interface Delivered {
  id: string;
  answer: Answer;
}

/** A GitHub delivery id (a UUID), as `delivery` types it. */
type DeliveryId = ReturnType<typeof randomUUID>;

const ACTIVE: RunRecord["status"][] = ["running"];

/** Waits (short real sleeps) until `check` holds; throws with `describe()` when it never does. */
export async function until(
  check: () => boolean | Promise<boolean>,
  describe: () => string | Promise<string> = () => "condition",
  tries = 1000,
): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for: ${await describe()}`);
}

/** Starts the fake GitHub and the app. Call `close()` in afterEach. */
export async function startE2E(options: E2EOptions = {}) {
  const files: Record<string, string> = { ...options.files };
  for (const [name, text] of Object.entries(options.workflows ?? {}))
    files[`.github/stageflow/${name}`] = text;
  if (options.settings !== undefined) files[".github/stageflow.yml"] = options.settings;
  const gh: FakeGitHub = await startFakeGitHub({
    appSlug: "stageflow",
    defaultBranch: "master", // as the example payloads' repository has it
    permissions: options.permissions ?? { Codertocat: "admin" },
    pulls: options.pulls,
    files,
  });
  const dir = await mkdtemp(join(tmpdir(), "stageflow-e2e-"));
  const dbPath = join(dir, "app.db");
  const config = readAppConfig({
    APP_ID: "1",
    PRIVATE_KEY: keyPem(),
    WEBHOOK_SECRET: SECRET,
    PORT: "0",
    HOST: "127.0.0.1",
    GHE_HOST: gh.host,
    GHE_PROTOCOL: "http",
    STAGEFLOW_DB: dbPath,
    STAGEFLOW_RECONCILE_MINUTES: "0",
    LOG_LEVEL: "fatal",
    ...options.env,
  });
  const deps: AppDeps = {
    Octokit: TestOctokit,
    log: nullLogger,
    stageflow: { appSlug: "stageflow", minIntervalMs: 0, ...options.stageflow },
  };
  let app: RunningApp | undefined = await startApp(config, deps);
  const current = (): RunningApp => {
    if (!app) throw new Error("the app is closed (restart() it)");
    return app;
  };
  const runs = () => current().engine.listRuns();

  const settle = async () => {
    await current().worker.drain();
    await until(
      async () => (await runs()).every((r) => !ACTIVE.includes(r.status)),
      async () => `runs to settle: ${JSON.stringify((await runs()).map((r) => [r.id, r.status]))}`,
    );
    await flush();
  };
  const flush = async () => {
    await current().stageflow?.handlers.reporter.flush();
  };
  const statusComments = (issue?: number) =>
    [...gh.comments.values()].filter(
      (c) => (issue === undefined || c.issue === issue) && c.body.includes("<!-- stageflow:run:"),
    );

  return {
    gh,
    config,
    dbPath,
    /** The running app (a new one after `restart()`). */
    get app(): RunningApp {
      return current();
    },
    get engine() {
      return current().engine;
    },
    runs,
    /** Sends a signed delivery over HTTP (no waiting). `id` is the X-GitHub-Delivery. */
    async send(name: string, payload: Payload, id: string = randomUUID()): Promise<Delivered> {
      const answer = await send(current().port, await delivery({ name, payload }, id as DeliveryId));
      return { id, answer };
    },
    /**
     * Sends a signed delivery, then waits for the inbox worker to drain, for no run to be
     * `running` any more, and for the reporter's writes.
     */
    async deliver(name: string, payload: Payload, id: string = randomUUID()): Promise<Delivered> {
      const answer = await send(current().port, await delivery({ name, payload }, id as DeliveryId));
      if (answer.status < 200 || answer.status >= 300)
        throw new Error(`delivery ${name} answered ${answer.status}: ${answer.body}`);
      await settle();
      return { id, answer };
    },
    /** Waits for the worker, the runs and the reporter (as `deliver` does after sending). */
    settle,
    /** Writes every run's pending report now. */
    flush,
    /** Comments on `issue` (all issues when undefined) that are not a run's status comment. */
    replies(issue?: number) {
      return [...gh.comments.values()].filter(
        (c) => (issue === undefined || c.issue === issue) && !c.body.includes("<!-- stageflow:run:"),
      );
    },
    /** Status comments (with the run marker) on `issue` (all issues when undefined). */
    statusComments,
    /** The check runs GitHub holds, optionally of one head SHA. */
    checkRuns(headSha?: string) {
      return [...gh.checkRuns.values()].filter((r) => headSha === undefined || r.head_sha === headSha);
    },
    /** Reactions on a comment, in the order they were added. */
    reactionsOf(commentId: number) {
      return gh.reactions.filter((r) => r.commentId === commentId).map((r) => r.content);
    },
    /** Requests of one openapi operation (e.g. "issues/add-labels"). */
    requestsOf(operation: string) {
      return gh.requests.filter((r) => r.operation === operation);
    },
    /** Closes the app and starts it again on the same SQLite file and fake GitHub. */
    async restart(): Promise<RunningApp> {
      const old = app;
      app = undefined;
      await old?.close();
      app = await startApp(config, deps);
      return app;
    },
    async close() {
      const old = app;
      app = undefined;
      await old?.close();
      await gh.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export type E2E = Awaited<ReturnType<typeof startE2E>>;
