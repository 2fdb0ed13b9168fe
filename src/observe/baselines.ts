/**
 * Stage baselines: configured in the workflow's `baselines:` block (stage id → duration), or
 * learned as the median duration of the stage over the last N successful runs of the workflow
 * (read from the Journal port). See docs/operations.md ("Performance report and grade").
 */
import {
  buildReport,
  type Engine,
  type Journal,
  parseDuration,
  type RunRecord,
  type RunReport,
} from "../index.js";

/** How many successful runs `learnHistory` reads by default. */
export const DEFAULT_HISTORY_RUNS = 20;
/** A stage needs this many learned samples before its median is used as a baseline. */
export const MIN_LEARNED_SAMPLES = 3;

/** The per-stage durations of a workflow's last successful runs. */
export interface LearnedHistory {
  workflow: string;
  /** The runs learned from, newest first. */
  runIds: string[];
  /** Stage id → its durations (ms) in those runs, oldest first (a stage that did not run has none). */
  stages: Record<string, number[]>;
}

export interface LearnOptions {
  /** Learn from at most this many successful runs, the newest. @default 20 */
  n?: number;
  /** Only runs created before this time (epoch ms): the history as it was before a given run. */
  before?: number;
  /** Leave this run out (the run being reported on). */
  exclude?: string;
}

/** Where the history is read: the journal, or an engine (its `listRuns` and `report`). */
export type HistorySource = Journal | Pick<Engine, "listRuns" | "report">;

/**
 * The per-stage durations of the last `n` successful runs of `workflow`, from the journal: each
 * run's report is built from what the journal recorded (the same durations `status` shows).
 */
export async function learnHistory(
  journal: HistorySource,
  workflow: string,
  options: LearnOptions = {},
): Promise<LearnedHistory> {
  const n = options.n ?? DEFAULT_HISTORY_RUNS;
  if (!Number.isInteger(n) || n < 1)
    throw new TypeError(`history runs (n): expected a positive integer, got ${n}`);
  const keep = (run: RunRecord) =>
    run.id !== options.exclude && (options.before === undefined || run.createdAt < options.before);
  // Newest first: read pages of growing size until n runs qualify or the journal has no more.
  let runs: RunRecord[] = [];
  for (let limit = n + 1; ; limit *= 4) {
    const listed = await journal.listRuns({ workflow, status: ["succeeded"], limit });
    runs = listed.filter(keep).slice(0, n);
    if (runs.length >= n || listed.length < limit) break;
  }
  const reports: RunReport[] = [];
  for (const run of runs) {
    reports.push("report" in journal ? await journal.report(run.id) : await journaledReport(journal, run));
  }
  return historyFromReports(workflow, reports);
}

async function journaledReport(journal: Journal, run: RunRecord): Promise<RunReport> {
  const [attempts, checkpoints, events] = await Promise.all([
    journal.listAttempts(run.id),
    journal.listCheckpoints(run.id),
    journal.listEvents(run.id),
  ]);
  return buildReport({ run, attempts, checkpoints, events });
}

/**
 * The history of these reports (newest first, as the journal lists runs): the durations of
 * their succeeded stages. Pure.
 */
export function historyFromReports(workflow: string, reports: readonly RunReport[]): LearnedHistory {
  const stages: Record<string, number[]> = {};
  for (const report of [...reports].reverse()) {
    for (const stage of report.stages) {
      if (stage.status !== "succeeded" || stage.durationMs === null) continue;
      (stages[stage.id] ??= []).push(stage.durationMs);
    }
  }
  return { workflow, runIds: reports.map((r) => r.run.id), stages };
}

/** The median of `values` (the mean of the two middle ones for an even count); undefined when empty. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * A stage's learned baseline: the median of its samples, once it has MIN_LEARNED_SAMPLES of them
 * and it is above 0 ms (a stage that took no measurable time has no ratio to speak of: a 0 ms
 * baseline would make every ratio NaN or Infinity).
 */
export function learnedBaseline(samples: readonly number[] | undefined): number | undefined {
  if (!samples || samples.length < MIN_LEARNED_SAMPLES) return undefined;
  const baseline = median(samples) as number;
  return baseline > 0 ? baseline : undefined;
}

/** The configured baselines (stage id → ms) and what was wrong with the block, field by field. */
export interface ConfiguredBaselines {
  baselines: Map<string, number>;
  /** E.g. `baselines.build: expected a duration such as '30s' or '8m', got "soon"`. */
  problems: string[];
}

/**
 * Reads a workflow's `baselines:` block: a mapping of stage id to a duration (`8m`, `30s`, or a
 * number of milliseconds), as the engine's duration parser reads them. Nothing is thrown: a bad
 * entry is left out and named in `problems`.
 */
export function configuredBaselines(block: unknown): ConfiguredBaselines {
  const out: ConfiguredBaselines = { baselines: new Map(), problems: [] };
  if (block === undefined || block === null) return out;
  if (typeof block !== "object" || Array.isArray(block)) {
    out.problems.push(`baselines: expected a mapping of stage id to duration, got ${JSON.stringify(block)}`);
    return out;
  }
  for (const [stage, value] of Object.entries(block)) {
    const ms = parseDuration(value);
    if (ms === undefined) {
      out.problems.push(
        `baselines.${stage}: expected a duration such as '30s' or '8m', got ${JSON.stringify(value)}`,
      );
    } else if (ms <= 0) {
      out.problems.push(`baselines.${stage}: expected a duration above zero, got ${JSON.stringify(value)}`);
    } else out.baselines.set(stage, ms);
  }
  return out;
}
