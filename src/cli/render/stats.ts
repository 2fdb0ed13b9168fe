import {
  ERROR_TYPES,
  type RecoveryStats,
  type RecoveryStatsRow,
  type RunStatus,
  STRATEGIES,
} from "../../index.js";
import { duration, table } from "./format.js";

/** Statuses in the order reports list them. */
export const RUN_STATUSES: readonly RunStatus[] = [
  "succeeded",
  "degraded",
  "failed",
  "cancelled",
  "waiting",
  "blocked",
  "running",
];

/** What `stageflow stats` reports: which runs it read, and their recovery statistics. */
export interface StatsReport extends RecoveryStats {
  filter: {
    workflow: string | null;
    /** `--since` as given (`7d`), and the earliest run creation time it admits (epoch ms). */
    since: string | null;
    from: number | null;
  };
  runs: { total: number; byStatus: Record<string, number> };
}

/** `83.3%`, `100%`, or `-` when no episode ended. */
export function rate(value: number | null): string {
  if (value === null) return "-";
  const percent = value * 100;
  return `${Number.isInteger(percent) ? percent : percent.toFixed(1)}%`;
}

const HEAD = ["ATTEMPTS", "EPISODES", "SUCCESSES", "FAILURES", "SUCCESS RATE", "RECOVERY TIME"];

function cells(row: RecoveryStatsRow): string[] {
  return [
    String(row.attempts),
    String(row.episodes),
    String(row.successes),
    String(row.failures),
    rate(row.successRate),
    duration(row.recoveryMs),
  ];
}

/** Keys in `order` first (in that order), then the rest alphabetically. */
function ordered(keys: string[], order: readonly string[]): string[] {
  const rank = (key: string) => (order.includes(key) ? order.indexOf(key) : order.length);
  return [...keys].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function section(
  title: string,
  column: string,
  rows: Record<string, RecoveryStatsRow>,
  order: readonly string[],
) {
  const keys = ordered(Object.keys(rows), order);
  const body = keys.map((key) => [key, ...cells(rows[key] as RecoveryStatsRow)]);
  return [`${title}:`, ...table([[column, ...HEAD], ...body]).map((line) => `  ${line}`)];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function runsLine(report: StatsReport): string {
  const { filter, runs } = report;
  const scope = [
    ...(filter.workflow === null ? [] : [`workflow ${filter.workflow}`]),
    ...(filter.since === null ? [] : [`since ${filter.since}`]),
  ];
  const head = `${plural(runs.total, "run")}${scope.length ? ` (${scope.join(", ")})` : ""}`;
  const counts = ordered(Object.keys(runs.byStatus), RUN_STATUSES)
    .filter((status) => (runs.byStatus[status] ?? 0) > 0)
    .map((status) => `${runs.byStatus[status]} ${status}`);
  return counts.length ? `${head}: ${counts.join(", ")}` : head;
}

function overallLine(report: StatsReport): string {
  const o = report.overall;
  const target = rate(report.target);
  if (o.successRate === null) {
    return `overall: ${plural(o.attempts, "attempt")}, no recovery ended yet (the ${target} target is not measured)`;
  }
  const verdict = report.meetsTarget ? `meets the ${target} target` : `below the ${target} target`;
  return (
    `overall: success rate ${rate(o.successRate)} (${o.successes} of ${plural(o.episodes, "episode")} recovered, ` +
    `${plural(o.attempts, "attempt")}, ${duration(o.recoveryMs)} recovering) — ${verdict}`
  );
}

/** `stageflow stats`: run counts, then recovery by strategy, error type and pattern, then overall. */
export function renderStats(report: StatsReport): string {
  const lines = [runsLine(report)];
  if (report.overall.attempts === 0 && report.overall.episodes === 0) {
    lines.push("", "no recovery events: no step failed in these runs");
    return `${lines.join("\n")}\n`;
  }
  lines.push(
    "",
    ...section("recovery by strategy", "STRATEGY", report.byStrategy, [
      ...STRATEGIES,
      "step_retry",
      "give_up",
    ]),
    "",
    ...section("recovery by error type", "TYPE", report.byErrorType, ERROR_TYPES),
    "",
    ...section("recovery by pattern", "PATTERN", report.byPattern, []),
    "",
    overallLine(report),
  );
  return `${lines.join("\n")}\n`;
}
