/** What the app knows of a repository's stageflow configuration (see workflows.ts). */
import type { WorkflowPlan } from "../../index.js";
import type { Problem } from "./problems.js";
import type { Settings } from "./settings.js";

/** A workflow of the repository that validated. */
export interface LoadedWorkflow {
  /** Its path in the repository, e.g. `.github/stageflow/deploy.yml`. */
  file: string;
  /** Its blob SHA on the default branch. */
  sha: string;
  plan: WorkflowPlan;
  name: string;
  /** `on.labels`. */
  labels: string[];
  /** `on.commands`, lower-cased, without `/`. */
  commands: string[];
}

/** A template override in `.github/stageflow/templates/`. */
export interface TemplateRef {
  sha: string;
  path: string;
}

/** Everything the app needs to know about a repository's stageflow configuration. */
export interface RepoConfig {
  settings: Settings;
  /** The workflows that validated, by file name; a file with a problem is not among them. */
  workflows: LoadedWorkflow[];
  /** Every problem of the settings and the workflow files, each with its file and line. */
  problems: Problem[];
  /** Template overrides by file name (`comment.md`), for the renderer. */
  templates: Map<string, TemplateRef>;
  /** A workflow's own command word (lower case, without `/`) → the workflow's name. */
  commands: Map<string, string>;
}
