/**
 * What the app's behaviour (webhook handlers and the reporter) needs, as small ports. Each port
 * is the signature of the real module (src/github, src/github/render, src/app/config), so that
 * `createHandlers` (wiring.ts) hands the real ones in and a test can hand in its own.
 */
import type { Clock, Engine, Logger, RunReport, WorkflowPlan } from "../../engine/index.js";
import type { GitHubClient } from "../../github/client.js";
import type { ParsedCommand, parseCommand } from "../../github/commands.js";
import type * as github from "../../github/index.js";
import type { CheckRunOutput, TemplateOverride, TemplateOverrides } from "../../github/render/index.js";
import type { WorkflowSource } from "../config/workflows.js";
import type { AppStore } from "../state/types.js";

export type { ParsedCommand, TemplateOverride, TemplateOverrides };
export type { InvalidWorkflow, LoadedWorkflow, RepoConfig } from "../config/types.js";
export type { Problem as WorkflowProblem } from "../config/problems.js";
export type { Settings as AppSettings } from "../config/settings.js";
export { SETTINGS_FILE } from "../config/settings.js";
export type { CheckRunAction, Permission, ReactionContent } from "../../github/index.js";

/** The workflow source (src/app/config/workflows.ts). */
export type WorkflowSourcePort = Pick<WorkflowSource, "load" | "invalidate" | "templateText">;

/** The command parser (src/github/commands.ts). */
export type ParseCommand = typeof parseCommand;

/** What the app writes on GitHub (src/github). */
export type GitHubPort = Pick<
  typeof github,
  | "upsertComment"
  | "ownCommentBy"
  | "markerFor"
  | "upsertCheckRun"
  | "addReaction"
  | "checkPermission"
  | "isRateLimited"
>;

/**
 * The report templates (src/github/render), bound to one renderer. `View` is the renderer's
 * RunView.
 */
export interface RendererPort<View = unknown> {
  runView(report: RunReport, options: { now: number; plan?: WorkflowPlan }): View;
  checkRunOutput(view: View, overrides?: TemplateOverrides): Promise<CheckRunOutput>;
  commentBody(view: View, overrides?: TemplateOverrides): Promise<string>;
  /** Renders a template (`reply-refused`, `reply-help`, ...), or the repository's override of it. */
  render(name: string, data: object, override?: TemplateOverride): Promise<{ text: string }>;
}

/** The reporter, as the handlers see it: told about a run as soon as its target is saved. */
export interface ReporterHandle {
  track(runId: string): void;
}

/** Everything the app's handlers use. */
export interface AppDeps {
  engine: Engine;
  store: AppStore;
  workflows: WorkflowSourcePort;
  github: GitHubPort;
  parseCommand: ParseCommand;
  renderer: RendererPort;
  clock: Clock;
  log: Logger;
  /** The app's slug: its comments are `<slug>[bot]`'s. */
  appSlug: string;
  /** A client for the installation (Probot's `app.auth(id)`). */
  clientFor(installationId: number): Promise<GitHubClient>;
  /** Told about each run the handlers start or steer, so its report is written at once. */
  reporter?: ReporterHandle;
}
