/**
 * The view model of a run: plain JSON, everything the report templates (check run, status
 * comment, replies, the Action's job summary, the demo's preview) see. Built from the engine's
 * RunReport alone (plus the plan, when the host has it, for step kinds, file:line positions and
 * `warn_after`); every text that came from the run is masked.
 */
import {
  MASK,
  maskText,
  RESERVED_STEP_KEYS,
  type RunReport,
  type StepReport,
  type WorkflowPlan,
} from "../../index.js";
import { type LearnedHistory } from "../../observe/baselines.js";
import { performanceReport, type PerformanceReport } from "../../observe/performance.js";
import type { Annotation as CheckRunAnnotation } from "../check-runs.js";
import { firstLine, formatDuration, stateEmoji } from "./format.js";

/** A check run's conclusion (GitHub's names). */
export type Conclusion = "success" | "neutral" | "failure" | "cancelled" | "action_required";

/** A check-run annotation (see src/github/check-runs.ts) as the view makes it: always titled. */
export type Annotation = CheckRunAnnotation & { title: string };

export interface InputView {
  name: string;
  /** As text; `***` for a secret input (given or defaulted). */
  value: string;
  secret: boolean;
}

export interface StepView {
  id: string;
  stageId: string;
  /** The step kind (`run`, `http`, `approval`, ...), when the plan or the definition tells. */
  kind: string | null;
  status: string;
  emoji: string;
  /** Why it ended as it did, when that says more than the status (e.g. `degraded`, `timed_out`). */
  reason: string | null;
  attempts: number;
  /** `3 (2 retry)`, `2 (1 alternative)`, `1`; empty before the first attempt. */
  attemptsText: string;
  durationMs: number | null;
  duration: string;
  /** The first line of the error that ended it (masked), or null. */
  error: string | null;
  /** What recovery did for it, e.g. `recovered by retry after 3 attempts`, or null. */
  recovery: string | null;
  /** Where the step is written (from the plan), or null. */
  file: string | null;
  line: number | null;
}

export interface StageView {
  id: string;
  status: string;
  emoji: string;
  reason: string | null;
  durationMs: number | null;
  duration: string;
  /** The stage's `warn_after` (e.g. `20s`), or null. */
  warnAfter: string | null;
  /** The stage's `timeout`, or null. */
  timeout: string | null;
  /** The warning of a stage past its `warn_after`, or null. */
  warning: string | null;
  steps: StepView[];
}

export interface WarningView {
  stageId: string;
  /** True while the stage still runs (past `warn_after`, before its timeout). */
  active: boolean;
  elapsed: string;
  warnAfter: string;
  message: string;
}

export interface RecoveryView {
  stepId: string;
  /** The recovery pattern that matched, or null (the step's own retry policy, or `optional`). */
  pattern: string | null;
  errorType: string;
  /** `retry → alternative`. */
  strategies: string;
  outcome: "recovered" | "failed" | "escalated" | "in_progress";
  emoji: string;
  attempts: number;
  duration: string;
  /** The first error's first line (masked). */
  error: string;
}

export interface FailedStepView {
  stageId: string;
  stepId: string;
  status: string;
  error: string | null;
  file: string | null;
  line: number | null;
  /** `examples/demo.yml:52`, or null without a position. */
  location: string | null;
}

/** What the run waits for, when it waits for a step (an approval, a signal, a dispatched workflow). */
export interface WaitingView {
  stageId: string;
  stepId: string;
  kind: string | null;
  /** True when the step is an `approval`: the run needs `/stageflow approve`. */
  approval: boolean;
}

/** The view model of a run, as the templates see it. */
export interface RunView {
  runId: string;
  workflow: string;
  description: string | null;
  /** The run's state (RunReport.state): running, waiting, succeeded, failed, degraded, ... */
  status: string;
  /** Why it is in that state (`parked`, `escalated`, `step_failed`, ...), when recorded. */
  reason: string | null;
  /** The check run's `status`: `completed` at the end or while waiting for an approval. */
  checkStatus: "in_progress" | "completed";
  /** The check run's conclusion, or null while in progress. */
  conclusion: Conclusion | null;
  /** The status emoji of the run (✅ ⚠️ ❌ 🚫 ✋ 🔄 ...). */
  emoji: string;
  /** One line: `demo-release succeeded in 4.2s`. */
  headline: string;
  /** True once the run has a final state (succeeded, degraded, failed, cancelled). */
  finished: boolean;
  trigger: { kind: string; actor: string | null; detail: string | null };
  actor: string | null;
  inputs: InputView[];
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  /** `4.2s` once finished; the time so far (`running for 12s`) while it runs. */
  duration: string;
  /** The run's error (masked, first line), or null. */
  error: string | null;
  stages: StageView[];
  counts: {
    stages: number;
    steps: number;
    succeeded: number;
    failed: number;
    skipped: number;
    attempts: number;
  };
  warnings: WarningView[];
  recovery: RecoveryView[];
  failedSteps: FailedStepView[];
  annotations: Annotation[];
  waiting: WaitingView | null;
  /** The commands that apply to the run now: `retry`, `resume`, `approve`, `cancel`. */
  actions: string[];
  runUrl: string | null;
  /** The run's performance grade (src/observe's performanceReport) once it has ended; null before. */
  grade: GradeView | null;
  /** The run's metadata as the host gave it (owner, repo, issue, ...), masked. */
  metadata: Record<string, unknown>;
}

/** The performance grade of a finished run, as the templates show it. */
export interface GradeView {
  letter: "A" | "B" | "C" | "D" | "F";
  /** 0–100. */
  score: number;
  /** `B (85/100)`. */
  text: string;
  /** Stages slower than their baseline (ratio above 1.2). */
  slowStages: Array<{ id: string; duration: string; baseline: string; ratio: string; source: string }>;
  /** Steps taking more than 20% of the run. */
  hotPaths: Array<{ stepId: string; stageId: string; duration: string; share: string }>;
  /** Stages whose duration departs from their learned history (EWMA and z-score). */
  anomalies: Array<{ id: string; direction: string; zScore: string }>;
  /** One line each, masked. */
  recommendations: string[];
}

export interface RunViewOptions {
  /** Now (epoch ms): for durations of what still runs and `warn_after` warnings. */
  now: number;
  /** The run's plan: step kinds, file:line of steps (annotations) and `warn_after` of stages. */
  plan?: WorkflowPlan;
  /** A link to the run (the check run, the Actions run), shown by the templates. */
  runUrl?: string;
  /** Masks a text for display (e.g. the host's SecretMasker); token-shaped text is always masked. */
  mask?: (text: string) => string;
  /** The workflow's last successful runs (src/observe's learnHistory), for learned baselines and anomalies. */
  history?: LearnedHistory;
  /** A performance report already made for this run (used instead of making one). */
  performance?: PerformanceReport;
}

const FINISHED = new Set(["succeeded", "degraded", "failed", "cancelled"]);
const CONCLUSIONS: Record<string, Conclusion> = {
  succeeded: "success",
  degraded: "neutral",
  failed: "failure",
  cancelled: "cancelled",
};
const FAILED_STEP = new Set(["failed", "escalated"]);
/** Runs that get a grade: those that ended by themselves (a cancelled run's timings say little). */
const GRADED = new Set(["succeeded", "degraded", "failed"]);
const ACTIVE_STAGE = new Set(["running", "waiting"]);
const ERROR_LENGTH = 500;

/** The view model of a run (see RunView). Pure: the same report, options and `now` give the same view. */
export function runView(report: RunReport, options: RunViewOptions): RunView {
  const { run } = report;
  const mask = (text: string) => maskText(options.mask ? options.mask(text) : text);
  const short = (text: string | null | undefined) => (text ? firstLine(mask(text), ERROR_LENGTH) : null);
  const shape = definitionShape(run.definition, options.plan);
  const recoveryByStep = new Map<string, RunReport["recovery"][number]>();
  for (const episode of report.recovery) recoveryByStep.set(episode.stepId, episode);

  const stages: StageView[] = report.stages.map((stage) => {
    const spec = shape.stages.get(stage.id);
    const durationMs = stage.durationMs ?? activeElapsed(stage, options.now);
    const warning = warningOf(stage.id, stage.status, durationMs, spec?.warnAfterMs);
    return {
      id: stage.id,
      status: stage.status,
      emoji: stateEmoji(stage.status),
      reason: shownReason(stage.reason, stage.status),
      durationMs,
      duration: formatDuration(durationMs),
      warnAfter: spec?.warnAfterMs === undefined ? null : formatDuration(spec.warnAfterMs),
      timeout: spec?.timeoutMs === undefined ? null : formatDuration(spec.timeoutMs),
      warning: warning?.message ?? null,
      steps: stage.steps.map((step) => {
        const where = shape.steps.get(step.id);
        const episode = recoveryByStep.get(step.id);
        const stepMs = step.durationMs ?? activeElapsed(step, options.now);
        return {
          id: step.id,
          stageId: step.stageId,
          kind: where?.kind ?? null,
          status: step.status,
          emoji: stateEmoji(step.status),
          reason: shownReason(step.reason, step.status),
          attempts: step.attempts,
          attemptsText: attemptsText(step),
          durationMs: stepMs,
          duration: formatDuration(stepMs),
          error: short(step.error?.message),
          recovery: episode ? recoveryText(episode) : null,
          file: where?.file ?? null,
          line: where?.line ?? null,
        };
      }),
    };
  });

  const steps = stages.flatMap((s) => s.steps);
  const waitingStep =
    report.state === "waiting"
      ? steps.find((s) => s.status === "running" || s.status === "retrying")
      : undefined;
  const waiting: WaitingView | null = waitingStep
    ? {
        stageId: waitingStep.stageId,
        stepId: waitingStep.id,
        kind: waitingStep.kind,
        approval: waitingStep.kind === "approval",
      }
    : null;
  if (waitingStep && waiting?.approval) waitingStep.emoji = stateEmoji("action_required");
  const finished = FINISHED.has(report.state);
  const conclusion: Conclusion | null =
    CONCLUSIONS[report.state] ?? (waiting?.approval ? "action_required" : null);
  const runMs = report.durationMs ?? (finished ? null : Math.max(0, options.now - run.createdAt));
  const status = conclusion === "action_required" ? "action_required" : report.state;

  const warnings = stages.flatMap((stage) => {
    const spec = shape.stages.get(stage.id);
    const w = warningOf(stage.id, stage.status, stage.durationMs, spec?.warnAfterMs);
    return w ? [w] : [];
  });
  const failedSteps: FailedStepView[] = steps
    .filter((s) => FAILED_STEP.has(s.status))
    .map((s) => ({
      stageId: s.stageId,
      stepId: s.id,
      status: s.status,
      error: s.error,
      file: s.file,
      line: s.line,
      location: s.file !== null && s.line !== null ? `${s.file}:${s.line}` : null,
    }));

  return {
    runId: run.id,
    workflow: run.workflow,
    description: shape.description,
    status: report.state,
    reason: shownReason(run.reason, report.state),
    checkStatus: conclusion === null ? "in_progress" : "completed",
    conclusion,
    emoji: stateEmoji(status),
    headline: headline(run.workflow, report.state, waiting, runMs, finished),
    finished,
    trigger: {
      kind: run.trigger.kind,
      actor: run.trigger.actor === undefined ? null : mask(run.trigger.actor),
      detail: run.trigger.detail === undefined ? null : mask(run.trigger.detail),
    },
    actor: run.trigger.actor === undefined ? null : mask(run.trigger.actor),
    inputs: inputViews(run.inputs, shape.secretInputs, mask),
    startedAt: new Date(run.createdAt).toISOString(),
    finishedAt: run.finishedAt === null ? null : new Date(run.finishedAt).toISOString(),
    durationMs: runMs,
    duration: finished || runMs === null ? formatDuration(runMs) : `running for ${formatDuration(runMs)}`,
    error: short(run.error?.message),
    stages,
    counts: {
      stages: stages.length,
      steps: steps.length,
      succeeded: steps.filter((s) => s.status === "succeeded").length,
      failed: steps.filter((s) => FAILED_STEP.has(s.status)).length,
      skipped: steps.filter((s) => s.status === "skipped").length,
      attempts: steps.reduce((sum, s) => sum + s.attempts, 0),
    },
    warnings,
    recovery: report.recovery.map((r) => ({
      stepId: r.stepId,
      pattern: r.patternId,
      errorType: r.errorType,
      strategies: r.strategies.map(strategyName).join(" → "),
      outcome: r.outcome,
      emoji: r.outcome === "recovered" ? "✅" : r.outcome === "in_progress" ? "🔄" : stateEmoji(r.outcome),
      attempts: r.attempts,
      duration: formatDuration(r.recoveryMs),
      error: firstLine(mask(r.error), ERROR_LENGTH),
    })),
    failedSteps,
    annotations: annotationsOf(steps, report.stages, shape.source),
    waiting,
    actions: actionsOf(report.state, waiting),
    runUrl: options.runUrl ?? null,
    grade: GRADED.has(report.state) ? gradeView(report, options, mask) : null,
    metadata: maskValue(run.metadata, mask) as Record<string, unknown>,
  };
}

/** The grade of a finished run, from the one performance report the CLI and the Action also use. */
function gradeView(report: RunReport, options: RunViewOptions, mask: (text: string) => string): GradeView {
  const perf =
    options.performance ??
    performanceReport({ report, ...(options.history ? { history: options.history } : {}), now: options.now });
  const ratio = (r: number | null) => (r === null ? "-" : `${r.toFixed(2).replace(/\.?0+$/, "")}×`);
  return {
    letter: perf.grade,
    score: perf.score,
    text: `${perf.grade} (${perf.score}/100)`,
    slowStages: perf.stages
      .filter((s) => s.pace === "slow")
      .map((s) => ({
        id: s.id,
        duration: formatDuration(s.durationMs),
        baseline: formatDuration(s.baselineMs),
        ratio: ratio(s.ratio),
        source: s.baselineSource ?? "",
      })),
    hotPaths: perf.hotPaths.map((h) => ({
      stepId: h.stepId,
      stageId: h.stageId,
      duration: formatDuration(h.durationMs),
      share: `${Math.round(h.share * 100)}%`,
    })),
    anomalies: perf.stages.flatMap((s) =>
      s.anomaly?.anomaly
        ? [{ id: s.id, direction: s.anomaly.direction ?? "", zScore: s.anomaly.zScore.toFixed(1) }]
        : [],
    ),
    recommendations: perf.recommendations.map((r) => firstLine(mask(r), ERROR_LENGTH)),
  };
}

/** The reason, when it says more than the state itself. */
function shownReason(reason: string | null, state: string): string | null {
  return reason && reason !== state && reason !== "succeeded" ? reason : null;
}

function activeElapsed(item: { startedAt: number | null; finishedAt: number | null }, now: number) {
  if (item.startedAt === null || item.finishedAt !== null) return null;
  return Math.max(0, now - item.startedAt);
}

function warningOf(
  stageId: string,
  status: string,
  elapsedMs: number | null,
  warnAfterMs: number | undefined,
): WarningView | null {
  if (warnAfterMs === undefined || elapsedMs === null || elapsedMs < warnAfterMs) return null;
  const active = ACTIVE_STAGE.has(status);
  const elapsed = formatDuration(elapsedMs);
  const warnAfter = formatDuration(warnAfterMs);
  return {
    stageId,
    active,
    elapsed,
    warnAfter,
    message: active
      ? `stage ${stageId} has run for ${elapsed}, past its warn_after of ${warnAfter}`
      : `stage ${stageId} took ${elapsed}, past its warn_after of ${warnAfter}`,
  };
}

function headline(
  workflow: string,
  state: string,
  waiting: WaitingView | null,
  ms: number | null,
  finished: boolean,
): string {
  if (finished) return `${workflow} ${state} in ${formatDuration(ms)}`;
  if (waiting?.approval) return `${workflow} waits for approval (step ${waiting.stepId})`;
  if (waiting) return `${workflow} waits (step ${waiting.stepId})`;
  if (state === "running") return `${workflow} is running (${formatDuration(ms)} so far)`;
  return `${workflow} is ${state}`;
}

function actionsOf(state: string, waiting: WaitingView | null): string[] {
  if (FINISHED.has(state)) return state === "failed" ? ["retry"] : [];
  const actions: string[] = [];
  if (state === "blocked" || state === "interrupted" || (state === "waiting" && !waiting))
    actions.push("resume");
  if (waiting?.approval) actions.push("approve");
  actions.push("cancel");
  return actions;
}

/** `3 (2 retry)`: attempts numbered across resumes, with why the later ones were made. */
function attemptsText(step: StepReport): string {
  if (step.attempts === 0) return "";
  const why = Object.entries(step.causes)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([cause, n]) => `${n} ${cause}`)
    .join(", ");
  return why ? `${step.attempts} (${why})` : String(step.attempts);
}

/** A strategy as people read it (`step_retry` is the step's own retry policy). */
function strategyName(strategy: string): string {
  return strategy === "step_retry" ? "retry" : strategy === "give_up" ? "gave up" : strategy;
}

function recoveryText(episode: RunReport["recovery"][number]): string {
  const tried = episode.strategies.filter((s) => s !== "give_up");
  const how = tried.map(strategyName).join(" → ");
  const pattern = episode.patternId ? ` (pattern ${episode.patternId})` : "";
  const after = `after ${episode.attempts} attempt${episode.attempts === 1 ? "" : "s"}`;
  switch (episode.outcome) {
    case "recovered":
      return `recovered by ${how}${pattern} ${after}`;
    case "escalated":
      return `escalated${pattern} ${after}`;
    case "failed":
      return how ? `not recovered by ${how}${pattern} ${after}` : `failed ${after}`;
    default:
      return `recovering by ${how}${pattern}`;
  }
}

function inputViews(
  inputs: Record<string, unknown>,
  secret: ReadonlySet<string>,
  mask: (text: string) => string,
): InputView[] {
  return Object.entries(inputs).map(([name, value]) => {
    const isSecret = secret.has(name);
    const text = typeof value === "string" ? value : (JSON.stringify(value) ?? "");
    return { name, value: isSecret ? MASK : mask(text), secret: isSecret };
  });
}

function annotationsOf(steps: StepView[], reports: RunReport["stages"], source: string | null): Annotation[] {
  const byId = new Map(reports.flatMap((s) => s.steps).map((s) => [s.id, s]));
  const out: Annotation[] = [];
  for (const step of steps) {
    const degraded = step.status === "skipped" && step.reason === "degraded" && step.error !== null;
    if (!FAILED_STEP.has(step.status) && !degraded) continue;
    const path = step.file ?? source;
    if (path === null || step.line === null) continue;
    const report = byId.get(step.id);
    const attempts = report && report.attempts > 1 ? ` after ${step.attemptsText} attempts` : "";
    out.push({
      path,
      start_line: step.line,
      end_line: step.line,
      annotation_level: degraded ? "warning" : "failure",
      title: `step ${step.id} ${degraded ? "skipped (degraded)" : step.status}${attempts}`.slice(0, 255),
      message: [step.error ?? step.status, step.recovery].filter(Boolean).join("\n"),
    });
  }
  return out;
}

/** What the view needs of the workflow: from the plan when given, else from the run's definition. */
interface Shape {
  description: string | null;
  source: string | null;
  secretInputs: Set<string>;
  stages: Map<string, { warnAfterMs?: number; timeoutMs?: number }>;
  steps: Map<string, { kind: string | null; file: string | null; line: number | null }>;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Keys of a step that are not its kind (the kind is the one other key). */
const STEP_KEYS: ReadonlySet<string> = new Set(RESERVED_STEP_KEYS);

function definitionShape(definition: unknown, plan: WorkflowPlan | undefined): Shape {
  const def = isObject(definition) ? definition : {};
  const inputs = isObject(def.inputs) ? def.inputs : {};
  const secretInputs = new Set(
    Object.entries(inputs)
      .filter(([, spec]) => isObject(spec) && spec.secret === true)
      .map(([name]) => name),
  );
  if (plan) {
    for (const [name, spec] of Object.entries(plan.inputs)) if (spec.secret) secretInputs.add(name);
    return {
      description: plan.description ?? null,
      source: plan.stages.flatMap((s) => s.steps).find((s) => s.position?.file)?.position?.file ?? null,
      secretInputs,
      stages: new Map(
        plan.stages.map((s) => [
          s.id,
          {
            ...(s.warnAfterMs === undefined ? {} : { warnAfterMs: s.warnAfterMs }),
            ...(s.timeoutMs === undefined ? {} : { timeoutMs: s.timeoutMs }),
          },
        ]),
      ),
      steps: new Map(
        plan.stages.flatMap((s) =>
          s.steps.map((step) => [
            step.id,
            { kind: step.kind, file: step.position?.file ?? null, line: step.position?.line ?? null },
          ]),
        ),
      ),
    };
  }
  const stages = Array.isArray(def.stages) ? def.stages.filter(isObject) : [];
  const num = (v: unknown) => (typeof v === "number" ? v : undefined);
  return {
    description: typeof def.description === "string" ? def.description : null,
    source: null,
    secretInputs,
    stages: new Map(
      stages.map((s) => {
        const warnAfterMs = num(s.warn_after);
        const timeoutMs = num(s.timeout);
        return [
          String(s.id),
          {
            ...(warnAfterMs === undefined ? {} : { warnAfterMs }),
            ...(timeoutMs === undefined ? {} : { timeoutMs }),
          },
        ];
      }),
    ),
    steps: new Map(
      stages.flatMap((s) =>
        (Array.isArray(s.steps) ? s.steps.filter(isObject) : []).map((step) => [
          String(step.id),
          { kind: Object.keys(step).find((k) => !STEP_KEYS.has(k)) ?? null, file: null, line: null },
        ]),
      ),
    ),
  };
}

function maskValue(value: unknown, mask: (text: string) => string): unknown {
  if (typeof value === "string") return mask(value);
  if (Array.isArray(value)) return value.map((v) => maskValue(v, mask));
  if (isObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskValue(v, mask)]));
  return value;
}
