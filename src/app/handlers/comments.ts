/**
 * `issue_comment.created`: a comment whose first line is a command starts a workflow
 * (`/stageflow run NAME k=v`, or a workflow's own `/deploy k=v`) or steers the issue's run.
 * Edits and deletions are never read (the app subscribes to `created` only).
 */
import { commandList, helpWorkflow } from "../../github/render/replies.js";
import { byName, commandWords } from "../config/lookup.js";
import type { RepoConfig } from "./deps.js";
import { replyWorkflowError, settingsBroken } from "./labels.js";
import { ignoredSender, type EventScope } from "./scope.js";
import { fetchPull, startWorkflow } from "./start.js";
import { findRun, refuse, steer } from "./steer.js";

export interface CommentEvent {
  body: string;
  issueNumber: number;
  /** The comment is on a pull request. */
  isPull: boolean;
}

/** Whether a body can hold a command at all (it starts with `/`): no API call otherwise. */
export function mayBeCommand(body: string): boolean {
  return body.trimStart().startsWith("/");
}

export async function onCommentCreated(scope: EventScope, event: CommentEvent): Promise<void> {
  if (!mayBeCommand(event.body)) return;
  if (await ignoredSender(scope)) return;
  const config = await scope.config();
  const command = scope.deps.parseCommand(event.body, {
    prefix: config.settings.command_prefix,
    // Broken files' command words too, so that they are answered with the file's problems.
    commands: commandWords(config),
  });
  if (!command) return;
  scope.command = command.raw;
  await scope.react("eyes");
  if (await settingsBroken(scope, config)) return;
  switch (command.kind) {
    case "invalid":
      await refuse(scope, command.message);
      return;
    case "help":
    case "unknown":
      await scope.reply("reply-help", helpData(config, command.kind === "unknown" ? command.word : null));
      return;
    case "run": {
      const found = byName(config, command.workflow);
      const workflow = found.workflows[0];
      if (!workflow) {
        if (found.invalid.length)
          await replyWorkflowError(
            scope,
            found.invalid.flatMap((w) => w.problems),
          );
        else
          await refuse(scope, `there is no workflow '${command.workflow}' in ${scope.owner}/${scope.repo}`);
        return;
      }
      const pr = event.isPull ? await fetchPull(scope, event.issueNumber) : null;
      await startWorkflow(scope, {
        workflow,
        source: "command",
        detail: command.raw,
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
export function helpData(config: RepoConfig, unknown: string | null): Record<string, unknown> {
  const prefix = config.settings.command_prefix;
  return {
    prefix,
    unknown,
    workflows: [...config.workflows]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((w) => helpWorkflow(w.plan, w)),
    commands: commandList(prefix),
  };
}
