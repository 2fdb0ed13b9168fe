/**
 * What the app's behaviour (webhook handlers and the reporter) needs, as small ports. The
 * composition root (src/app/main.ts) wires the real modules — src/github (comments, check runs,
 * reactions, permissions, commands), src/github/render, the workflow source, the AppStore — and
 * tests may wire fakes the same way. Shapes follow the modules they stand for.
 */
import type { Clock, Engine, Logger, RunReport, WorkflowPlan } from "../../engine/index.js";
import type { GitHubClient, RepoRef } from "../../github/client.js";
import type { AppStore } from "../state/types.js";

/** A repository permission level, lowest first. */
export type Permission = "read" | "triage" | "write" | "maintain" | "admin";

/** The repository's settings (`.github/stageflow.yml`; src/app/config/settings.ts). */
export interface AppSettings {
  command_prefix: string;
  permission: Permission;
  /** Teams (`org/slug`) whose members may act whatever their permission. */
  teams: string[];
  allow_bots: boolean;
  /** Workflow names a PR from a fork cannot start, or `["*"]`. */
  needs_trust: string[];
}

/** The settings file; while it has problems the app acts on nothing (fails closed) and says why. */
export const SETTINGS_FILE = ".github/stageflow.yml";

/** A workflow file of the repository that validated. */
export interface LoadedWorkflow {
  file: string;
  sha: string;
  plan: WorkflowPlan;
  name: string;
  labels: string[];
  /** `on.commands`, lower-cased, without `/`. */
  commands: string[];
}

/** A problem with a workflow or settings file, where it is. */
export interface WorkflowProblem {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

/** A workflow file that did not load, with the triggers it names as far as they can be read. */
export interface InvalidWorkflow {
  file: string;
  name?: string;
  labels: string[];
  commands: string[];
  problems: WorkflowProblem[];
}

/** What the repository's default branch says (src/app/config/types.ts). */
export interface RepoConfig {
  settings: AppSettings;
  workflows: LoadedWorkflow[];
  problems: WorkflowProblem[];
  invalid: InvalidWorkflow[];
  /** Template overrides by file name (`comment.md`). */
  templates: ReadonlyMap<string, { sha: string; path: string }>;
  /** A workflow's own command word → the workflow's name. */
  commands: ReadonlyMap<string, string>;
}

/** The workflow source (src/app/config/workflows.ts). */
export interface WorkflowSourcePort {
  load(client: GitHubClient, where: RepoRef & { defaultBranch: string }): Promise<RepoConfig>;
  /** Forgets what is cached for the repository (a push to its default branch). */
  invalidate(repo: RepoRef): void;
  /** The text of a template override by its blob SHA. */
  templateText(client: GitHubClient, repo: RepoRef, sha: string): Promise<string>;
}

/** A command parsed from a comment's first line (src/github/commands.ts). */
export type ParsedCommand = { raw: string } & (
  | { kind: "run"; workflow: string; params: Record<string, string> }
  | { kind: "retry"; step?: string; run?: string }
  | { kind: "skip"; step: string; run?: string }
  | { kind: "resume" | "cancel" | "approve" | "status"; run?: string }
  | { kind: "help" }
  | { kind: "unknown"; word: string }
  | { kind: "invalid"; message: string }
);

export type ParseCommand = (
  body: string,
  options: { prefix: string; commands: ReadonlyMap<string, string> },
) => ParsedCommand | undefined;

/** A comment as the comments API returns it (what `isOwn` looks at). */
export interface CommentLike {
  id: number;
  body?: string | null;
  user?: { login: string; type?: string } | null;
  performed_via_github_app?: { slug?: string | null } | null;
}

export interface CheckRunOutput {
  title: string;
  summary: string;
  text?: string;
  annotations?: Array<{
    path: string;
    start_line: number;
    end_line: number;
    annotation_level: "notice" | "warning" | "failure";
    message: string;
    title?: string;
  }>;
}

export interface CheckRunAction {
  label: string;
  description: string;
  identifier: string;
}

export type ReactionContent = "eyes" | "rocket" | "-1" | "+1" | "confused";

/** What the app writes on GitHub (src/github). */
export interface GitHubPort {
  upsertComment(
    client: GitHubClient,
    options: RepoRef & {
      issueNumber: number;
      marker: string;
      body: string;
      commentId?: number | null;
      isOwn: (comment: CommentLike) => boolean;
      runId?: string;
    },
  ): Promise<{ id: number; created: boolean }>;
  ownCommentBy(who: { appSlug?: string; botLogin?: string }): (comment: CommentLike) => boolean;
  markerFor(runId: string): string;
  upsertCheckRun(
    client: GitHubClient,
    options: RepoRef & {
      checkRunId?: number | null;
      name: string;
      headSha: string;
      externalId: string;
      status: "queued" | "in_progress" | "completed";
      conclusion?: "success" | "neutral" | "failure" | "cancelled" | "action_required";
      startedAt?: string;
      completedAt?: string;
      detailsUrl?: string;
      output: CheckRunOutput;
      actions?: CheckRunAction[];
      runId?: string;
    },
  ): Promise<{ id: number; created: boolean }>;
  addReaction(
    client: GitHubClient,
    options: RepoRef & { commentId: number; content: ReactionContent },
  ): Promise<boolean>;
  checkPermission(
    client: GitHubClient,
    options: RepoRef & { username: string; required: Permission; teams?: string[] },
  ): Promise<{ allowed: boolean; permission: string | null; reason: string }>;
  /** Whether an error is a (secondary) rate limit: how long GitHub asked to wait. */
  isRateLimited?(error: unknown, nowMs?: number): { retryAfterMs: number } | undefined;
}

/** A repository's template: its blob SHA (the renderer's cache key) and how to read it. */
export interface TemplateOverride {
  sha: string;
  load(): Promise<string>;
  path?: string;
}

export type TemplateOverrides = Partial<Record<string, TemplateOverride>>;

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
