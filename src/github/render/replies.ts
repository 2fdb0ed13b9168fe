/**
 * The data of the reply templates (`reply-*.md`; variables in templates/README.md), and builders
 * for the parts that come from the engine's types (workflow plans, problems of a workflow file).
 */
import type { Problem, WorkflowPlan } from "../../index.js";
import type { RunView } from "./view.js";

/** `reply-refused`: the actor may not do this. */
export interface RefusedReply {
  actor: string;
  /** The command as written (first line of the comment), or null for a label or a button. */
  command: string | null;
  /** Why, in words: `octocat has read permission`, `a pull request from a fork cannot start deploy`. */
  reason: string;
  /** The permission needed (`write`, ...), or null when the refusal is not about permission. */
  permission: string | null;
  /** Teams whose members may (`org/slug`). */
  teams: string[];
}

/** `reply-invalid`: a command that cannot run (unknown workflow, bad or missing inputs). */
export interface InvalidReply {
  actor: string;
  command: string | null;
  workflow: string | null;
  /** One line each, e.g. `input 'env' must be one of staging, production (got 'prod')`. */
  problems: string[];
  /** How the command is written, e.g. `/stageflow run deploy env=<staging|production>`, or null. */
  usage: string | null;
  prefix: string;
}

export interface HelpInput {
  name: string;
  type: string;
  required: boolean;
  default: string | number | boolean | null;
  description: string | null;
  options: string[];
  secret: boolean;
}

export interface HelpWorkflow {
  name: string;
  description: string | null;
  commands: string[];
  labels: string[];
  inputs: HelpInput[];
}

/** `reply-help`: the repository's workflows, their commands, labels and inputs, and the commands. */
export interface HelpReply {
  actor: string | null;
  prefix: string;
  /** The command that was not understood (help answers an unknown command), or null. */
  unknown: string | null;
  workflows: HelpWorkflow[];
  commands: Array<{ usage: string; description: string }>;
}

/** One problem of a workflow file, as `reply-workflow-error` shows it. */
export interface ProblemView {
  /** `.github/stageflow/deploy.yml:14:7`, or null without a position. */
  location: string | null;
  path: string;
  message: string;
  hint: string | null;
}

/** `reply-workflow-error`: the workflow file does not validate. */
export interface WorkflowErrorReply {
  actor: string;
  file: string | null;
  command: string | null;
  problems: ProblemView[];
}

/** `reply-started`: the run a command started. */
export interface StartedReply {
  actor: string;
  command: string | null;
  run: RunView;
}

/** One earlier run in `reply-status`. */
export interface RunListItem {
  runId: string;
  workflow: string;
  status: string;
  emoji: string;
  duration: string;
}

/** `reply-status`: the run asked about (or the latest), and the runs of the issue, newest first. */
export interface StatusReply {
  actor: string | null;
  run: RunView | null;
  runs: RunListItem[];
  /** Whether the thread is a pull request (for the "no run yet" line). */
  pr: boolean;
}

/** The commands `/stageflow` understands, as `reply-help` lists them. */
export function commandList(prefix = "/stageflow"): Array<{ usage: string; description: string }> {
  return [
    { usage: `${prefix} run NAME key=value ...`, description: "start workflow NAME with these inputs" },
    { usage: `${prefix} status [#RUN]`, description: "show the latest run of this thread (or run RUN)" },
    {
      usage: `${prefix} retry [STEP] [#RUN]`,
      description: "run the failed steps again (succeeded steps are kept)",
    },
    { usage: `${prefix} skip STEP [#RUN]`, description: "record STEP as skipped and go on" },
    { usage: `${prefix} resume [#RUN]`, description: "resume a run that stopped or waits for a person" },
    { usage: `${prefix} approve [#RUN]`, description: "approve the step that waits for an approval" },
    { usage: `${prefix} cancel [#RUN]`, description: "cancel the run" },
    { usage: `${prefix} help`, description: "this list" },
  ];
}

/** `reply-help` data from the repository's workflow plans. */
export function helpReply(
  plans: readonly WorkflowPlan[],
  options: { prefix?: string; actor?: string | null; unknown?: string | null } = {},
): HelpReply {
  const prefix = options.prefix ?? "/stageflow";
  return {
    actor: options.actor ?? null,
    prefix,
    unknown: options.unknown ?? null,
    workflows: [...plans].sort((a, b) => a.name.localeCompare(b.name)).map((plan) => helpWorkflow(plan)),
    commands: commandList(prefix),
  };
}

/**
 * One workflow of `reply-help`: its description, commands, labels and inputs (a secret input's
 * default never shown). The app passes the commands and labels as it matches them.
 */
export function helpWorkflow(
  plan: WorkflowPlan,
  triggers: { commands: readonly string[]; labels: readonly string[] } = plan.on,
): HelpWorkflow {
  return {
    name: plan.name,
    description: plan.description ?? null,
    commands: [...triggers.commands],
    labels: [...triggers.labels],
    inputs: Object.entries(plan.inputs).map(([name, spec]) => ({
      name,
      type: spec.type,
      required: spec.required && spec.default === undefined,
      default: spec.secret ? null : (spec.default ?? null),
      description: spec.description ?? null,
      options: spec.options ?? [],
      secret: spec.secret === true,
    })),
  };
}

/** Problems of a workflow file (WorkflowError.problems) as `reply-workflow-error` shows them. */
export function problemViews(problems: readonly Problem[]): ProblemView[] {
  return problems.map((p) => {
    const at = [p.file, p.line, p.column].filter((part) => part !== undefined);
    return {
      location: at.length && p.file !== undefined ? at.join(":") : null,
      path: p.path,
      message: p.message,
      hint: p.hint ?? null,
    };
  });
}

/** A run of the list in `reply-status`. */
export function runListItem(view: RunView): RunListItem {
  return {
    runId: view.runId,
    workflow: view.workflow,
    status: view.status,
    emoji: view.emoji,
    duration: view.duration,
  };
}
