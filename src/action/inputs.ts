/**
 * The Action's inputs (action.yml) and the runner's context, read from the environment the way
 * `@actions/core` reads them (`INPUT_<NAME>` upper-cased, spaces as `_`), validated with messages
 * that name the input.
 */
import { isAbsolute, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";

export type Env = Readonly<Record<string, string | undefined>>;

export interface ActionInputs {
  /** The workflow file, as given (relative to the workspace). */
  workflow: string;
  /** Its absolute path. */
  workflowPath: string;
  inputs: Record<string, unknown>;
  /** Empty when none was given (the PR comment is then skipped with a warning). */
  token: string;
  /** The journal's path. */
  state: string;
  checkpoint: "artifact" | "off";
  /** Days the checkpoint artifacts are kept. */
  retentionDays: number;
  comment: boolean;
  failOn: "failure" | "degraded";
  durability: "process" | "machine";
  /** `continue`: a re-run resumes; `restart`: a re-run starts the workflow again. */
  resume: "continue" | "restart";
  /**
   * Tells apart runs of one job that share the workflow file and inputs (legs of a matrix):
   * part of the run's key and of its checkpoints' names. Empty when not given.
   */
  key: string;
}

export interface RunnerContext {
  workspace: string;
  temp: string;
  repository: string | null;
  runId: string;
  runAttempt: number;
  job: string;
  workflow: string | null;
  eventName: string | null;
  eventPath: string | null;
  serverUrl: string;
  apiUrl: string;
  sha: string | null;
  actor: string | null;
}

/** A bad input: the message names it. */
export class ActionInputError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(`input '${input}': ${message}`);
    this.name = "ActionInputError";
  }
}

/** An input's value as `@actions/core` reads it: trimmed, empty when unset. */
export function input(env: Env, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
}

function choice<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = input(env, name) || fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ActionInputError(name, `expected ${allowed.map((a) => `'${a}'`).join(" or ")}, got '${value}'`);
  }
  return value as T;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const value = input(env, name);
  if (value === "") return fallback;
  if (["true", "True", "TRUE"].includes(value)) return true;
  if (["false", "False", "FALSE"].includes(value)) return false;
  throw new ActionInputError(name, `expected true or false, got '${value}'`);
}

/**
 * The workflow's inputs from the `inputs` input: a YAML or JSON mapping (JSON is YAML), e.g.
 * `inputs: '{"version": "1.2.3"}'` or a block `inputs: |\n  version: 1.2.3`.
 */
export function parseInputsMap(text: string): Record<string, unknown> {
  if (text === "") return {};
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true });
  } catch (e) {
    const message = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new ActionInputError("inputs", `not YAML or JSON: ${message}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new ActionInputError("inputs", "expected a mapping of input names to values, e.g. 'version: 1.2.3'");
  }
  return data as Record<string, unknown>;
}

export function runnerContext(env: Env, cwd: string): RunnerContext {
  const attempt = Number(env.GITHUB_RUN_ATTEMPT ?? "1");
  const workspace = env.GITHUB_WORKSPACE || cwd;
  return {
    workspace,
    temp: env.RUNNER_TEMP || join(workspace, ".stageflow", "tmp"),
    repository: env.GITHUB_REPOSITORY || null,
    runId: env.GITHUB_RUN_ID || "local",
    runAttempt: Number.isInteger(attempt) && attempt >= 1 ? attempt : 1,
    job: env.GITHUB_JOB || "job",
    workflow: env.GITHUB_WORKFLOW || null,
    eventName: env.GITHUB_EVENT_NAME || null,
    eventPath: env.GITHUB_EVENT_PATH || null,
    serverUrl: env.GITHUB_SERVER_URL || "https://github.com",
    apiUrl: env.GITHUB_API_URL || "https://api.github.com",
    sha: env.GITHUB_SHA || null,
    actor: env.GITHUB_ACTOR || null,
  };
}

function runKeyInput(env: Env): string {
  const key = input(env, "key");
  const control = [...key].some((c) => c.charCodeAt(0) < 0x20);
  if (key.length > 100 || control) {
    throw new ActionInputError("key", "expected one line of at most 100 characters, e.g. ${{ matrix.os }}");
  }
  return key;
}

/** Reads and checks every input; throws ActionInputError naming the first bad one. */
export function readInputs(env: Env, ctx: RunnerContext): ActionInputs {
  const workflow = input(env, "workflow");
  if (workflow === "") throw new ActionInputError("workflow", "required: the path of a stageflow workflow file");
  const retention = input(env, "retention-days") || "3";
  const retentionDays = Number(retention);
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 90) {
    throw new ActionInputError("retention-days", `expected a whole number of days from 1 to 90, got '${retention}'`);
  }
  const state = input(env, "state");
  return {
    workflow,
    workflowPath: isAbsolute(workflow) ? workflow : resolve(ctx.workspace, workflow),
    inputs: parseInputsMap(env[`INPUT_INPUTS`]?.trim() ?? ""),
    token: input(env, "github-token"),
    state: state ? resolve(ctx.workspace, state) : join(ctx.temp, "stageflow", "state.db"),
    checkpoint: choice(env, "checkpoint", ["artifact", "off"] as const, "artifact"),
    retentionDays,
    comment: bool(env, "comment", false),
    failOn: choice(env, "fail-on", ["failure", "degraded"] as const, "failure"),
    durability: choice(env, "durability", ["process", "machine"] as const, "process"),
    resume: choice(env, "resume", ["continue", "restart"] as const, "continue"),
    key: runKeyInput(env),
  };
}
