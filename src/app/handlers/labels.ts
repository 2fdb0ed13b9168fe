/**
 * `issues.labeled` and `pull_request.labeled`: a label in a workflow's `on.labels` starts it on
 * that issue or PR (for a PR, on the head the event names).
 */
import { byLabel } from "../config/lookup.js";
import { type RepoConfig, SETTINGS_FILE, type WorkflowProblem } from "./deps.js";
import { ignoredSender, type EventScope } from "./scope.js";
import { type PullRef, startWorkflow } from "./start.js";

/** Starts every workflow the label triggers. */
export async function onLabeled(
  scope: EventScope,
  event: { label: string; issueNumber: number; pr: PullRef | null },
): Promise<void> {
  if (await ignoredSender(scope)) return;
  const config = await scope.config();
  const { workflows: matching, invalid: broken } = byLabel(config, event.label);
  if (matching.length === 0 && broken.length === 0) return;
  if (await settingsBroken(scope, config)) return;
  if (broken.length)
    await replyWorkflowError(
      scope,
      broken.flatMap((w) => w.problems),
    );
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
 * While the settings file has problems the app acts on nothing it concerns (who may act is
 * unknown): it fails closed and says why. True when it did.
 */
export async function settingsBroken(scope: EventScope, config: RepoConfig): Promise<boolean> {
  const problems = config.problems.filter((p) => p.file === SETTINGS_FILE);
  if (!problems.length) return false;
  await replyWorkflowError(scope, problems);
  return true;
}

/** 👎 and `reply-workflow-error`: each problem with its `file:line:column`. */
export async function replyWorkflowError(scope: EventScope, problems: WorkflowProblem[]): Promise<void> {
  await scope.react("-1");
  await scope.reply("reply-workflow-error", {
    file: problems[0]?.file ?? null,
    problems: problems.map((p) => ({
      location: [p.file, p.line, p.column].filter((part) => part !== undefined).join(":"),
      path: null, // the message already starts with the field's path
      message: p.message,
      hint: null,
    })),
  });
}
