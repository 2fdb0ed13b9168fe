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

/**
 * A workflow file that is not loaded because of its problems, with the triggers it names as far
 * as they can be read (best effort, from the raw YAML), so that the app answers a command or a
 * label meant for it with the file's problems instead of silence.
 */
export interface InvalidWorkflow {
  file: string;
  /** `name`, when it can be read. */
  name?: string;
  /** `on.labels` as far as readable. */
  labels: string[];
  /** `on.commands` as far as readable: lower case, without `/`. */
  commands: string[];
  /** This file's problems (also in `RepoConfig.problems`). */
  problems: Problem[];
}

/** A template override in `.github/stageflow/templates/`. */
export interface TemplateRef {
  sha: string;
  path: string;
}

/**
 * Everything the app needs to know about a repository's stageflow configuration. Cached and
 * shared between loads: read it, do not modify it.
 */
export interface RepoConfig {
  settings: Settings;
  /** The workflows that validated, by file name; a file with a problem is not among them. */
  workflows: LoadedWorkflow[];
  /**
   * Every problem of the settings and the workflow files, each with its file and line. While the
   * settings file has problems, the app should refuse to act (fail closed) and say why.
   */
  problems: Problem[];
  /** The workflow files not loaded, with the triggers they name, to answer with their problems. */
  invalid: InvalidWorkflow[];
  /** Template overrides by file name (`comment.md`), for the renderer. */
  templates: Map<string, TemplateRef>;
  /** A workflow's own command word (lower case, without `/`) → the workflow's name. */
  commands: Map<string, string>;
}
