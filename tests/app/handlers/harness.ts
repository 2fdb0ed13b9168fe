/**
 * A real Probot app with the stageflow handlers (createHandlers: the real workflow source,
 * renderer, src/github writers and command parser), on an engine with the memory journal and a
 * fake clock, talking to the loopback GitHub (tests/support/fake-github.ts: every request checked
 * against @octokit/openapi). Payloads come from @octokit/webhooks-examples, adapted.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { Probot, ProbotOctokit } from "probot";
import { createEngine, type RunRecord, type StepContext } from "stageflow";
import { FakeClock, MemoryJournal } from "stageflow/testing";
import type { GitHubPort } from "../../../src/app/handlers/deps.js";
import { createReporter } from "../../../src/app/handlers/reporter.js";
import { createHandlers, githubPort, rendererPort } from "../../../src/app/handlers/wiring.js";
import type { GitHubClient } from "../../../src/github/client.js";
import { checkPermission, type Permission } from "../../../src/github/permissions.js";
import { githubSteps } from "../../../src/steps/github/index.js";
import { type FakeGitHubOptions, startFakeGitHub } from "../../support/fake-github.js";
import { memoryStore } from "./doubles.js";

export const T0 = Date.UTC(2026, 0, 1);
export const SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

/** A webhook payload, as the examples have it (tests change fields freely). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Payload = Record<string, any>;

interface Example {
  name: string;
  examples: Payload[];
}
const require = createRequire(import.meta.url);
const EXAMPLES = require("@octokit/webhooks-examples/api.github.com/index.json") as Example[];

/** A copy of the first example of `name` with that `action` (and an installation). */
export function example(name: string, action: string, pick: (e: Payload) => boolean = () => true): Payload {
  const found = EXAMPLES.find((e) => e.name === name)?.examples.filter(
    (e) => (e.action ?? "") === action && pick(e),
  );
  if (!found?.length) throw new Error(`no example ${name}.${action}`);
  const payload = structuredClone(found[0]!) as Payload;
  payload.installation ??= { id: 1, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" };
  return payload;
}

let privateKey: string | undefined;
const keyPem = () =>
  (privateKey ??= generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey);

export interface HarnessOptions {
  /** Workflow files by name (`release.yml`), under `.github/stageflow/` on the default branch. */
  files: Record<string, string>;
  /** The text of `.github/stageflow.yml`. */
  settings?: string;
  /** Template overrides by name (`comment.md`), under `.github/stageflow/templates/`. */
  templates?: Record<string, string>;
  github?: FakeGitHubOptions;
  /** Steps (by id) of the `work` kind that fail while listed. */
  failing?: string[];
  /** Replaces the GitHub writers (e.g. to change the world between two calls). */
  githubPort?: GitHubPort;
}

export async function harness(options: HarnessOptions) {
  const files: Record<string, string> = {};
  for (const [name, text] of Object.entries(options.files)) files[`.github/stageflow/${name}`] = text;
  if (options.settings !== undefined) files[".github/stageflow.yml"] = options.settings;
  for (const [name, text] of Object.entries(options.templates ?? {}))
    files[`.github/stageflow/templates/${name}`] = text;
  const gh = await startFakeGitHub({
    appSlug: "stageflow",
    permissions: { Codertocat: "admin" },
    defaultBranch: "master", // as the example payloads' repository has it
    ...options.github,
    files,
  });
  const clock = new FakeClock(T0);
  const journal = new MemoryJournal();
  const engine = createEngine({ journal, clock, defaultPatterns: false, owner: "test" });
  const failing = new Set(options.failing ?? []);
  const executed: string[] = [];
  engine.register("work", async (ctx: StepContext) => {
    executed.push(ctx.stepId);
    if (failing.has(ctx.stepId)) throw new Error(`${ctx.stepId} broke`);
    return { done: true };
  });
  const probot = new Probot({
    appId: 1,
    privateKey: keyPem(),
    baseUrl: gh.baseUrl,
    logLevel: "fatal",
    // A function, not an object: Probot puts its own throttle options over object defaults (which
    // would turn throttling back on: one write per second), but calls a function last.
    Octokit: ProbotOctokit.defaults((o: Record<string, unknown>) => ({
      ...o,
      retry: { enabled: false },
      throttle: { ...(o.throttle as object), enabled: false },
    })),
  });
  const store = memoryStore();
  const clientFor = async (id: number) => (await probot.auth(id)) as unknown as GitHubClient;
  // The app's own kinds (approval re-checks the approver; dispatch records in the store).
  const kinds = githubSteps({
    clientFor: (run) => clientFor(Number(run.metadata.installationId)),
    dispatches: store,
    async permission(run, actor, required, teams) {
      const { owner, repo } = run.metadata as { owner: string; repo: string };
      const client = await clientFor(Number(run.metadata.installationId));
      const verdict = await checkPermission(client, {
        owner,
        repo,
        username: actor,
        required: required as Permission,
        teams,
      });
      return verdict.allowed;
    },
  });
  for (const [kind, handler] of Object.entries(kinds)) engine.register(kind, handler);
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const handlers = createHandlers({ engine, store, clock, log, appSlug: "stageflow", clientFor });
  if (options.githubPort) handlers.deps.github = options.githubPort;
  const { reporter } = handlers;
  await probot.load(handlers.appFn);
  await reporter.start();

  const runs = () => engine.listRuns();
  return {
    gh,
    clock,
    engine,
    journal,
    store,
    handlers,
    reporter,
    probot,
    failing,
    executed,
    runs,
    /** Delivers an event to the app, as the inbox worker does. */
    async send(name: string, payload: Payload, id: string = randomUUID()) {
      await probot.receive({ id, name, payload } as Parameters<Probot["receive"]>[0]);
      return id;
    },
    /** Waits (turning the event loop, never the clock) until some run satisfies `until`. */
    async runWhere(until: (run: RunRecord) => boolean): Promise<RunRecord> {
      for (let i = 0; i < 5000; i++) {
        const found = (await engine.listRuns()).find(until);
        if (found) return found;
        await new Promise((r) => setImmediate(r));
      }
      throw new Error(
        `no run as expected; runs: ${JSON.stringify((await runs()).map((r) => [r.id, r.status]))}`,
      );
    },
    /** A reporter of its own on this app's engine and store (e.g. after a restart). */
    newReporter() {
      return createReporter({
        engine,
        store,
        github: githubPort,
        renderer: rendererPort(handlers.renderer),
        clock,
        clientFor,
        appSlug: "stageflow",
      });
    },
    /** Comments of the issue that are not a run's status comment (replies). */
    replies(issue = 1) {
      return [...gh.comments.values()].filter((c) => c.issue === issue && !c.body.includes("stageflow:run:"));
    },
    /** Status comments of the issue. */
    statusComments(issue = 1) {
      return [...gh.comments.values()].filter((c) => c.issue === issue && c.body.includes("stageflow:run:"));
    },
    reactionsOf(commentId: number) {
      return gh.reactions.filter((r) => r.commentId === commentId).map((r) => r.content);
    },
    async close() {
      await reporter.close();
      await engine.close();
      await gh.close();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof harness>>;

/** An issue_comment.created payload with `body`, by `login` (a User unless `type`). */
export function comment(
  body: string,
  options: { login?: string; type?: string; pr?: number; id?: number } = {},
) {
  const payload = example("issue_comment", "created", (e) => e.installation !== undefined);
  payload.comment.body = body;
  payload.comment.id = options.id ?? 5001;
  payload.comment.user.login = payload.sender.login = options.login ?? "Codertocat";
  payload.comment.user.type = payload.sender.type = options.type ?? "User";
  if (options.pr !== undefined) {
    payload.issue.number = options.pr;
    payload.issue.pull_request = {
      url: `https://api.github.com/repos/Codertocat/Hello-World/pulls/${options.pr}`,
    };
  }
  return payload;
}

/** An issues.labeled payload for `label` on issue 1. */
export function labeled(label: string, login = "Codertocat") {
  const payload = example("issues", "labeled");
  payload.label.name = label;
  payload.sender.login = login;
  return payload;
}
