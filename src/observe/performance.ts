/**
 * The performance report of a run: the one function that the CLI (`stageflow report`), the check
 * run, the PR comment and the Action's job summary all use. Pure: it reads the run's RunReport, the
 * workflow's `baselines:` (from the run's stored definition unless given) and a learned history
 * (see baselines.ts); thresholds and the grade formula are documented in docs/operations.md.
 */
import type { Journal, RunReport, StageReport } from "../index.js";
import { type AnomalyOptions, type AnomalyVerdict, detectAnomaly } from "./anomaly.js";
import { configuredBaselines, type LearnedHistory, learnedBaseline, learnHistory } from "./baselines.js";
import { type Grade, type Penalties, scoreRun } from "./grade.js";
import { recommendations } from "./recommend.js";
import { runShape } from "./run-shape.js";

/** A stage is `fast` below this ratio of its baseline. */
export const FAST_BELOW = 0.8;
/** A stage is `slow` above this ratio of its baseline (`normal` in between, both included). */
export const SLOW_ABOVE = 1.2;
/** A step is a hot path when it takes more than this share of the run's duration. */
export const HOT_PATH_SHARE = 0.2;
/** The parallel speedup below which a parallel stage of at least two steps gets a recommendation. */
export const SPEEDUP_TARGET = 2;

export type StagePace = "fast" | "normal" | "slow";

export interface StagePerformance {
  id: string;
  /** The stage's state (StageReport.status). */
  status: string;
  mode: "parallel" | "sequential";
  durationMs: number | null;
  baselineMs: number | null;
  /** Where the baseline came from: the workflow's `baselines:`, the learned median, or none. */
  baselineSource: "configured" | "learned" | null;
  /** durationMs / baselineMs, when both are known. */
  ratio: number | null;
  /** fast (< 0.8), normal (0.8–1.2), slow (> 1.2); null without a ratio. */
  pace: StagePace | null;
  /** The EWMA/z-score verdict against the learned history; null with too little history. */
  anomaly: AnomalyVerdict | null;
  /** Parallel stages: the sum of their steps' durations / the stage's wall time. */
  speedup: number | null;
  /** The best speedup the stage could have: min(its concurrency, the steps that ran). */
  idealSpeedup: number | null;
  /** The stage's longest step, for recommendations. */
  slowestStep: { id: string; durationMs: number } | null;
}

export interface HotPath {
  stageId: string;
  stepId: string;
  durationMs: number;
  /** Of the run's duration, in [0, 1]. */
  share: number;
}

export interface PerformanceReport {
  runId: string;
  workflow: string;
  /** The run's state (RunReport.state). */
  state: string;
  durationMs: number | null;
  stages: StagePerformance[];
  attempts: { finished: number; failed: number };
  /** Failed attempts / finished (succeeded or failed) attempts; null when none finished. */
  errorRate: number | null;
  recovery: { episodes: number; recovered: number; ended: number };
  /** Recovered episodes / ended episodes; null when no episode ended. */
  recoveryRate: number | null;
  hotPaths: HotPath[];
  /** Ids of the stages whose pace is slow. */
  slowStages: string[];
  /** Ids of the stages flagged as anomalies (either direction). */
  anomalies: string[];
  score: number;
  grade: Grade;
  penalties: Penalties;
  recommendations: string[];
  /** What was wrong with the `baselines:` block, field by field. */
  problems: string[];
  /** How many successful runs the learned baselines came from. */
  learnedFrom: number;
}

export interface PerformanceInput {
  report: RunReport;
  /** The workflow's `baselines:` block; @default the one in the run's stored definition */
  baselines?: unknown;
  /** The workflow's last successful runs (without this run): learnHistory(). */
  history?: LearnedHistory;
  /** Now (epoch ms): the duration of a run that has not finished. */
  now?: number;
  anomaly?: AnomalyOptions;
}

/** The performance report of one run (see the module comment). */
export function performanceReport(input: PerformanceInput): PerformanceReport {
  const { report } = input;
  const shape = runShape(report.run.definition);
  const configured = configuredBaselines(input.baselines === undefined ? shape.baselines : input.baselines);
  const known = new Set(report.stages.map((s) => s.id));
  const problems = [...configured.problems];
  for (const id of configured.baselines.keys())
    if (!known.has(id)) problems.push(`baselines.${id}: the workflow has no stage '${id}'`);

  const stages = report.stages.map((stage): StagePerformance => {
    const mode = shape.stages.get(stage.id)?.mode ?? "sequential";
    const samples = input.history?.stages[stage.id];
    const fixed = configured.baselines.get(stage.id);
    const learned = fixed === undefined ? learnedBaseline(samples) : undefined;
    const baselineMs = fixed ?? learned ?? null;
    const ratio = baselineMs !== null && stage.durationMs !== null ? stage.durationMs / baselineMs : null;
    const verdict =
      stage.durationMs !== null && samples
        ? detectAnomaly(samples, stage.durationMs, input.anomaly)
        : undefined;
    const parallel =
      mode === "parallel" ? speedupOf(stage, shape.stages.get(stage.id)?.concurrency ?? 1) : null;
    return {
      id: stage.id,
      status: stage.status,
      mode,
      durationMs: stage.durationMs,
      baselineMs,
      baselineSource: fixed !== undefined ? "configured" : learned !== undefined ? "learned" : null,
      ratio,
      pace: ratio === null ? null : ratio < FAST_BELOW ? "fast" : ratio > SLOW_ABOVE ? "slow" : "normal",
      anomaly: verdict ?? null,
      speedup: parallel?.speedup ?? null,
      idealSpeedup: parallel?.ideal ?? null,
      slowestStep: slowestStep(stage),
    };
  });

  const attempts = attemptCounts(report);
  const ended = report.recovery.filter((e) => e.outcome !== "in_progress");
  const recovered = ended.filter((e) => e.outcome === "recovered").length;
  const durationMs = runDuration(report, input.now);
  const hotPaths = hotPathsOf(report, durationMs);
  const ratios = stages.flatMap((s) => (s.ratio === null ? [] : [s.ratio]));
  const errorRate = attempts.finished ? attempts.failed / attempts.finished : null;
  const recoveryRate = ended.length ? recovered / ended.length : null;
  const slowAnomalies = stages.filter((s) => s.anomaly?.direction === "slow").length;
  const score = scoreRun({ ratios, errorRate, recoveryRate, state: report.state, slowAnomalies });

  const out: PerformanceReport = {
    runId: report.run.id,
    workflow: report.run.workflow,
    state: report.state,
    durationMs,
    stages,
    attempts,
    errorRate,
    recovery: { episodes: report.recovery.length, recovered, ended: ended.length },
    recoveryRate,
    hotPaths,
    slowStages: stages.filter((s) => s.pace === "slow").map((s) => s.id),
    anomalies: stages.filter((s) => s.anomaly?.anomaly).map((s) => s.id),
    ...score,
    recommendations: [],
    problems,
    learnedFrom: input.history?.runIds.length ?? 0,
  };
  out.recommendations = recommendations(out, report);
  return out;
}

/** The run's duration: recorded, else the time so far (`now`), else the sum of its stages. */
function runDuration(report: RunReport, now: number | undefined): number | null {
  if (report.durationMs !== null) return report.durationMs;
  if (now !== undefined) return Math.max(0, now - report.run.createdAt);
  const known = report.stages.flatMap((s) => (s.durationMs === null ? [] : [s.durationMs]));
  return known.length ? known.reduce((a, b) => a + b, 0) : null;
}

function speedupOf(
  stage: StageReport,
  concurrency: number,
): { speedup: number | null; ideal: number } | null {
  const ran = stage.steps.flatMap((s) => (s.durationMs === null ? [] : [s.durationMs]));
  if (ran.length === 0) return null;
  const ideal = Math.max(1, Math.min(concurrency, ran.length));
  const wall = stage.durationMs;
  return { speedup: wall ? ran.reduce((a, b) => a + b, 0) / wall : null, ideal };
}

function slowestStep(stage: StageReport): StagePerformance["slowestStep"] {
  let best: StagePerformance["slowestStep"] = null;
  for (const step of stage.steps)
    if (step.durationMs !== null && (best === null || step.durationMs > best.durationMs))
      best = { id: step.id, durationMs: step.durationMs };
  return best;
}

/**
 * Finished attempts and failed ones: from the journal's attempts when the report has them, else
 * from the steps (every attempt of a step but a succeeded step's last counts as failed).
 */
function attemptCounts(report: RunReport): { finished: number; failed: number } {
  if (report.attempts.length > 0) {
    const failed = report.attempts.filter((a) => a.status === "failed").length;
    const succeeded = report.attempts.filter((a) => a.status === "succeeded").length;
    return { finished: failed + succeeded, failed };
  }
  let finished = 0;
  let failed = 0;
  for (const step of report.stages.flatMap((s) => s.steps)) {
    if (step.attempts === 0 || !["succeeded", "failed", "skipped"].includes(step.status)) continue;
    finished += step.attempts;
    failed += step.attempts - (step.status === "succeeded" ? 1 : 0);
  }
  return { finished, failed };
}

function hotPathsOf(report: RunReport, runMs: number | null): HotPath[] {
  if (!runMs) return [];
  return report.stages
    .flatMap((stage) => stage.steps)
    .filter((step) => step.durationMs !== null && step.durationMs > HOT_PATH_SHARE * runMs)
    .map((step) => ({
      stageId: step.stageId,
      stepId: step.id,
      durationMs: step.durationMs as number,
      share: Math.min(1, (step.durationMs as number) / runMs),
    }))
    .sort((a, b) => b.durationMs - a.durationMs);
}

/**
 * The performance report of a run recorded in `journal`, against the history of its workflow as
 * it was before the run (the last `n` successful runs created before it, itself left out).
 */
export async function journaledPerformance(
  journal: Journal,
  report: RunReport,
  options: { n?: number; now?: number; anomaly?: AnomalyOptions } = {},
): Promise<PerformanceReport> {
  const history = await learnHistory(journal, report.run.workflow, {
    ...(options.n === undefined ? {} : { n: options.n }),
    before: report.run.createdAt,
    exclude: report.run.id,
  });
  return performanceReport({
    report,
    history,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.anomaly ? { anomaly: options.anomaly } : {}),
  });
}
