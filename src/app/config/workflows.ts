/**
 * Where the app's workflows come from: `.github/stageflow/*.yml` (and `*.yaml`), the settings in
 * `.github/stageflow.yml` and template overrides in `.github/stageflow/templates/*.md`, read
 * through the contents API from the repository's **default branch** only, so a pull request
 * cannot change what runs for it. A repository's listing is cached until `invalidate` (the app
 * calls it on a push to the default branch); file texts are cached by blob SHA, so after an
 * invalidation only the files that changed are fetched again. A file that does not validate
 * becomes problems with file:line; nothing here throws for a user's mistake (a failed request
 * other than a 404 listing does throw: the caller retries the delivery).
 */
import { dirname } from "node:path/posix";
import { LIMITS, parseWorkflow, type StepHandler, type WorkflowPlan } from "../../index.js";
import type { GitHubClient, RepoRef } from "../../github/client.js";
import { type Problem, workflowProblems } from "./problems.js";
import { listDirectory, loadBlobText, type RepoEntry } from "./repo-files.js";
import {
  DEFAULT_SETTINGS,
  MAX_SETTINGS_BYTES,
  parseSettings,
  SETTINGS_FILE,
  type Settings,
} from "./settings.js";
import { Lru } from "./lru.js";
import { type Triggers, triggersOf } from "./triggers.js";
import type { InvalidWorkflow, LoadedWorkflow, RepoConfig, TemplateRef } from "./types.js";
import { checkTogether } from "./workflow-checks.js";

export { loadBlobText as loadTemplateText } from "./repo-files.js";
export type { InvalidWorkflow, LoadedWorkflow, RepoConfig, TemplateRef } from "./types.js";
export { COMMAND_WORD } from "./workflow-checks.js";
export { byLabel, byName, commandWords, type Lookup } from "./lookup.js";

/** The most workflow files read from one repository; the others are reported, not read. */
export const MAX_WORKFLOW_FILES = 100;
/** The most template overrides listed; a template file is read up to this size. */
export const MAX_TEMPLATE_FILES = 50;
export const MAX_TEMPLATE_BYTES = 64 * 1024;

export interface WorkflowSourceOptions {
  /** The step kinds the app registers (the engine's `wait` and `signal` are always known). */
  kinds: ReadonlyMap<string, StepHandler>;
  /** The directory of workflow files. @default ".github/stageflow" */
  dir?: string;
  /** The settings file. @default ".github/stageflow.yml" */
  settingsFile?: string;
  /** Characters of file text kept by blob SHA, for every repository together. @default 16_000_000 */
  maxCachedText?: number;
  /** Workflow files kept parsed (by path and blob SHA). @default 1000 */
  maxCachedPlans?: number;
  /** Repositories whose listing is kept (least recently loaded forgotten first). @default 1000 */
  maxCachedRepos?: number;
}

export interface WorkflowSourceStats {
  /** Directory listings requested. */
  listings: number;
  /** Blobs fetched. */
  blobFetches: number;
  /** File texts taken from the SHA cache instead of fetched. */
  hits: number;
}

export interface WorkflowSource {
  /** The repository's configuration on its default branch (cached until `invalidate`). */
  load(client: GitHubClient, repo: RepoRef & { defaultBranch: string }): Promise<RepoConfig>;
  /** Forgets the repository's listing: the next `load` lists again (unchanged files stay cached). */
  invalidate(repo: RepoRef): void;
  /** The text of a template override by its blob SHA (from `RepoConfig.templates`), cached. */
  templateText(client: GitHubClient, repo: RepoRef, sha: string): Promise<string>;
  stats(): WorkflowSourceStats;
}

type Parsed = { plan: WorkflowPlan } | { problems: Problem[]; triggers: Triggers };

/** Creates a source of workflows with its own caches (one per app). */
export function createWorkflowSource(options: WorkflowSourceOptions): WorkflowSource {
  const dir = (options.dir ?? ".github/stageflow").replace(/\/+$/, "");
  const settingsFile = options.settingsFile ?? SETTINGS_FILE;
  const texts = new Lru<string>(options.maxCachedText ?? 16_000_000, (text) => text.length);
  const parsed = new Lru<Parsed>(options.maxCachedPlans ?? 1000);
  const configs = new Lru<{ branch: string; config: Promise<RepoConfig> }>(options.maxCachedRepos ?? 1000);
  const stats: WorkflowSourceStats = { listings: 0, blobFetches: 0, hits: 0 };

  const list = (client: GitHubClient, repo: RepoRef, path: string, ref: string) => {
    stats.listings++;
    return listDirectory(client, repo, path, ref);
  };
  const text = async (client: GitHubClient, repo: RepoRef, sha: string): Promise<string> => {
    const known = texts.get(sha);
    if (known !== undefined) {
      stats.hits++;
      return known;
    }
    stats.blobFetches++;
    const loaded = await loadBlobText(client, repo, sha);
    texts.set(sha, loaded);
    return loaded;
  };

  async function read(client: GitHubClient, repo: RepoRef, ref: string): Promise<RepoConfig> {
    const parents = new Map<string, RepoEntry[] | undefined>();
    for (const parent of new Set([dirname(dir), dirname(settingsFile)])) {
      parents.set(parent, await list(client, repo, parent, ref));
    }
    const entryAt = (path: string) => parents.get(dirname(path))?.find((e) => e.path === path);
    const problems: Problem[] = [];

    let settings: Settings = structuredClone(DEFAULT_SETTINGS) as Settings;
    const settingsEntry = entryAt(settingsFile);
    if (settingsEntry) {
      const file = readable(settingsEntry, MAX_SETTINGS_BYTES);
      if (file.problem) problems.push(file.problem);
      else {
        const result = parseSettings(await text(client, repo, settingsEntry.sha), settingsFile);
        settings = result.settings;
        problems.push(...result.problems);
      }
    }

    const entries = entryAt(dir)?.type === "dir" ? ((await list(client, repo, dir, ref)) ?? []) : [];
    const files = entries
      .filter((e) => /\.ya?ml$/i.test(e.name) && e.type !== "dir")
      .sort((a, b) => a.path.localeCompare(b.path));
    for (const skipped of files.slice(MAX_WORKFLOW_FILES)) {
      problems.push({
        file: skipped.path,
        message: `not read: at most ${MAX_WORKFLOW_FILES} workflow files are read`,
      });
    }
    const loaded: LoadedWorkflow[] = [];
    const invalid: InvalidWorkflow[] = [];
    for (const entry of files.slice(0, MAX_WORKFLOW_FILES)) {
      const file = readable(entry, LIMITS.fileBytes);
      if (file.problem) {
        problems.push(file.problem);
        continue;
      }
      const result = await parseFile(client, repo, entry);
      if ("problems" in result) {
        problems.push(...result.problems);
        invalid.push({ file: entry.path, ...result.triggers, problems: result.problems });
      } else loaded.push(workflowOf(entry, result.plan));
    }
    const together = checkTogether(loaded, settings, parsedText, problems);
    const { workflows, commands } = together;
    invalid.push(...together.invalid);

    const templates = new Map<string, TemplateRef>();
    const templatesEntry = entries.find((e) => e.name === "templates" && e.type === "dir");
    if (templatesEntry) {
      const listed = ((await list(client, repo, templatesEntry.path, ref)) ?? [])
        .filter((e) => e.type === "file" && /\.md$/i.test(e.name))
        .sort((a, b) => a.name.localeCompare(b.name));
      for (const entry of listed.slice(0, MAX_TEMPLATE_FILES)) {
        if (entry.size > MAX_TEMPLATE_BYTES) {
          problems.push({
            file: entry.path,
            message: `the template has ${entry.size} bytes; at most ${MAX_TEMPLATE_BYTES} are read`,
          });
        } else templates.set(entry.name, { sha: entry.sha, path: entry.path });
      }
    }
    return { settings, workflows, problems, invalid, templates, commands };

    /** The text of a loaded file, for positions (none if it left the cache since: rare). */
    function parsedText(file: string): string | undefined {
      const entry = files.find((e) => e.path === file);
      return entry && texts.get(entry.sha);
    }
  }

  async function parseFile(client: GitHubClient, repo: RepoRef, entry: RepoEntry): Promise<Parsed> {
    const key = `${entry.path}\0${entry.sha}`;
    const known = parsed.get(key);
    if (known) {
      stats.hits++;
      return known;
    }
    const source = await text(client, repo, entry.sha);
    let result: Parsed;
    try {
      result = { plan: parseWorkflow(source, { file: entry.path, kinds: options.kinds }) };
    } catch (e) {
      result = { problems: workflowProblems(entry.path, e), triggers: triggersOf(source) };
    }
    parsed.set(key, result);
    return result;
  }

  return {
    load(client, repo) {
      const key = repoKey(repo);
      const cached = configs.get(key);
      if (cached && cached.branch === repo.defaultBranch) return cached.config;
      const config = read(client, repo, repo.defaultBranch);
      const slot = { branch: repo.defaultBranch, config };
      configs.set(key, slot);
      config.catch(() => {
        if (configs.get(key) === slot) configs.delete(key);
      });
      return config;
    },
    invalidate(repo) {
      configs.delete(repoKey(repo));
    },
    templateText: text,
    stats: () => ({ ...stats }),
  };
}

/** A file entry that may be read, or the problem why not. */
function readable(entry: RepoEntry, maxBytes: number): { problem?: Problem } {
  if (entry.type !== "file")
    return { problem: { file: entry.path, message: `is a ${entry.type}, not a file: not read` } };
  if (entry.size > maxBytes) {
    return {
      problem: {
        file: entry.path,
        message: `the file has ${entry.size} bytes; at most ${maxBytes} are read`,
      },
    };
  }
  return {};
}

function workflowOf(entry: RepoEntry, plan: WorkflowPlan): LoadedWorkflow {
  return {
    file: entry.path,
    sha: entry.sha,
    plan,
    name: plan.name,
    labels: [...plan.on.labels],
    commands: plan.on.commands.map((c) => c.replace(/^\//, "").toLowerCase()),
  };
}

function repoKey(repo: RepoRef): string {
  return `${repo.owner}/${repo.repo}`.toLowerCase();
}
