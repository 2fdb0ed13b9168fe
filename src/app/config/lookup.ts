/**
 * What a trigger (a command word, a label, a workflow name) leads to in a repository's
 * configuration: the loaded workflows, or the files that are not loaded, so that a user who
 * aims at a broken file gets its problems as the answer instead of silence.
 */
import type { InvalidWorkflow, LoadedWorkflow, RepoConfig } from "./types.js";

/** What a trigger found: workflows to start, or broken files to report (or neither). */
export interface Lookup {
  workflows: LoadedWorkflow[];
  invalid: InvalidWorkflow[];
}

/**
 * The command words for `parseCommand`: those of the loaded workflows (→ name) and, where no
 * loaded workflow has the word, those of files not loaded (→ their name, or their file when the
 * name cannot be read). Look the result's `workflow` up with `byName`.
 */
export function commandWords(config: RepoConfig): Map<string, string> {
  const words = new Map(config.commands);
  for (const broken of config.invalid) {
    for (const word of broken.commands) if (!words.has(word)) words.set(word, broken.name ?? broken.file);
  }
  return words;
}

/** The workflow named `name` (as `/stageflow run NAME` or `commandWords` give it). */
export function byName(config: RepoConfig, name: string): Lookup {
  const workflows = config.workflows.filter((w) => w.name === name);
  if (workflows.length) return { workflows, invalid: [] };
  return { workflows, invalid: config.invalid.filter((w) => (w.name ?? w.file) === name) };
}

/**
 * The workflows a label starts (GitHub compares label names case-insensitively; so does this),
 * and the files not loaded that name it.
 */
export function byLabel(config: RepoConfig, label: string): Lookup {
  const same = (l: string) => l.toLowerCase() === label.toLowerCase();
  return {
    workflows: config.workflows.filter((w) => w.labels.some(same)),
    invalid: config.invalid.filter((w) => w.labels.some(same)),
  };
}
