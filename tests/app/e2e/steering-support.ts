/**
 * The steering end-to-end tests' support: the whole app (`startApp`: the real HTTP intake server,
 * a temporary SQLite file, the engine, Probot, handlers, reporter) against the loopback GitHub
 * (tests/support/fake-github.ts, every request checked against @octokit/openapi), driven by
 * HMAC-signed deliveries of @octokit/webhooks-examples payloads over HTTP. The app can be closed
 * and started again on the same SQLite file (a restart).
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProbotOctokit } from "probot";
import type { RunRecord } from "stageflow";
import { readAppConfig } from "../../../src/app/env-config.js";
import { type RunningApp, startApp } from "../../../src/app/main.js";
import { nullLogger } from "../../../src/engine/ports.js";
import { type FakeGitHub, type FakeGitHubOptions, startFakeGitHub } from "../../support/fake-github.js";
import { example, type Payload } from "../handlers/harness.js";
import { delivery, SECRET, send } from "../intake/support.js";

export { comment, example, labeled, SHA } from "../handlers/harness.js";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

// A function, not an object: Probot puts its own throttle options over object defaults.
const Octokit = ProbotOctokit.defaults((o: Record<string, unknown>) => ({
  ...o,
  retry: { enabled: false },
  throttle: { ...(o.throttle as object), enabled: false },
}));

export interface SteeringOptions {
  /** Workflow files by name (`release.yml`), under `.github/stageflow/` on the default branch. */
  workflows: Record<string, string>;
  /** Passed to the fake (permissions, pulls, ...); `files` are added to the workflows. */
  github?: FakeGitHubOptions;
}

/** Starts the fake GitHub and the app on a fresh SQLite file. */
export async function steering(options: SteeringOptions) {
  const files: Record<string, string> = { ...options.github?.files };
  for (const [name, text] of Object.entries(options.workflows)) files[`.github/stageflow/${name}`] = text;
  const gh: FakeGitHub = await startFakeGitHub({
    defaultBranch: "master", // as the example payloads' repository has it
    permissions: { Codertocat: "admin" },
    ...options.github,
    files,
  });
  const dir = await mkdtemp(join(tmpdir(), "stageflow-e2e-steer-"));
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
  const boot = () =>
    startApp(config, { Octokit, log: nullLogger, stageflow: { minIntervalMs: 0, appSlug: "stageflow" } });
  let app: RunningApp | undefined = await boot();
  const running = (): RunningApp => {
    if (!app) throw new Error("the app is stopped");
    return app;
  };

  const s = {
    gh,
    get app() {
      return running();
    },
    /** Sends a signed delivery over HTTP, expects 202, and waits until the worker handled it. */
    async send(name: string, payload: Payload): Promise<void> {
      const a = running();
      const answer = await send(a.port, await delivery({ name, payload }));
      if (answer.status !== 202) throw new Error(`delivery answered ${answer.status}: ${answer.body}`);
      await a.worker.drain();
    },
    /** Waits (real time, only to await async completion) until a run satisfies `until`. */
    async runWhere(until: (run: RunRecord) => boolean): Promise<RunRecord> {
      for (let i = 0; i < 1000; i++) {
        const found = (await running().engine.listRuns()).find(until);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 10));
      }
      const runs = (await running().engine.listRuns()).map((r) => [r.id, r.status]);
      throw new Error(`no run as expected; runs: ${JSON.stringify(runs)}`);
    },
    /** Writes what the reporter has pending. */
    async flush(): Promise<void> {
      await running().stageflow!.handlers.reporter.flush();
    },
    /** Status comments (with the run marker) written by the app on an issue. */
    statusComments(issue = 1) {
      return [...gh.comments.values()].filter(
        (c) => c.issue === issue && c.body.includes("stageflow:run:") && c.user.type === "Bot",
      );
    },
    /** The app's comments on an issue that are not status comments (replies). */
    replies(issue = 1) {
      return [...gh.comments.values()].filter(
        (c) => c.issue === issue && !c.body.includes("stageflow:run:") && c.user.type === "Bot",
      );
    },
    /** Requests made for an openapi operation (e.g. "issues/add-labels"). */
    requestsOf(operation: string) {
      return gh.requests.filter((r) => r.operation === operation);
    },
    /** Closes the app (the SQLite file stays). */
    async stop(): Promise<void> {
      const a = app;
      app = undefined;
      await a?.close();
    },
    /** Starts the app again on the same SQLite file. */
    async restart(): Promise<void> {
      await s.stop();
      app = await boot();
    },
    async close(): Promise<void> {
      await s.stop();
      await gh.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return s;
}

export type Steering = Awaited<ReturnType<typeof steering>>;

/** A check_run.requested_action from the examples, moved to the test repository. */
export function button(identifier: string, externalId: string, login = "Codertocat"): Payload {
  const payload = example("check_run", "requested_action");
  payload.repository = example("issues", "labeled").repository;
  payload.installation = { id: 1 };
  payload.requested_action = { identifier };
  payload.check_run.external_id = externalId;
  payload.sender.login = login;
  return payload;
}

/** A workflow_run.completed from the examples, moved to the test repository, for `id`. */
export function workflowRunCompleted(id: number, conclusion = "success"): Payload {
  const payload = example("workflow_run", "completed");
  payload.repository = example("issues", "labeled").repository;
  payload.installation = { id: 1 };
  payload.workflow_run.id = id;
  payload.workflow_run.conclusion = conclusion;
  payload.workflow_run.status = "completed";
  return payload;
}
