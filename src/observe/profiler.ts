/**
 * The profiler's timing tables: p50/p95/p99, counts and totals of attempt durations per step
 * kind, per stage and per workflow, from the attempts the journal recorded. `profile()` is pure;
 * `loadProfile()` reads the Journal port. (The resource sampler is sampler.ts.)
 */
import type { AttemptRecord, Journal, RunRecord } from "../index.js";
import { runShape } from "./run-shape.js";

/** One finished attempt's timing. */
export interface TimingRecord {
  runId: string;
  workflow: string;
  stageId: string;
  stepId: string;
  /** The step's kind, when the run's definition tells; `unknown` otherwise. */
  kind: string;
  status: "succeeded" | "failed" | "cancelled";
  durationMs: number;
}

export interface TimingStats {
  /** `build` (a workflow), `release/build` (a workflow's stage), `run` (a step kind). */
  name: string;
  count: number;
  failed: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  totalMs: number;
}

export interface Profile {
  runs: number;
  attempts: number;
  workflows: TimingStats[];
  stages: TimingStats[];
  kinds: TimingStats[];
}

/**
 * The nearest-rank percentile of ascending `sorted`: the smallest value with at least p% of the
 * values at or below it. 0 for no values.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new TypeError(`percentile: expected 0 to 100, got ${p}`);
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

/** The timings of a run's finished attempts (running ones have no duration yet). */
export function timingRecords(run: RunRecord, attempts: readonly AttemptRecord[]): TimingRecord[] {
  const { kinds } = runShape(run.definition);
  const out: TimingRecord[] = [];
  for (const a of attempts) {
    if (a.status === "running" || a.finishedAt === null) continue;
    out.push({
      runId: run.id,
      workflow: run.workflow,
      stageId: a.stageId,
      stepId: a.stepId,
      kind: kinds.get(a.stepId) ?? "unknown",
      status: a.status,
      durationMs: Math.max(0, a.finishedAt - a.startedAt),
    });
  }
  return out;
}

/**
 * The timing tables of these records (rows sorted by total time, largest first). `runs`: how many
 * runs they came from (default: the distinct run ids; a run without finished attempts adds none). Pure.
 */
export function profile(records: readonly TimingRecord[], runs = countRuns(records)): Profile {
  return {
    runs,
    attempts: records.length,
    workflows: table(records, (r) => r.workflow),
    stages: table(records, (r) => `${r.workflow}/${r.stageId}`),
    kinds: table(records, (r) => r.kind),
  };
}

function countRuns(records: readonly TimingRecord[]): number {
  return new Set(records.map((r) => r.runId)).size;
}

function table(records: readonly TimingRecord[], key: (r: TimingRecord) => string): TimingStats[] {
  const groups = new Map<string, TimingRecord[]>();
  for (const r of records) {
    const k = key(r);
    const list = groups.get(k);
    if (list) list.push(r);
    else groups.set(k, [r]);
  }
  return [...groups]
    .map(([name, list]) => stats(name, list))
    .sort((a, b) => b.totalMs - a.totalMs || a.name.localeCompare(b.name));
}

function stats(name: string, list: readonly TimingRecord[]): TimingStats {
  const sorted = list.map((r) => r.durationMs).sort((a, b) => a - b);
  return {
    name,
    count: list.length,
    failed: list.filter((r) => r.status === "failed").length,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? 0,
    totalMs: sorted.reduce((a, b) => a + b, 0),
  };
}

export interface ProfileQuery {
  /** Only runs of this workflow. */
  workflow?: string;
  /** The newest this many runs. @default 200 */
  limit?: number;
}

/** The profile of the journal's newest runs (of a workflow, when given). */
export async function loadProfile(journal: Journal, query: ProfileQuery = {}): Promise<Profile> {
  const runs = await journal.listRuns({
    ...(query.workflow === undefined ? {} : { workflow: query.workflow }),
    limit: query.limit ?? 200,
  });
  const records: TimingRecord[] = [];
  for (const run of runs)
    for (const r of timingRecords(run, await journal.listAttempts(run.id))) records.push(r);
  return profile(records, runs.length);
}
