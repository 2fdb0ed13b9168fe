/**
 * The `dispatch` kind: starts a GitHub Actions workflow (`workflow_dispatch`) and waits, durably
 * and holding no memory, for its workflow run to complete.
 *
 *   - id: e2e
 *     dispatch: { workflow: e2e.yml, ref: main, inputs: { suite: full }, repo: owner/name, timeout: 2h }
 *
 * `workflow` (a file name or id) is required; `ref` defaults to the run's `metadata.defaultBranch`,
 * else the repository's default branch; `repo` to the run's repository. The dispatch asks for the
 * run's id (`return_run_details`) and records it in the DispatchRegistry under the step's
 * idempotency key before waiting, so a step that runs again (a wake, a resume after a crash)
 * waits for the same workflow run instead of dispatching another. It waits for the signal
 * `dispatch:<stepId>`, which the host sends with a DispatchResult when `workflow_run.completed`
 * arrives (or its poll finds the run completed); a step that runs again first asks GitHub once
 * whether the run has completed (GitHub's answer wins over a signal). Outputs: `conclusion`, `url`, `run_id`,
 * and `run_started_at` / `run_updated_at` (the workflow run's times as GitHub gives them, null when
 * unknown: the cost report's runner minutes). A conclusion other than
 * success, neutral or skipped fails the step, naming the workflow run's URL. `timeout` fails it
 * `timed_out` (a durable deadline, fixed by the first execution).
 *
 * A step that runs again after its workflow run failed (a retry: recovery, or `resume` of the
 * failed run) dispatches again. Since a step takes one signal of its name (the same one each time
 * it runs), it then waits for the new workflow run by asking GitHub every minute, durably.
 */
import { durationMs, parseDuration } from "../../engine/definition/durations.js";
import { InputError, TimeoutError } from "../../engine/errors.js";
import type { StepContext, StepOutputs } from "../../engine/handler.js";
import type { RepoRef } from "../../github/client.js";
import type { StepsGitHubClient as GitHubClient } from "./client.js";
import type { DispatchRecord, DispatchResult } from "./dispatch-registry.js";
import {
  type GitHubStepsOptions,
  isExpression,
  isPlainObject,
  metadataRepo,
  parseRepo,
  requestWaitingOutLimits,
  withRunClient,
} from "./shared.js";

const KEYS = ["workflow", "ref", "inputs", "repo", "timeout"];
/** How often a re-dispatched step asks GitHub whether its workflow run completed. */
const POLL_MS = 60_000;
/** Conclusions that do not fail the step. */
const PASSING = new Set(["success", "neutral", "skipped"]);

/** The signal a dispatch step waits for. */
export const dispatchSignal = (stepId: string): string => `dispatch:${stepId}`;

interface DispatchConfig {
  workflow: string;
  ref?: string;
  inputs?: Record<string, unknown>;
  repo?: string;
  timeout?: string;
}

/** The `dispatch` kind (see `githubSteps`). */
export function createDispatchStep(options: GitHubStepsOptions) {
  return withRunClient(
    options,
    {
      outputs: ["conclusion", "url", "run_id", "run_started_at", "run_updated_at"],
      waits: true,
      validate: dispatchProblems,
      dependency: () => "api.github.com",
      signals: (_config, stepId) => [dispatchSignal(stepId)],
    },
    (ctx, client) => executeDispatch(ctx, client, options),
  );
}

function asConfig(config: unknown): unknown {
  return typeof config === "string" ? { workflow: config } : config;
}

function dispatchProblems(raw: unknown): Array<[string, string]> {
  const config = asConfig(raw);
  if (!isPlainObject(config))
    return [["", "must be a workflow file name or a map with workflow, ref, inputs, repo, timeout"]];
  const problems: Array<[string, string]> = [];
  for (const key of Object.keys(config))
    if (!KEYS.includes(key)) problems.push([key, `unknown key (known: ${KEYS.join(", ")})`]);
  const { workflow, ref, inputs, repo, timeout } = config;
  if (typeof workflow !== "string" && typeof workflow !== "number")
    problems.push(["workflow", "required: the workflow's file name (e2e.yml) or id"]);
  if (ref !== undefined && typeof ref !== "string") problems.push(["ref", "must be a branch or tag name"]);
  if (inputs !== undefined && !isExpression(inputs)) {
    if (!isPlainObject(inputs)) problems.push(["inputs", "must be a map of input names to values"]);
    else if (Object.keys(inputs).length > 25) problems.push(["inputs", "at most 25 inputs (GitHub's limit)"]);
  }
  if (repo !== undefined && !isExpression(repo) && !parseRepo(repo))
    problems.push(["repo", `must be owner/name, got ${JSON.stringify(repo)}`]);
  if (timeout !== undefined && !isExpression(timeout) && parseDuration(timeout) === undefined)
    problems.push(["timeout", "must be a duration such as '30m' or '2h'"]);
  return problems;
}

function resolveConfig(ctx: StepContext): DispatchConfig & { target: RepoRef } {
  const config = asConfig(ctx.config);
  const problems = dispatchProblems(config);
  if (problems.length > 0 || !isPlainObject(config)) {
    const text = problems.map(([at, m]) => `${at ? `dispatch.${at}` : "dispatch"}: ${m}`).join("; ");
    throw new InputError("invalid_input", `step '${ctx.stepId}': ${text}`);
  }
  const target = config.repo !== undefined ? parseRepo(config.repo) : metadataRepo(ctx.run);
  if (!target) {
    throw new InputError(
      "invalid_input",
      `step '${ctx.stepId}': dispatch: no repository (give repo: owner/name, or start the run with owner and repo metadata)`,
    );
  }
  return { ...(config as unknown as DispatchConfig), workflow: String(config.workflow), target };
}

async function executeDispatch(
  ctx: StepContext,
  client: GitHubClient,
  options: GitHubStepsOptions,
): Promise<StepOutputs> {
  const config = resolveConfig(ctx);
  const signal = dispatchSignal(ctx.stepId);
  const timeoutMs =
    config.timeout === undefined
      ? undefined
      : durationMs(config.timeout, `step '${ctx.stepId}': dispatch.timeout`);
  // Fixed by the first execution: a step that runs again waits only the remainder.
  const deadline = timeoutMs === undefined ? undefined : await ctx.deadline(timeoutMs);
  let record = await options.dispatches.get(ctx.idempotencyKey);
  if (record) {
    // Ran before (a wake, a resume): the workflow run may have completed while nobody listened.
    const found = await completedRun(ctx, client, record);
    // A failure already reported (the record is completed): this execution is a retry.
    const retry = found && record.status === "completed" && !PASSING.has(found.conclusion);
    if (found && !retry) return finish(ctx, options, record, found);
    if (retry) record = undefined;
  }
  if (!record) {
    if (deadline !== undefined && deadline <= ctx.clock.now()) {
      throw new TimeoutError(
        `step '${ctx.stepId}': its timeout (${String(config.timeout)}, counted from its first execution) has passed: not dispatching again`,
        timeoutMs ?? 0,
      );
    }
    record = await dispatch(ctx, client, config);
    await options.dispatches.put(record);
  }
  const timedOut = () =>
    new TimeoutError(
      `step '${ctx.stepId}': workflow run ${record.url} did not complete within ${String(config.timeout)}`,
      timeoutMs ?? 0,
    );
  const got = await ctx.waitFor({ signal, ...(deadline === undefined ? {} : { deadline }) });
  if (!got) throw timedOut();
  const result = resultOf(got.payload, record, ctx.stepId);
  if (result.workflowRunId === record.workflowRunId) return finish(ctx, options, record, result);
  // The signal this step took is an earlier workflow run's (a step takes one signal of its name,
  // the same one each time it runs): after a re-dispatch the step polls GitHub, durably.
  // A wait that parks the run ends this execution; the wake runs the step again from the top.
  for (;;) {
    const now = ctx.clock.now();
    if (deadline !== undefined && deadline <= now) throw timedOut();
    await ctx.waitFor({ deadline: Math.min(now + POLL_MS, deadline ?? Infinity) });
    const found = await completedRun(ctx, client, record);
    if (found) return finish(ctx, options, record, found);
  }
}

async function dispatch(
  ctx: StepContext,
  client: GitHubClient,
  config: DispatchConfig & { target: RepoRef },
): Promise<DispatchRecord> {
  const { owner, repo } = config.target;
  const ref = config.ref ?? (await defaultBranch(ctx, client, config.target));
  const { data } = await requestWaitingOutLimits(
    ctx,
    client,
    "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
    {
      owner,
      repo,
      workflow_id: config.workflow,
      ref,
      ...(config.inputs === undefined ? {} : { inputs: config.inputs }),
      return_run_details: true,
    },
  );
  const details = data as { workflow_run_id?: unknown; html_url?: unknown } | null | undefined;
  if (typeof details?.workflow_run_id !== "number") {
    throw new Error(
      `step '${ctx.stepId}': GitHub dispatched ${config.workflow} on ${owner}/${repo} but did not say which workflow run it started (no return_run_details support: GitHub Enterprise Server too old?)`,
    );
  }
  const installationId = ctx.run.metadata.installationId;
  return {
    key: ctx.idempotencyKey,
    runId: ctx.runId,
    stepId: ctx.stepId,
    signal: dispatchSignal(ctx.stepId),
    installationId: typeof installationId === "number" ? installationId : null,
    owner,
    repo,
    workflow: config.workflow,
    workflowRunId: details.workflow_run_id,
    url: typeof details.html_url === "string" ? details.html_url : "",
    status: "waiting",
    createdAt: ctx.clock.now(),
  };
}

async function defaultBranch(ctx: StepContext, client: GitHubClient, target: RepoRef): Promise<string> {
  const { defaultBranch: known, owner, repo } = ctx.run.metadata;
  if (typeof known === "string" && owner === target.owner && repo === target.repo) return known;
  const { data } = await requestWaitingOutLimits(ctx, client, "GET /repos/{owner}/{repo}", { ...target });
  const branch = (data as { default_branch?: unknown } | null)?.default_branch;
  return typeof branch === "string" ? branch : "main";
}

/** The workflow run's result when GitHub says it has completed, else undefined. */
async function completedRun(
  ctx: StepContext,
  client: GitHubClient,
  record: DispatchRecord,
): Promise<DispatchResult | undefined> {
  const { data } = await requestWaitingOutLimits(
    ctx,
    client,
    "GET /repos/{owner}/{repo}/actions/runs/{run_id}",
    {
      owner: record.owner,
      repo: record.repo,
      run_id: record.workflowRunId,
    },
  );
  const run = data as {
    status?: unknown;
    conclusion?: unknown;
    html_url?: unknown;
    run_started_at?: unknown;
    updated_at?: unknown;
  } | null;
  if (run?.status !== "completed") return undefined;
  return {
    workflowRunId: record.workflowRunId,
    conclusion: typeof run.conclusion === "string" ? run.conclusion : "unknown",
    url: typeof run.html_url === "string" ? run.html_url : record.url,
    runStartedAt: stringOrNull(run.run_started_at),
    runUpdatedAt: stringOrNull(run.updated_at),
  };
}

function resultOf(payload: unknown, record: DispatchRecord, stepId: string): DispatchResult {
  const p = isPlainObject(payload) ? payload : {};
  if (typeof p.conclusion !== "string") {
    throw new InputError(
      "invalid_input",
      `step '${stepId}': the signal ${dispatchSignal(stepId)} carries no conclusion (a DispatchResult: { workflowRunId, conclusion, url })`,
    );
  }
  return {
    workflowRunId: typeof p.workflowRunId === "number" ? p.workflowRunId : record.workflowRunId,
    conclusion: p.conclusion,
    url: typeof p.url === "string" && p.url !== "" ? p.url : record.url,
    runStartedAt: stringOrNull(p.runStartedAt),
    runUpdatedAt: stringOrNull(p.runUpdatedAt),
  };
}

const stringOrNull = (value: unknown): string | null => (typeof value === "string" && value ? value : null);

async function finish(
  ctx: StepContext,
  options: GitHubStepsOptions,
  record: DispatchRecord,
  result: DispatchResult,
): Promise<StepOutputs> {
  if (record.status !== "completed") await options.dispatches.complete(record.key);
  if (!PASSING.has(result.conclusion)) {
    throw new Error(
      `step '${ctx.stepId}': workflow ${record.workflow} on ${record.owner}/${record.repo} ended ${result.conclusion}: ${result.url}`,
    );
  }
  return {
    conclusion: result.conclusion,
    url: result.url,
    run_id: result.workflowRunId,
    run_started_at: result.runStartedAt ?? null,
    run_updated_at: result.runUpdatedAt ?? null,
  };
}
