/**
 * stageflow's behaviour plugged into the app's services: the GitHub step kinds (`github`,
 * `dispatch`, `approval`) on the engine, the handlers and the reporter (src/app/handlers), and
 * what a restart needs — the reporter catches up from its cursor, runs whose owner died resume,
 * parked runs are scheduled again — plus the polling fallback of `dispatch` steps for a lost
 * `workflow_run` webhook. `startApp` uses it unless a test gives its own app function.
 */
import type { ApplicationFunction } from "probot";
import type { RunInfo } from "../engine/index.js";
import type { GitHubClient } from "../github/client.js";
import { checkPermission, type Permission } from "../github/permissions.js";
import { githubSteps } from "../steps/github/index.js";
import { onWorkflowRunCompleted } from "./handlers/dispatch.js";
import { createHandlers, type Handlers } from "./handlers/wiring.js";
import type { AppServices } from "./main.js";

export interface StageflowAppOptions {
  /** The app's slug; read from `GET /app` when not given. */
  appSlug?: string;
  /** The shortest time between two report writes of one run. @default 1000 */
  minIntervalMs?: number;
  /** How often waiting `dispatch` steps' workflow runs are polled (lost webhooks). @default 5 min */
  dispatchPollMs?: number;
}

export interface StageflowApp {
  appFn: ApplicationFunction;
  handlers: Handlers;
  /** After Probot loaded the app: the reporter follows events, runs resume, the poller starts. */
  start(): Promise<void>;
  /** Before the engine closes: the poller stops, the reporter writes what is pending. */
  stop(): Promise<void>;
  /** One round of the dispatch poll (tests call it). Resolves with the workflow runs found completed. */
  pollDispatches(): Promise<number>;
}

const installationOf = (run: RunInfo): number => {
  const id = run.metadata.installationId;
  if (typeof id !== "number") throw new Error(`run ${run.id} has no installationId in its metadata`);
  return id;
};

async function readSlug(services: AppServices): Promise<string> {
  const fromEnv = services.config.env.STAGEFLOW_APP_SLUG;
  if (fromEnv) return fromEnv;
  try {
    const app = (await services.probot.auth()) as unknown as GitHubClient;
    const { data } = await app.request("GET /app");
    if (data?.slug) return data.slug;
  } catch (error) {
    services.log.warn("could not read the app's slug (GET /app); set STAGEFLOW_APP_SLUG", {
      error: error instanceof Error ? error.message : String(error),
    });
  }
  return "stageflow";
}

/** Builds stageflow's app on the services of `startApp`. */
export async function createStageflowAppOn(
  services: AppServices,
  options: StageflowAppOptions = {},
): Promise<StageflowApp> {
  const { engine, store, clock, log, probot } = services;
  const clientFor = async (installationId: number) =>
    (await probot.auth(installationId)) as unknown as GitHubClient;
  const kinds = githubSteps({
    clientFor: (run) => clientFor(installationOf(run)),
    dispatches: store,
    async permission(run, actor, required, teams) {
      const client = await clientFor(installationOf(run));
      const { owner, repo } = run.metadata as { owner: string; repo: string };
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
  const appSlug = options.appSlug ?? (await readSlug(services));
  const handlers = createHandlers({
    engine,
    store,
    clock,
    log,
    appSlug,
    clientFor,
    minIntervalMs: options.minIntervalMs,
  });

  const pollDispatches = async (): Promise<number> => {
    let completed = 0;
    for (const record of await store.waiting()) {
      if (record.installationId === null) continue;
      try {
        const client = await clientFor(record.installationId);
        const { data } = await client.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", {
          owner: record.owner,
          repo: record.repo,
          run_id: record.workflowRunId,
        });
        if (data.status !== "completed") continue;
        await onWorkflowRunCompleted(handlers.deps, {
          id: record.workflowRunId,
          conclusion: data.conclusion,
          html_url: data.html_url,
          run_started_at: data.run_started_at ?? null,
          updated_at: data.updated_at,
        });
        completed++;
      } catch (error) {
        log.warn("dispatch poll failed", {
          workflowRunId: record.workflowRunId,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return completed;
  };

  const pollMs = options.dispatchPollMs ?? 5 * 60_000;
  const poller = new AbortController();
  const pollLoop = async () => {
    while (!poller.signal.aborted) {
      try {
        await clock.sleep(pollMs, poller.signal);
      } catch {
        return; // stopped
      }
      await pollDispatches();
    }
  };
  let polling: Promise<void> | undefined;

  return {
    appFn: handlers.appFn,
    handlers,
    pollDispatches,
    async start() {
      await handlers.reporter.start();
      const resumed = await engine.resumeAll();
      for (const handle of resumed) handlers.reporter.track(handle.runId);
      if (resumed.length > 0) log.info("runs resumed after a restart", { runs: resumed.length });
      polling = pollLoop();
    },
    async stop() {
      poller.abort();
      await polling;
      await handlers.reporter.close();
    },
  };
}
