/**
 * SLA tracking: objectives from each workflow's `sla:` block (p95_duration, success_rate,
 * recovery_rate, window, target_compliance) and from the host's settings (the same for every
 * run, plus availability from health evaluations), computed over a rolling window that ends
 * "now" on the injected clock, from the journal's runs and recovery events. For each SLA: its
 * value over the window, its threshold, its compliance (the share of the window's buckets with
 * data whose own value met the threshold) and a verdict (met, at_risk, breached, no_data).
 */
import {
  type Clock,
  type EventRecord,
  type Journal,
  parseDuration,
  RECOVERY_SUCCESS_TARGET,
  type RunRecord,
  systemClock,
} from "../engine/index.js";
import type { HealthSample } from "./health.js";

export type SlaMetric = "p95_duration" | "success_rate" | "recovery_rate" | "availability";
export type SlaVerdict = "met" | "at_risk" | "breached" | "no_data";

/** Objectives; an absent one is not tracked. */
export interface SlaObjectives {
  /** The 95th percentile of finished runs' durations must stay at or below this (ms). */
  p95DurationMs?: number;
  /** (succeeded + degraded) / finished runs (cancelled ones left out) at or above this. */
  successRate?: number;
  /** Recovered episodes / ended recovery episodes at or above this. */
  recoveryRate?: number;
  /** Health evaluations in which the host was ready / all evaluations (host only). */
  availability?: number;
  /** The rolling window. @default 86400000 (24 h) */
  windowMs?: number;
  /** Share of buckets that must comply for `met` (else `at_risk`). @default 0.95 */
  targetCompliance?: number;
}

/** The host's objectives when none are configured. */
export const HOST_SLA_DEFAULTS: SlaObjectives = {
  recoveryRate: RECOVERY_SUCCESS_TARGET,
  availability: 0.999,
  windowMs: 86_400_000,
  targetCompliance: 0.95,
};

export interface SlaResult {
  /** e.g. "release: p95 duration" or "host: success rate". */
  name: string;
  /** The workflow's name, or "host" for the host's objectives (over every workflow). */
  scope: string;
  metric: SlaMetric;
  /** Over the whole window; null when there is no data. Ms for p95_duration, else a ratio. */
  value: number | null;
  threshold: number;
  /** `<=` for durations, `>=` for rates. */
  comparison: "<=" | ">=";
  /** Share of the window's buckets (with data) that met the threshold; null without data. */
  compliance: number | null;
  targetCompliance: number;
  /** Runs, episodes or evaluations the value is computed from. */
  samples: number;
  windowMs: number;
  verdict: SlaVerdict;
}

export interface SlaReport {
  at: number;
  checkedAt: string;
  slas: SlaResult[];
  /** Met SLAs / SLAs with data; null when none has data. */
  overallCompliance: number | null;
  /** Workflows' `sla:` blocks that could not be read, naming the workflow and the field. */
  problems: string[];
}

export interface SlaSources {
  journal: Pick<Journal, "listRuns" | "listEventsAfter">;
  /** @default systemClock */
  clock?: Pick<Clock, "now">;
  /** The host's objectives. @default HOST_SLA_DEFAULTS */
  host?: SlaObjectives;
  /** Health evaluations, for availability (e.g. `registry.history()`); none: no availability. */
  healthHistory?: (since: number) => readonly HealthSample[];
  /** Buckets the window is cut into for compliance. @default 24 */
  buckets?: number;
}

const SLA_KEYS: Record<string, keyof SlaObjectives> = {
  p95_duration: "p95DurationMs",
  success_rate: "successRate",
  recovery_rate: "recoveryRate",
  window: "windowMs",
  target_compliance: "targetCompliance",
};

/**
 * A workflow's `sla:` block as objectives; problems name the workflow and the field. Durations
 * as in the workflow file (`15m`); rates in (0, 1].
 */
export function parseWorkflowSla(
  block: unknown,
  workflow: string,
): { objectives: SlaObjectives; problems: string[] } {
  const objectives: SlaObjectives = {};
  const problems: string[] = [];
  if (block === undefined || block === null) return { objectives, problems };
  if (typeof block !== "object" || Array.isArray(block)) {
    return { objectives, problems: [`${workflow}: sla: expected a mapping, got ${JSON.stringify(block)}`] };
  }
  for (const [key, raw] of Object.entries(block as Record<string, unknown>)) {
    const field = SLA_KEYS[key];
    const where = `${workflow}: sla.${key}`;
    if (!field) {
      problems.push(`${where}: unknown key (expected one of ${Object.keys(SLA_KEYS).join(", ")})`);
      continue;
    }
    if (field === "p95DurationMs" || field === "windowMs") {
      const ms = parseDuration(raw);
      if (ms === undefined || ms <= 0)
        problems.push(`${where}: expected a duration such as '15m', got ${JSON.stringify(raw)}`);
      else objectives[field] = ms;
    } else if (typeof raw !== "number" || !(raw > 0 && raw <= 1)) {
      problems.push(`${where}: expected a number between 0 and 1, got ${JSON.stringify(raw)}`);
    } else {
      objectives[field] = raw;
    }
  }
  return { objectives, problems };
}

/** The 95th percentile (nearest rank) of `values`; null when empty. */
export function p95(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)] as number;
}

/** One observation: when it happened, and what it contributes. */
export interface SlaPoint {
  at: number;
  /** Duration (ms) for p95_duration; 1 or 0 for the rates. */
  v: number;
}

const aggregate = (metric: SlaMetric, points: readonly SlaPoint[]): number | null =>
  points.length === 0
    ? null
    : metric === "p95_duration"
      ? p95(points.map((p) => p.v))
      : points.reduce((s, p) => s + p.v, 0) / points.length;

const meets = (metric: SlaMetric, value: number, threshold: number) =>
  metric === "p95_duration" ? value <= threshold : value >= threshold;

/** Evaluates one SLA over points in [from, now). */
export function evaluateSla(
  spec: { scope: string; metric: SlaMetric; threshold: number; windowMs: number; targetCompliance: number },
  points: readonly SlaPoint[],
  now: number,
  buckets = 24,
): SlaResult {
  const from = now - spec.windowMs;
  const inWindow = points.filter((p) => p.at >= from && p.at < now);
  const value = aggregate(spec.metric, inWindow);
  const width = spec.windowMs / buckets;
  let withData = 0;
  let met = 0;
  for (let i = 0; i < buckets; i++) {
    const lo = from + i * width;
    const hi = i === buckets - 1 ? now : from + (i + 1) * width;
    const v = aggregate(
      spec.metric,
      inWindow.filter((p) => p.at >= lo && p.at < hi),
    );
    if (v === null) continue;
    withData++;
    if (meets(spec.metric, v, spec.threshold)) met++;
  }
  const compliance = withData === 0 ? null : met / withData;
  const verdict: SlaVerdict =
    value === null
      ? "no_data"
      : !meets(spec.metric, value, spec.threshold)
        ? "breached"
        : (compliance ?? 0) < spec.targetCompliance
          ? "at_risk"
          : "met";
  return {
    name: `${spec.scope}: ${spec.metric.replace("_", " ")}`,
    scope: spec.scope,
    metric: spec.metric,
    value,
    threshold: spec.threshold,
    comparison: spec.metric === "p95_duration" ? "<=" : ">=",
    compliance,
    targetCompliance: spec.targetCompliance,
    samples: inWindow.length,
    windowMs: spec.windowMs,
    verdict,
  };
}

const FINISHED = new Set(["succeeded", "degraded", "failed"]);

function runPoints(runs: readonly RunRecord[], metric: "p95_duration" | "success_rate"): SlaPoint[] {
  return runs
    .filter((r) => r.finishedAt !== null && FINISHED.has(r.status))
    .map((r) => ({
      at: r.finishedAt as number,
      v: metric === "p95_duration" ? (r.finishedAt as number) - r.createdAt : r.status === "failed" ? 0 : 1,
    }));
}

/** Every SLA, the host's first, then each workflow's (by name), over the journal's history. */
export async function slaReport(sources: SlaSources): Promise<SlaReport> {
  const clock = sources.clock ?? systemClock;
  const now = clock.now();
  const host = { ...HOST_SLA_DEFAULTS, ...sources.host };
  const buckets = sources.buckets ?? 24;
  const problems: string[] = [];

  // Newest first: the first run of each workflow carries its current `sla:` block.
  const workflows = new Map<string, SlaObjectives>();
  const all = await sources.journal.listRuns({});
  for (const run of all) {
    if (workflows.has(run.workflow)) continue;
    const block = (run.definition as { sla?: unknown } | null)?.sla;
    const parsed = parseWorkflowSla(block, run.workflow);
    problems.push(...parsed.problems);
    workflows.set(run.workflow, parsed.objectives);
  }
  const longest = Math.max(host.windowMs ?? 0, ...[...workflows.values()].map((o) => o.windowMs ?? 0));
  const since = now - Math.max(longest, HOST_SLA_DEFAULTS.windowMs as number);
  const runs = all.filter((r) => r.finishedAt !== null && r.finishedAt >= since);
  const workflowOf = new Map(all.map((r) => [r.id, r.workflow]));
  const recoveries: (SlaPoint & { workflow: string })[] = [];
  for (let afterSeq = 0; ;) {
    const page: EventRecord[] = await sources.journal.listEventsAfter(afterSeq, {
      types: ["recovery.succeeded", "recovery.failed"],
      limit: 1000,
    });
    for (const e of page) {
      if (e.at >= since)
        recoveries.push({
          at: e.at,
          v: e.type === "recovery.succeeded" ? 1 : 0,
          workflow: workflowOf.get(e.runId) ?? "",
        });
    }
    if (page.length < 1000) break;
    afterSeq = page[page.length - 1]!.seq;
  }

  const slas: SlaResult[] = [];
  const track = (
    scope: string,
    o: SlaObjectives,
    scoped: RunRecord[],
    recovered: SlaPoint[],
    health?: SlaPoint[],
  ) => {
    const common = {
      scope,
      windowMs: o.windowMs ?? (HOST_SLA_DEFAULTS.windowMs as number),
      targetCompliance: o.targetCompliance ?? (HOST_SLA_DEFAULTS.targetCompliance as number),
    };
    const add = (metric: SlaMetric, threshold: number | undefined, points: SlaPoint[]) => {
      if (threshold !== undefined)
        slas.push(evaluateSla({ ...common, metric, threshold }, points, now, buckets));
    };
    add("p95_duration", o.p95DurationMs, runPoints(scoped, "p95_duration"));
    add("success_rate", o.successRate, runPoints(scoped, "success_rate"));
    add("recovery_rate", o.recoveryRate, recovered);
    if (health) add("availability", o.availability, health);
  };
  const health = sources.healthHistory?.call(undefined, since).map((s) => ({ at: s.at, v: s.ready ? 1 : 0 }));
  track("host", host, runs, recoveries, health);
  for (const [workflow, objectives] of [...workflows].sort(([a], [b]) => a.localeCompare(b))) {
    track(
      workflow,
      objectives,
      runs.filter((r) => r.workflow === workflow),
      recoveries.filter((r) => r.workflow === workflow),
    );
  }
  const withData = slas.filter((s) => s.verdict !== "no_data");
  return {
    at: now,
    checkedAt: new Date(now).toISOString(),
    slas,
    overallCompliance:
      withData.length === 0 ? null : withData.filter((s) => s.verdict === "met").length / withData.length,
    problems,
  };
}
