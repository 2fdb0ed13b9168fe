/**
 * The handlers wired to the real modules: the workflow source (default branch, cached by blob
 * SHA), the renderer (LiquidJS, built-in templates and the repository's overrides), src/github's
 * writers and the command parser; and the reporter. The composition root calls it once with the
 * app's services and loads `appFn` into Probot; it starts the reporter after the engine and
 * closes it before.
 */
import type { ApplicationFunction } from "probot";
import type { Clock, Engine, Logger } from "../../engine/index.js";
import type { GitHubClient, RepoRef } from "../../github/client.js";
import { parseCommand } from "../../github/commands.js";
import {
  addReaction,
  checkPermission,
  isRateLimited,
  markerFor,
  ownCommentBy,
  upsertCheckRun,
  upsertComment,
} from "../../github/index.js";
import {
  checkRunOutput,
  commentBody,
  createRenderer,
  type Renderer,
  runView,
} from "../../github/render/index.js";
import { createWorkflowSource, type WorkflowSource } from "../config/workflows.js";
import type { AppStore } from "../state/types.js";
import { createStageflowApp } from "./app.js";
import type { AppDeps, GitHubPort, RendererPort } from "./deps.js";
import { createReporter, type Reporter } from "./reporter.js";
import { templateOverrides } from "./scope.js";

export interface HandlerServices {
  engine: Engine;
  store: AppStore;
  clock: Clock;
  log: Logger;
  /** The app's slug (`GET /app`): its comments are `<slug>[bot]`'s. */
  appSlug: string;
  /** A client for an installation (Probot's `probot.auth(id)`). */
  clientFor(installationId: number): Promise<GitHubClient>;
  /** The shortest time between two report writes of one run. @default 1000 */
  minIntervalMs?: number;
}

export interface Handlers {
  /** The Probot app: `probot.load(appFn)`. */
  appFn: ApplicationFunction;
  /** Start it once the engine runs (`await reporter.start()`); close it before the engine. */
  reporter: Reporter;
  workflows: WorkflowSource;
  renderer: Renderer;
  deps: AppDeps;
}

/** src/github's writers, as the handlers take them. */
export const githubPort: GitHubPort = {
  upsertComment,
  ownCommentBy,
  markerFor,
  upsertCheckRun,
  addReaction,
  checkPermission,
  isRateLimited,
};

/** The render functions bound to one renderer. */
export function rendererPort(renderer: Renderer): RendererPort {
  return {
    runView: (report, options) => runView(report, options),
    checkRunOutput: (view, overrides) =>
      checkRunOutput(view as ReturnType<typeof runView>, renderer, overrides),
    commentBody: (view, overrides) => commentBody(view as ReturnType<typeof runView>, renderer, overrides),
    render: (name, data, override) => renderer.render(name, data, override),
  };
}

/** Builds the handlers and the reporter from the app's services. */
export function createHandlers(services: HandlerServices): Handlers {
  const workflows = createWorkflowSource({ kinds: services.engine.kinds });
  const renderer = createRenderer();
  const port = rendererPort(renderer);
  // The default branch of each repository seen, for the reporter's template overrides.
  const branches = new Map<string, string>();
  const source = {
    load: (client: GitHubClient, where: RepoRef & { defaultBranch: string }) => {
      branches.set(`${where.owner}/${where.repo}`, where.defaultBranch);
      return workflows.load(client, where);
    },
    invalidate: (repo: RepoRef) => workflows.invalidate(repo),
    templateText: (client: GitHubClient, repo: RepoRef, sha: string) =>
      workflows.templateText(client, repo, sha),
  };
  const reporter = createReporter({
    engine: services.engine,
    store: services.store,
    github: githubPort,
    renderer: port,
    clock: services.clock,
    clientFor: services.clientFor,
    appSlug: services.appSlug,
    log: services.log,
    minIntervalMs: services.minIntervalMs,
    async context(target, client, run) {
      const repo = { owner: target.owner, repo: target.repo };
      let defaultBranch = branches.get(`${repo.owner}/${repo.repo}`);
      if (defaultBranch === undefined) {
        const { data } = await client.request("GET /repos/{owner}/{repo}", repo);
        defaultBranch = data.default_branch;
        branches.set(`${repo.owner}/${repo.repo}`, defaultBranch);
      }
      const config = await workflows.load(client, { ...repo, defaultBranch });
      const plan = config.workflows.find((w) => w.plan.hash === run.definitionHash)?.plan;
      return { overrides: templateOverrides({ workflows }, client, repo, config), plan };
    },
  });
  const deps: AppDeps = {
    engine: services.engine,
    store: services.store,
    workflows: source,
    github: githubPort,
    parseCommand,
    renderer: port,
    clock: services.clock,
    log: services.log,
    appSlug: services.appSlug,
    clientFor: services.clientFor,
    reporter,
  };
  return { appFn: createStageflowApp(deps), reporter, workflows, renderer, deps };
}
