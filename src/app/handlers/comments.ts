/**
 * `issue_comment.created`: a comment whose first line is a command starts a workflow
 * (`/stageflow run NAME k=v`, or a workflow's own `/deploy k=v`) or steers the issue's run.
 * Edits and deletions are never read (the app subscribes to `created` only).
 */
import type { RepoConfig } from "./deps.js";
import { findWorkflow, problemsAbout, workflowErrorData } from "./labels.js";
import { ignoredSender, type EventScope } from "./scope.js";
import { fetchPull, startWorkflow } from "./start.js";
import { findRun, refuse, steer } from "./steer.js";

export interface CommentEvent {
  body: string;
  issueNumber: number;
  /** The comment is on a pull request. */
  isPull: boolean;
}

/** Whether a body can hold a command at all (its first line starts with `/`): no API call otherwise. */
export function mayBeCommand(body: string): boolean {
  return body.trimStart().startsWith("/");
}

export async function onCommentCreated(scope: EventScope, event: CommentEvent): Promise<void> {
  if (!mayBeCommand(event.body)) return;
  if (await ignoredSender(scope)) return;
  const config = await scope.config();
  const command = scope.deps.parseCommand(event.body, {
    prefix: config.settings.command_prefix,
    commands: config.commands,
  });
  if (!command) return;
  await scope.react("eyes");
  switch (command.kind) {
    case "invalid":
      await refuse(scope, command.message);
      return;
    case "help":
    case "unknown":
      await scope.reply(
        "reply-help",
        helpData(config, command.kind === "unknown" ? command.name : undefined),
      );
      return;
    case "run": {
      const workflow = findWorkflow(config.workflows, command.workflow);
      if (!workflow) {
        const problems = problemsAbout(config, command.workflow);
        if (problems.length) {
          await scope.react("-1");
          await scope.reply("reply-workflow-error", workflowErrorData(problems));
        } else {
          await scope.reply("reply-help", helpData(config, command.workflow));
        }
        return;
      }
      const pr = event.isPull ? await fetchPull(scope, event.issueNumber) : null;
      await startWorkflow(scope, {
        workflow,
        source: "command",
        detail: event.body.trimStart().split("\n", 1)[0]?.trim() ?? "",
        inputs: command.params,
        issueNumber: event.issueNumber,
        pr,
      });
      return;
    }
    default: {
      const run = await findRun(scope, event.issueNumber, command.run);
      if (!run) {
        await refuse(
          scope,
          command.run === undefined
            ? `there is no stageflow run on #${event.issueNumber}`
            : `no run '${command.run}' on #${event.issueNumber}`,
        );
        return;
      }
      await steer(scope, run, { kind: command.kind, step: "step" in command ? command.step : undefined });
    }
  }
}

/** The data of `reply-help`: the repository's workflows, their commands, labels and inputs. */
export function helpData(config: RepoConfig, unknown?: string): Record<string, unknown> {
  const prefix = config.settings.command_prefix;
  return {
    prefix,
    unknown,
    workflows: config.workflows.map((w) => ({
      name: w.name,
      file: w.file,
      description: w.plan.description,
      labels: w.labels,
      commands: [`${prefix} run ${w.name}`, ...w.commands.map((c) => `/${c}`)],
      inputs: Object.entries(w.plan.inputs).map(([name, spec]) => ({ name, ...spec })),
    })),
    commands: [
      "run NAME key=value ...",
      "retry [STEP]",
      "skip STEP",
      "resume",
      "cancel",
      "approve",
      "status",
      "help",
    ].map((c) => `${prefix} ${c}`),
    problems: workflowErrorData(config.problems).problems,
  };
}
