/**
 * One write of a run's report: the run's check run (on the PR's head SHA; a plain issue has
 * none) and its status comment, rendered from the journal's report, with the ids GitHub gave
 * them kept in the run's ReportTarget. The reporter (reporter.ts) decides when.
 */
import { learnHistory } from "../../observe/baselines.js";
import {
  type Clock,
  type Engine,
  type Logger,
  nullLogger,
  type RunRecord,
  type WorkflowPlan,
} from "../../engine/index.js";
import type { Annotation } from "../../github/check-runs.js";
import type { GitHubClient } from "../../github/client.js";
import { httpStatus } from "../../github/errors.js";
import type { AppStore, ReportTarget } from "../state/types.js";
import type { GitHubPort, RendererPort, TemplateOverrides } from "./deps.js";
import { checkRunState } from "./report-state.js";

/** What the repository adds to a run's report (see ReporterOptions.context). */
export interface RepoContext {
  overrides?: TemplateOverrides;
  plan?: WorkflowPlan;
}

export interface ReporterOptions {
  engine: Engine;
  store: AppStore;
  github: GitHubPort;
  renderer: RendererPort;
  clock: Clock;
  clientFor(installationId: number): Promise<GitHubClient>;
  /** The app's slug: only its own comments are updated. */
  appSlug: string;
  log?: Logger;
  /** The shortest time between two writes of one run. @default 1000 */
  minIntervalMs?: number;
  /** The longest wait before a failed write is tried again. @default 60_000 */
  maxRetryDelayMs?: number;
  /**
   * What the repository adds to a run's report: its template overrides (see templateOverrides)
   * and the run's plan as its file has it (positions for annotations, `warn_after` of stages),
   * when the file still has the run's definition. @default none (built-in templates, no plan)
   */
  context?(target: ReportTarget, client: GitHubClient, run: RunRecord): Promise<RepoContext>;
}

/**
 * One annotation of a check run, as far as sending it again would repeat it: where, how severe,
 * and its title (the step and how it ended). GitHub appends every annotation it is sent and never
 * updates one, so a changed message (a recovery result added) is not sent again.
 */
const annotationKey = (
  a: Pick<Annotation, "path" | "start_line" | "end_line" | "annotation_level" | "title">,
) => JSON.stringify([a.path, a.start_line, a.end_line, a.annotation_level, a.title ?? ""]);

/** The annotations a check run already has, as GitHub lists them (pages of 100). */
async function listedAnnotations(
  client: GitHubClient,
  where: { owner: string; repo: string },
  checkRunId: number,
): Promise<Set<string>> {
  const keys = new Set<string>();
  for (let page = 1; page <= 30; page++) {
    const { data } = await client.request("GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations", {
      ...where,
      check_run_id: checkRunId,
      per_page: 100,
      page,
    });
    const listed = data as Annotation[];
    for (const a of listed) keys.add(annotationKey(a));
    if (listed.length < 100) break;
  }
  return keys;
}

/** Makes the function that writes a run's report; it resolves true when the run is not running. */
export function createReportWriter(options: ReporterOptions): (target: ReportTarget) => Promise<boolean> {
  const { engine, store, github, renderer, clock } = options;
  const log = options.log ?? nullLogger;
  const isOwn = github.ownCommentBy({ appSlug: options.appSlug });
  /**
   * The annotations each check run (by id) is known to have: each is sent once, since GitHub
   * appends what it is sent. Kept while the run runs; a check run not known here (after a
   * restart, after a failed write that may have sent some) is asked for its annotations first.
   */
  const annotated = new Map<number, Set<string>>();

  /** The annotations of `all` the check run does not have yet. */
  async function newAnnotations(
    client: GitHubClient,
    target: ReportTarget,
    all: Annotation[],
  ): Promise<Annotation[]> {
    if (all.length === 0 || target.checkRunId === null) return all;
    let known = annotated.get(target.checkRunId);
    if (!known) {
      try {
        known = await listedAnnotations(
          client,
          { owner: target.owner, repo: target.repo },
          target.checkRunId,
        );
      } catch (error) {
        // The check run is gone: the write creates another, which has none yet.
        if (httpStatus(error) !== 404) throw error;
        known = new Set();
      }
      annotated.set(target.checkRunId, known);
    }
    return all.filter((a) => !known.has(annotationKey(a)));
  }

  return async function writeReport(target: ReportTarget): Promise<boolean> {
    const report = await engine.report(target.runId);
    const state = checkRunState(report);
    const client = await options.clientFor(target.installationId);
    let extra: RepoContext = {};
    try {
      extra = (await options.context?.(target, client, report.run)) ?? {};
    } catch (error) {
      log.warn("the repository's templates were not read; the built-in ones are used", {
        error: String(error),
      });
    }
    const { overrides, plan } = extra;
    // Learned baselines for the grade of a finished run: this workflow's earlier successful runs.
    const history =
      report.run.finishedAt !== null
        ? await learnHistory(engine, report.run.workflow, {
            before: report.run.createdAt,
            exclude: report.run.id,
          }).catch(() => undefined)
        : undefined;
    const view = renderer.runView(report, {
      now: clock.now(),
      ...(plan ? { plan } : {}),
      ...(history ? { history } : {}),
    });
    const rendered = await renderer.checkRunOutput(view, overrides);
    // Only the fields of a check run's output (the renderer may add its own, e.g. warnings).
    const output = {
      title: rendered.title,
      summary: rendered.summary,
      ...(rendered.text === undefined ? {} : { text: rendered.text }),
    };
    const where = { owner: target.owner, repo: target.repo };
    const settled = report.state !== "running";
    if (target.headSha) {
      const annotations = await newAnnotations(client, target, rendered.annotations ?? []);
      let id: number;
      try {
        ({ id } = await github.upsertCheckRun(client, {
          ...where,
          checkRunId: target.checkRunId,
          name: `stageflow: ${report.run.workflow}`,
          headSha: target.headSha,
          externalId: report.run.id,
          status: state.status,
          conclusion: state.conclusion,
          startedAt: new Date(report.run.createdAt).toISOString(),
          completedAt:
            state.status === "completed"
              ? new Date(report.run.finishedAt ?? clock.now()).toISOString()
              : undefined,
          output: { ...output, annotations },
          actions: state.actions,
          runId: report.run.id,
        }));
      } catch (error) {
        // Some annotations may have been sent: the next write asks the check run which.
        if (target.checkRunId !== null) annotated.delete(target.checkRunId);
        throw error;
      }
      if (target.checkRunId !== null && id !== target.checkRunId) annotated.delete(target.checkRunId);
      if (settled) annotated.delete(id);
      else {
        const known = annotated.get(id) ?? new Set<string>();
        for (const a of annotations) known.add(annotationKey(a));
        annotated.set(id, known);
      }
      if (id !== target.checkRunId) {
        target.checkRunId = id;
        await store.saveReportTarget(target);
      }
    }
    const { id } = await github.upsertComment(client, {
      ...where,
      issueNumber: target.issueNumber,
      marker: github.markerFor(report.run.id),
      body: await renderer.commentBody(view, overrides),
      commentId: target.commentId,
      isOwn,
      runId: report.run.id,
    });
    if (id !== target.commentId) {
      target.commentId = id;
      await store.saveReportTarget(target);
    }
    return settled;
  };
}
