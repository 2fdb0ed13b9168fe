/**
 * `issues.labeled` and `pull_request.labeled`: a label in a workflow's `on.labels` starts it on
 * that issue or PR (for a PR, on the head the event names).
 */
import type { LoadedWorkflow, RepoConfig, WorkflowProblem } from "./deps.js";
import { ignoredSender, type EventScope } from "./scope.js";
import { type PullRef, startWorkflow } from "./start.js";

/** Starts every workflow the label triggers. */
export async function onLabeled(
  scope: EventScope,
  event: { label: string; issueNumber: number; pr: PullRef | null },
): Promise<void> {
  if (await ignoredSender(scope)) return;
  const config = await scope.config();
  const matching = config.workflows.filter((w) => w.labels.includes(event.label));
  if (matching.length === 0) {
    const problems = problemsAbout(config, event.label);
    if (problems.length) await scope.reply("reply-workflow-error", workflowErrorData(problems));
    return;
  }
  for (const workflow of matching) {
    await startWorkflow(scope, {
      workflow,
      source: "label",
      detail: event.label,
      inputs: {},
      issueNumber: event.issueNumber,
      pr: event.pr,
    });
  }
}

/**
 * The problems of files that may be what the user meant by `name` (a label, a command, a
 * workflow name): the file is named after it, or a problem mentions it. A broken file cannot say
 * which labels it listens to, so this is the best guess there is.
 */
export function problemsAbout(config: RepoConfig, name: string): WorkflowProblem[] {
  const lower = name.toLowerCase();
  const files = new Set(
    config.problems
      .filter((p) => {
        const base = p.file
          .split("/")
          .pop()
          ?.replace(/\.ya?ml$/, "")
          .toLowerCase();
        return base === lower || p.message.toLowerCase().includes(lower);
      })
      .map((p) => p.file),
  );
  return config.problems.filter((p) => files.has(p.file));
}

/** The data of `reply-workflow-error`: each problem with its `file:line`. */
export function workflowErrorData(problems: WorkflowProblem[]): Record<string, unknown> {
  return {
    problems: problems.map((p) => ({
      ...p,
      where:
        p.line === undefined ? p.file : `${p.file}:${p.line}${p.column === undefined ? "" : `:${p.column}`}`,
    })),
  };
}

/** The workflow a name designates: by its name, or by one of its commands. */
export function findWorkflow(workflows: LoadedWorkflow[], name: string): LoadedWorkflow | undefined {
  return workflows.find((w) => w.name === name) ?? workflows.find((w) => w.commands.includes(name));
}
