/**
 * One check run per run on the PR's head SHA (`external_id` = run id), created or updated in
 * place. Like the status comment, a create that failed with a 5xx or a network error is checked
 * (list again) before it is repeated, so a run never gets a second check run.
 */
import type { GitHubClient } from "./client.js";
import { httpStatus, mayHaveApplied } from "./errors.js";
import { fitBody, GITHUB_LIMITS } from "./limits.js";

/** A line-level note on a file, shown on the check run and in the PR's diff. */
export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
}

/** A button on the check run (a requested action). */
export interface CheckRunAction {
  /** At most 20 characters (longer labels are cut). */
  label: string;
  /** At most 40 characters (longer descriptions are cut). */
  description: string;
  /** At most 20 characters: what `check_run.requested_action` reports. */
  identifier: string;
}

export type CheckRunConclusion =
  "success" | "failure" | "neutral" | "cancelled" | "skipped" | "timed_out" | "action_required";

/** The state of a check run to write. */
export interface UpsertCheckRunOptions {
  owner: string;
  repo: string;
  /** The check run written before for this run, if known. */
  checkRunId?: number | null;
  /** `stageflow: <workflow>`. */
  name: string;
  headSha: string;
  /** The run id. */
  externalId: string;
  status: "queued" | "in_progress" | "completed";
  /** Required when status is completed; never sent otherwise. */
  conclusion?: CheckRunConclusion;
  /** ISO 8601. */
  startedAt?: string;
  /** ISO 8601. */
  completedAt?: string;
  detailsUrl?: string;
  /**
   * Title, summary and text are cut to GitHub's limits. Annotations are APPENDED by GitHub on
   * every write: pass each annotation once (the first 50 go with the first request, the rest in
   * further updates of 50).
   */
  output: { title: string; summary: string; text?: string; annotations?: Annotation[] };
  /** At most 3 (GitHub's limit). */
  actions?: CheckRunAction[];
  /** Only this app's check runs are matched when given (`app_id` of the listing). */
  appId?: number;
  /** Named in the note when the summary or text has to be cut. */
  runId?: string;
}

interface CheckRunLike {
  id: number;
  external_id?: string | null;
  status?: string;
  conclusion?: string | null;
  output?: { title?: string | null; summary?: string | null; text?: string | null };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Checks and clips the buttons to GitHub's limits. */
export function checkRunActions(actions: CheckRunAction[]): CheckRunAction[] {
  if (actions.length > GITHUB_LIMITS.actionsPerCheckRun) {
    throw new Error(
      `a check run takes at most ${GITHUB_LIMITS.actionsPerCheckRun} actions, got ${actions.length} ` +
        `(${actions.map((a) => a.identifier).join(", ")})`,
    );
  }
  return actions.map((a) => {
    if (a.identifier.length > GITHUB_LIMITS.actionIdentifier || a.identifier.length === 0) {
      throw new Error(
        `check run action identifier "${a.identifier}" must be 1 to ${GITHUB_LIMITS.actionIdentifier} characters`,
      );
    }
    return {
      label: clip(a.label, GITHUB_LIMITS.actionLabel),
      description: clip(a.description, GITHUB_LIMITS.actionDescription),
      identifier: a.identifier,
    };
  });
}

/** Finds this run's check run on the head SHA (same name and external_id). */
export async function findCheckRun(
  client: GitHubClient,
  options: Pick<UpsertCheckRunOptions, "owner" | "repo" | "name" | "headSha" | "externalId" | "appId">,
): Promise<CheckRunLike | undefined> {
  for (let page = 1; page <= 10; page++) {
    const { data } = await client.request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
      owner: options.owner,
      repo: options.repo,
      ref: options.headSha,
      check_name: options.name,
      filter: "all",
      per_page: 100,
      page,
      ...(options.appId !== undefined ? { app_id: options.appId } : {}),
    });
    const runs = data.check_runs as CheckRunLike[];
    const found = runs.find((run) => run.external_id === options.externalId);
    if (found) return found;
    if (runs.length < 100) return undefined;
  }
  return undefined;
}

/**
 * Creates the run's check run or updates it in place; returns its id and whether it was
 * created. Annotations past the first 50 are written by further updates of 50 each.
 */
export async function upsertCheckRun(
  client: GitHubClient,
  options: UpsertCheckRunOptions,
): Promise<{ id: number; created: boolean }> {
  const annotations = options.output.annotations ?? [];
  const per = GITHUB_LIMITS.annotationsPerRequest;
  const output = {
    title: clip(options.output.title, GITHUB_LIMITS.checkRunTitle),
    summary: fitBody(options.output.summary, { limit: GITHUB_LIMITS.checkRunSummary, runId: options.runId }),
    ...(options.output.text !== undefined
      ? { text: fitBody(options.output.text, { limit: GITHUB_LIMITS.checkRunText, runId: options.runId }) }
      : {}),
  };
  const fields = {
    name: options.name,
    external_id: options.externalId,
    status: options.status,
    ...(options.status === "completed" && options.conclusion ? { conclusion: options.conclusion } : {}),
    ...(options.startedAt ? { started_at: options.startedAt } : {}),
    ...(options.completedAt && options.status === "completed" ? { completed_at: options.completedAt } : {}),
    ...(options.detailsUrl ? { details_url: options.detailsUrl } : {}),
    ...(options.actions ? { actions: checkRunActions(options.actions) } : {}),
  };
  const first = annotations.slice(0, per);
  const withAnnotations = (chunk: Annotation[]) =>
    chunk.length > 0 ? { ...output, annotations: chunk } : output;

  const update = (id: number, body: object) =>
    client.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", {
      owner: options.owner,
      repo: options.repo,
      check_run_id: id,
      ...body,
    });
  const rest = async (id: number) => {
    for (let start = per; start < annotations.length; start += per) {
      await update(id, { output: withAnnotations(annotations.slice(start, start + per)) });
    }
  };

  if (options.checkRunId != null) {
    try {
      await update(options.checkRunId, { ...fields, output: withAnnotations(first) });
      await rest(options.checkRunId);
      return { id: options.checkRunId, created: false };
    } catch (error) {
      if (httpStatus(error) !== 404) throw error;
    }
  }

  const existing = await findCheckRun(client, options);
  if (existing) {
    await update(existing.id, { ...fields, output: withAnnotations(first) });
    await rest(existing.id);
    return { id: existing.id, created: false };
  }

  let id: number;
  try {
    const { data } = await client.request("POST /repos/{owner}/{repo}/check-runs", {
      owner: options.owner,
      repo: options.repo,
      head_sha: options.headSha,
      ...fields,
      output: withAnnotations(first),
    });
    id = Number(data.id);
  } catch (error) {
    if (!mayHaveApplied(error)) throw error;
    // The create may have applied (annotations included): converge on it instead of a second.
    const applied = await findCheckRun(client, options);
    if (!applied) throw error;
    id = applied.id;
    if (!sameState(applied, fields, output)) await update(id, { ...fields, output });
  }
  await rest(id);
  return { id, created: true };
}

function sameState(
  run: CheckRunLike,
  fields: { status: string; conclusion?: string },
  output: { title: string; summary: string; text?: string },
): boolean {
  return (
    run.status === fields.status &&
    (run.conclusion ?? undefined) === fields.conclusion &&
    run.output?.title === output.title &&
    run.output?.summary === output.summary &&
    (run.output?.text ?? undefined) === output.text
  );
}
