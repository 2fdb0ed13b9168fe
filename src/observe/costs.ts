/**
 * Cost units of runs, derived from what the journal records (see docs/operations.md, "Cost"): the
 * kind of each step from the run's stored definition, its attempts, and the `dispatch` kind's
 * outputs (the workflow run's times). Nothing is counted while a step runs, so costs survive
 * restarts and a fresh process reports the history. `costOf` is pure; the loaders read the
 * Journal port; `journalCostReader` feeds `budgetReader`.
 */
import {
  type AttemptRecord,
  type CheckpointRecord,
  type Journal,
  type RunRecord,
  TERMINAL_RUN_STATUSES,
} from "../index.js";
import { type CostReader, type CostUnit } from "./alerts/budgets.js";
import { runShape } from "./run-shape.js";

export type CostUnits = Record<CostUnit, number>;

/** One cost, charged at a time (an attempt's start; a workflow run's end for runner minutes). */
export interface CostCharge {
  stageId: string;
  stepId: string;
  kind: string;
  unit: CostUnit;
  amount: number;
  at: number;
}

export interface StepCost {
  stageId: string;
  stepId: string;
  kind: string;
  attempts: number;
  units: CostUnits;
  /** `dispatch` steps: where the runner minutes came from (the workflow run's times, or the wait). */
  runnerSource: "workflow_run" | "waited" | null;
}

export interface RunCost {
  runId: string;
  workflow: string;
  createdAt: number;
  units: CostUnits;
  /** Steps that cost something, in the order of their first attempt. */
  steps: StepCost[];
  charges: CostCharge[];
}

/** Attempts that end with this reason sent nothing (their input was refused before any call). */
const NOTHING_SENT = new Set(["invalid_input"]);
const MINUTE = 60_000;

export const noCost = (): CostUnits => ({ github_api_calls: 0, runner_minutes: 0, http_calls: 0 });

/**
 * The cost of one run from its record, attempts and checkpoints (pure):
 * - `http`: 1 HTTP call per attempt;
 * - `github`: 1 GitHub API call per attempt;
 * - `dispatch`: 1 GitHub API call per attempt (the dispatch, then the workflow run's status on each
 *   later execution), 1 more on its first attempt when neither the step's `ref` nor the run's
 *   `metadata.defaultBranch` (for the run's own repository) names the branch; runner minutes from the workflow run's
 *   `run_started_at` to its `updated_at` (the step's outputs), else the step's waited time (first
 *   attempt's start to its checkpoint's or last attempt's end).
 * Attempts refused for their input (`invalid_input`) cost nothing; attempts still running count.
 */
export function costOf(
  run: RunRecord,
  attempts: readonly AttemptRecord[],
  checkpoints: readonly CheckpointRecord[] = [],
): RunCost {
  const shape = runShape(run.definition);
  const byStep = new Map<string, AttemptRecord[]>();
  for (const a of [...attempts].sort((x, y) => x.startedAt - y.startedAt || x.attempt - y.attempt)) {
    const list = byStep.get(a.stepId);
    if (list) list.push(a);
    else byStep.set(a.stepId, [a]);
  }
  const charges: CostCharge[] = [];
  const steps: StepCost[] = [];
  for (const [stepId, list] of byStep) {
    const kind = shape.kinds.get(stepId) ?? "unknown";
    const first = list[0] as AttemptRecord;
    const base = { stageId: first.stageId, stepId, kind };
    const step: StepCost = { ...base, attempts: list.length, units: noCost(), runnerSource: null };
    const charge = (unit: CostUnit, amount: number, at: number) => {
      if (amount <= 0) return;
      charges.push({ ...base, unit, amount, at });
      step.units[unit] += amount;
    };
    const sent = list.filter((a) => !NOTHING_SENT.has(a.reason ?? ""));
    if (kind === "http") for (const a of sent) charge("http_calls", 1, a.startedAt);
    if (kind === "github") for (const a of sent) charge("github_api_calls", 1, a.startedAt);
    if (kind === "dispatch") {
      for (const a of sent) charge("github_api_calls", 1, a.startedAt);
      if (sent[0] && needsDefaultBranch(run, stepConfig(run.definition, stepId)))
        charge("github_api_calls", 1, sent[0].startedAt);
      const minutes = runnerMinutes(
        list,
        checkpoints.find((c) => c.stepId === stepId),
      );
      if (minutes) {
        step.runnerSource = minutes.source;
        charge("runner_minutes", minutes.minutes, minutes.at);
      }
    }
    if (Object.values(step.units).some((v) => v > 0)) steps.push(step);
  }
  const units = noCost();
  for (const c of charges) units[c.unit] += c.amount;
  return { runId: run.id, workflow: run.workflow, createdAt: run.createdAt, units, steps, charges };
}

/** Runner minutes of a dispatch step: the workflow run's times when known, else the waited time. */
function runnerMinutes(
  list: readonly AttemptRecord[],
  checkpoint: CheckpointRecord | undefined,
): { minutes: number; at: number; source: "workflow_run" | "waited" } | undefined {
  const last = list[list.length - 1] as AttemptRecord;
  const outputs = [...list].reverse().find((a) => a.outputs?.run_started_at)?.outputs ?? checkpoint?.outputs;
  const started = Date.parse(String(outputs?.run_started_at ?? ""));
  const updated = Date.parse(String(outputs?.run_updated_at ?? ""));
  const end = checkpoint?.finishedAt ?? last.finishedAt;
  if (Number.isFinite(started) && Number.isFinite(updated) && updated >= started)
    return { minutes: (updated - started) / MINUTE, at: end ?? last.startedAt, source: "workflow_run" };
  if (end === null || end === undefined) return undefined;
  const begin = checkpoint?.startedAt ?? (list[0] as AttemptRecord).startedAt;
  return { minutes: Math.max(0, end - begin) / MINUTE, at: end, source: "waited" };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** A step's config under its kind's key in a stored definition, or undefined. */
function stepConfig(definition: unknown, stepId: string): unknown {
  const stages = isObject(definition) && Array.isArray(definition.stages) ? definition.stages : [];
  for (const stage of stages.filter(isObject)) {
    const steps = Array.isArray(stage.steps) ? stage.steps.filter(isObject) : [];
    const step = steps.find((s) => s.id === stepId);
    if (step) return step.dispatch;
  }
  return undefined;
}

/** Whether the step read the repository's default branch (as the kind does: no `ref`, no known branch). */
function needsDefaultBranch(run: RunRecord, config: unknown): boolean {
  if (isObject(config) && config.ref !== undefined) return false;
  const { defaultBranch, owner, repo } = run.metadata;
  if (typeof defaultBranch !== "string") return true;
  const target = isObject(config) ? config.repo : undefined;
  return typeof target === "string" && target !== `${String(owner)}/${String(repo)}`;
}

/** The cost of a run recorded in `journal` (undefined when the run is unknown). */
export async function loadRunCost(journal: Journal, runId: string): Promise<RunCost | undefined> {
  const run = await journal.getRun(runId);
  if (!run) return undefined;
  const [attempts, checkpoints] = await Promise.all([
    journal.listAttempts(run.id),
    journal.listCheckpoints(run.id),
  ]);
  return costOf(run, attempts, checkpoints);
}

export interface WorkflowCostQuery {
  workflow: string;
  /** Count charges at or after this time (epoch ms). */
  sinceMs: number;
  /** Count charges before this time. @default Infinity */
  untilMs?: number;
  /**
   * Read runs created up to this long before `sinceMs` too (a run started earlier may still be
   * charging). @default 7 days
   */
  lookbackMs?: number; /**
   * Costs of finished runs kept between calls (a finished run's cost does not change while its
   * record does not): `journalCostReader` keeps one, so that evaluating budgets every minute does
   * not read every run again.
   */
  cache?: CostCache;
}

/** Finished runs' costs by run id (see WorkflowCostQuery.cache). */
export class CostCache {
  private readonly entries = new Map<string, { updatedAt: number; cost: RunCost }>();
  /** @param max how many runs it keeps (the oldest entry goes first). @default 10000 */
  constructor(private readonly max = 10_000) {}

  async get(journal: Journal, run: RunRecord): Promise<RunCost> {
    const hit = this.entries.get(run.id);
    if (hit && hit.updatedAt === run.updatedAt) return hit.cost;
    const [attempts, checkpoints] = await Promise.all([
      journal.listAttempts(run.id),
      journal.listCheckpoints(run.id),
    ]);
    const cost = costOf(run, attempts, checkpoints);
    this.entries.delete(run.id);
    if (TERMINAL_RUN_STATUSES.includes(run.status)) {
      this.entries.set(run.id, { updatedAt: run.updatedAt, cost });
      if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
    }
    return cost;
  }

  get size(): number {
    return this.entries.size;
  }
}

export interface WorkflowCost {
  workflow: string;
  from: number;
  to: number;
  /** Runs that had a charge in [from, to). */
  runs: number;
  units: CostUnits;
}

/** Days a run may charge after it was created, by default, for `workflowCosts`. */
export const DEFAULT_COST_LOOKBACK_MS = 7 * 86_400_000;

/** The units `workflow`'s runs used in [sinceMs, untilMs), from the journal. */
export async function workflowCosts(journal: Journal, query: WorkflowCostQuery): Promise<WorkflowCost> {
  const to = query.untilMs ?? Infinity;
  const lookback = query.lookbackMs ?? DEFAULT_COST_LOOKBACK_MS;
  if (!Number.isFinite(query.sinceMs))
    throw new TypeError(`workflowCosts: sinceMs must be a time, got ${query.sinceMs}`);
  const runs = await journal.listRuns({ workflow: query.workflow, createdSince: query.sinceMs - lookback });
  const units = noCost();
  const cache = query.cache ?? new CostCache();
  let charged = 0;
  for (const run of runs) {
    if (run.createdAt >= to) continue;
    const inWindow = (await cache.get(journal, run)).charges.filter(
      (c) => c.at >= query.sinceMs && c.at < to,
    );
    if (inWindow.length > 0) charged++;
    for (const c of inWindow) units[c.unit] += c.amount;
  }
  return { workflow: query.workflow, from: query.sinceMs, to, runs: charged, units };
}

/** A CostReader over the journal (for `budgetReader`): `workflowCosts` of the query's window. */
export function journalCostReader(journal: Journal, options: { lookbackMs?: number } = {}): CostReader {
  const cache = new CostCache();
  return async ({ workflow, unit, from, to }) => {
    const cost = await workflowCosts(journal, {
      workflow,
      sinceMs: from,
      untilMs: to,
      cache,
      ...(options.lookbackMs === undefined ? {} : { lookbackMs: options.lookbackMs }),
    });
    return cost.units[unit];
  };
}
