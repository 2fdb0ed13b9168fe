import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeClock } from "stageflow/testing";
import { readAppConfig } from "../../src/app/env-config.js";
import { parseWorkflow } from "../../src/index.js";
import { createSqliteSampleStore } from "../../src/store/index.js";
import { type AppDeps, type RunningApp, startApp } from "../../src/app/main.js";
import { githubNock } from "../support/openapi.js";
import { memoryLog } from "./intake/harness.js";
import { delivery, example, SECRET, send } from "./intake/support.js";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const Octokit = ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } });

let dir: string;
let app: RunningApp | undefined;
beforeEach(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
  dir = await mkdtemp(join(tmpdir(), "stageflow-app-main-"));
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  nock.cleanAll();
  nock.enableNetConnect();
  await rm(dir, { recursive: true, force: true });
});

function config(env: Record<string, string> = {}) {
  return readAppConfig({
    APP_ID: "12345",
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: SECRET,
    PORT: "0",
    HOST: "127.0.0.1",
    STAGEFLOW_DB: join(dir, "app.db"),
    STAGEFLOW_RECONCILE_MINUTES: "0",
    LOG_LEVEL: "fatal",
    ...env,
  });
}

const start = async (deps: AppDeps, env?: Record<string, string>) => {
  app = await startApp(config(env), { Octokit, log: memoryLog(), ...deps });
  return app;
};

describe("startApp", () => {
  it("hands each recorded delivery to the Probot app through probot.receive", async () => {
    const seen: string[] = [];
    const running = await start({
      appFn: (probot) => {
        probot.on("issues.labeled", async (context) => {
          seen.push(`${context.id} ${context.payload.label?.name}`);
        });
      },
    });
    const labeled = example("issues", "labeled");
    const d = await delivery({
      name: "issues",
      payload: { ...labeled.payload, label: { ...(labeled.payload.label as object), name: "deploy" } },
    });
    expect((await send(running.port, d)).status).toBe(202);
    await running.worker.drain();
    expect(seen).toEqual([`${d.id} deploy`]);
    expect(await running.store.getDelivery(d.id)).toMatchObject({ status: "done", attempts: 1 });
  });

  it("gives the app function the services, and records a handler's error on the delivery", async () => {
    const clock = new FakeClock();
    let services: unknown;
    const running = await start({
      clock,
      app: (s) => {
        services = s;
        return (probot) => {
          probot.on("issue_comment.created", async () => {
            throw new Error("the handler broke");
          });
        };
      },
    });
    expect(services).toMatchObject({ engine: running.engine, store: running.store, probot: running.probot });
    const d = await delivery(example("issue_comment", "created"));
    expect((await send(running.port, d)).status).toBe(202);
    await running.worker.drain();
    const entry = await running.store.getDelivery(d.id);
    // Pending with its error while the retry waits (a crash meanwhile retries it at the next start).
    expect(entry).toMatchObject({ status: "pending", attempts: 1 });
    expect(entry?.error).toMatch(/the handler broke/);
    expect(running.worker.retrying()).toBe(1);
  });

  it("keeps the journal and the app's state in the one STAGEFLOW_DB file", async () => {
    const running = await start({});
    expect(await running.engine.listRuns()).toEqual([]);
    expect(await running.store.inboxStats()).toEqual({ pending: 0, oldestPendingAt: null, total: 0 });
    expect(running.engine.kinds.has("run")).toBe(false);
    // Checkpoints run in a thread, never inside a commit on the thread that answers webhooks.
    expect(
      (running.store as unknown as { db: { pragma(s: string, o: object): unknown } }).db.pragma(
        "wal_autocheckpoint",
        { simple: true },
      ),
    ).toBe(0);
    await running.close();
    app = await start({}, { STAGEFLOW_ALLOW_RUN_STEPS: "1" });
    expect(app.engine.kinds.has("run")).toBe(true);
  });

  it("samples memory and event-loop lag while runs are active, into STAGEFLOW_DB, and stops the sampler on close", async () => {
    const clock = new FakeClock();
    let release = () => {};
    const running = await start({
      clock,
      app: ({ engine }) => {
        engine.register("hold", {
          execute: () => new Promise<Record<string, unknown>>((resolve) => (release = () => resolve({}))),
        });
        return () => {};
      },
    });
    expect(running.sampler.sampling).toBe(false);
    const plan = parseWorkflow(
      "name: held\nstages:\n  - id: one\n    steps:\n      - { id: wait, hold: {} }\n",
      {
        kinds: running.engine.kinds,
      },
    );
    const handle = await running.engine.start(plan);
    // The metrics tell the sampler (their `activity`) as they fold the run's events.
    await vi.waitFor(() => expect(running.sampler.activeRuns).toBe(1));
    expect(running.sampler.sampling).toBe(true);
    await clock.advance(1_000);
    release();
    await handle.done;
    await vi.waitFor(() => expect(running.sampler.activeRuns).toBe(0));
    await running.close();
    expect(running.sampler.sampling).toBe(false);
    expect(running.sampler.sinkFailures).toBe(0);

    const store = createSqliteSampleStore({ path: join(dir, "app.db"), readOnly: true });
    const stored = store.between(0, Number.MAX_SAFE_INTEGER);
    store.close();
    expect(stored.length).toBeGreaterThanOrEqual(1);
    expect(stored[0]).toMatchObject({ at: clock.now(), activeRuns: 1, host: expect.stringMatching(/:\d+$/) });
    expect(stored).toEqual(running.sampler.samples().map((s) => ({ ...s, host: stored[0]?.host })));
  });

  it("asks GitHub, as the app (JWT), for the deliveries that failed while it was down", async () => {
    let authorization: string | undefined;
    const github = githubNock();
    const scope = github
      .scope()
      .get("/app/hook/deliveries")
      .query({ per_page: 100 })
      .reply(function () {
        authorization = String(this.req.headers.authorization);
        return [200, []];
      });
    await start({}, { STAGEFLOW_RECONCILE_MINUTES: "10" });
    for (let i = 0; i < 500 && !scope.isDone(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(scope.isDone()).toBe(true);
    expect(authorization).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/i);
    github.assertValid();
  });

  it("refuses to start with a broken alert channel, naming the variable", async () => {
    await expect(start({}, { STAGEFLOW_SMTP_URL: "mailto:ops@example.com" })).rejects.toThrow(
      /STAGEFLOW_SMTP_URL/,
    );
    app = undefined;
  });

  it("refuses to start without a webhook secret, naming the variable", async () => {
    const c = config();
    await expect(startApp({ ...c, webhookSecret: undefined })).rejects.toThrow(/WEBHOOK_SECRET is not set/);
  });
});

describe("withDotEnv", () => {
  it("reads what Probot's set-up wrote to .env, under the real environment", async () => {
    const { writeFileSync } = await import("node:fs");
    const { withDotEnv } = await import("../../src/app/main.js");
    writeFileSync(
      join(dir, ".env"),
      `APP_ID=77\nWEBHOOK_SECRET=from-file\nPRIVATE_KEY="${privateKey.replace(/\n/g, "\\n")}"`,
    );
    const env = withDotEnv({ WEBHOOK_SECRET: "from-env" }, dir);
    expect(env).toMatchObject({ APP_ID: "77", WEBHOOK_SECRET: "from-env" });
    expect(readAppConfig(env).privateKey?.trim()).toBe(privateKey.trim());
    expect(withDotEnv({ A: "1" }, join(dir, "nowhere"))).toEqual({ A: "1" });
  });
});

describe("every example payload through startApp and probot.receive", () => {
  it("is answered 2xx and reaches the Probot app once, none failed", async () => {
    const { allExamples } = await import("./intake/support.js");
    const seen = new Map<string, number>();
    const running = await start({
      appFn: (probot) => {
        probot.onAny(async (event) => {
          seen.set(event.id, (seen.get(event.id) ?? 0) + 1);
        });
      },
    });
    const examples = allExamples();
    const statuses: number[] = [];
    for (let i = 0; i < examples.length; i += 16) {
      const batch = await Promise.all(examples.slice(i, i + 16).map((ex) => delivery(ex)));
      statuses.push(...(await Promise.all(batch.map((d) => send(running.port, d)))).map((a) => a.status));
    }
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    await running.worker.drain();
    expect(seen.size).toBe(examples.length);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(await running.store.inboxStats()).toMatchObject({ pending: 0, total: examples.length });
    expect(running.worker.retrying()).toBe(0);
  });
});
