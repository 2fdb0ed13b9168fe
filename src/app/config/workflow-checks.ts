/** The checks across a repository's workflow files: unique names and commands. */
import type { Problem } from "./problems.js";
import type { Settings } from "./settings.js";
import type { InvalidWorkflow, LoadedWorkflow } from "./types.js";
import { positionIn } from "./yaml-position.js";

/** What a workflow's own command may be (`on.commands`, with or without the leading `/`). */
export const COMMAND_WORD = /^[A-Za-z0-9_.-]{1,40}$/;

/**
 * What no single file can check: names and commands unique in the repository, command words
 * that a comment can hold and that are not the command prefix. A file with such a problem is not
 * loaded (the first file, by path, keeps the name or command).
 */
export function checkTogether(
  loaded: LoadedWorkflow[],
  settings: Settings,
  textOf: (file: string) => string | undefined,
  problems: Problem[],
): { workflows: LoadedWorkflow[]; commands: Map<string, string>; invalid: InvalidWorkflow[] } {
  const invalid: InvalidWorkflow[] = [];
  const byName = new Map<string, LoadedWorkflow>();
  const commands = new Map<string, string>();
  const commandFiles = new Map<string, LoadedWorkflow>();
  const workflows: LoadedWorkflow[] = [];
  const prefix = settings.command_prefix.replace(/^\//, "").toLowerCase();
  for (const workflow of loaded) {
    const at = (path: (string | number)[], message: string): Problem => ({
      file: workflow.file,
      ...positionIn(textOf(workflow.file) ?? "", path),
      message,
    });
    const own: Problem[] = [];
    const other = byName.get(workflow.name);
    if (other) {
      own.push(
        at(
          ["name"],
          `name: workflow '${workflow.name}' is also defined in ${other.file} (names are unique in a repository); this file is not loaded`,
        ),
      );
    }
    workflow.plan.on.commands.forEach((written, i) => {
      const word = workflow.commands[i] as string;
      const path = ["on", "commands", i];
      if (!COMMAND_WORD.test(word)) {
        own.push(
          at(
            path,
            `on.commands[${i}]: '${written}' is not a command word (1–40 letters, digits, '_', '-' or '.')`,
          ),
        );
      } else if (word === prefix) {
        own.push(
          at(
            path,
            `on.commands[${i}]: '/${word}' is the command prefix of the app (settings command_prefix); this file is not loaded`,
          ),
        );
      } else if (commandFiles.has(word)) {
        const first = commandFiles.get(word) as LoadedWorkflow;
        own.push(
          at(
            path,
            `on.commands[${i}]: '/${word}' is also the command of workflow '${first.name}' (${first.file}); this file is not loaded`,
          ),
        );
      }
    });
    if (own.length) {
      problems.push(...own);
      const { file, name, labels, commands: words } = workflow;
      invalid.push({ file, name, labels, commands: words, problems: own });
      continue;
    }
    byName.set(workflow.name, workflow);
    for (const word of workflow.commands) {
      commands.set(word, workflow.name);
      commandFiles.set(word, workflow);
    }
    workflows.push(workflow);
  }
  return { workflows, commands, invalid };
}
