import type {
  CapacityForecast,
  PerformanceReport,
  Profile,
  RunCost,
  RunResources,
  StagePerformance,
  TimingStats,
} from "../../observe/index.js";
import { bytes, costLines, renderCapacity, unitsText } from "./capacity.js";
import { duration, fit, MAX_WIDTH, plural, symbol, table } from "./format.js";

/** What `report RUN` says of resources: the run's window, or why the samples could not be read. */
export type ResourcesOutput = RunResources & { unavailable?: string };

/** What `stageflow report RUN` prints (and gives as JSON). */
export interface PerformanceOutput {
  performance: PerformanceReport;
  profile: Profile;
  /** The run's cost units (see docs/operations.md, "Cost"). */
  cost: RunCost;
  /** Memory and event-loop lag sampled over the run's window (see docs/operations.md, "Profiling"). */
  resources: ResourcesOutput;
  /** With `--capacity`: the journal's capacity forecast. */
  capacity?: CapacityForecast;
}

const ratio = (r: number | null) => (r === null ? "-" : `${r.toFixed(2).replace(/\.?0+$/, "")}×`);
const percent = (x: number) => `${Math.round(x * 100)}%`;

/** The performance report, its grade and recommendations, then the profiler's tables. */
export function renderPerformance({
  performance: perf,
  profile,
  cost,
  resources,
  capacity,
}: PerformanceOutput): string {
  const lines = [
    fit(`performance of run ${perf.runId} (${perf.workflow}): grade ${perf.grade} (${perf.score}/100)`),
  ];
  lines.push(`status    ${symbol(perf.state)} ${perf.state}`);
  lines.push(`duration  ${duration(perf.durationMs)}`);
  const { finished, failed } = perf.attempts;
  lines.push(
    `attempts  ${finished === 0 ? "none finished" : `${failed} of ${finished} failed (${percent(perf.errorRate ?? 0)})`}`,
  );
  const { ended, recovered } = perf.recovery;
  lines.push(
    `recovery  ${ended === 0 ? "no episode" : `${recovered} of ${plural(ended, "episode")} recovered (${percent(perf.recoveryRate ?? 0)})`}`,
  );
  lines.push(
    `history   ${perf.learnedFrom === 0 ? "no successful run before this one" : `${plural(perf.learnedFrom, "successful run")} before this one`}`,
  );
  lines.push(fit(`cost      ${unitsText(cost.units)}`));
  lines.push("", ...table([STAGE_HEAD, ...perf.stages.map(stageRow)], MAX_WIDTH));
  if (perf.hotPaths.length > 0) {
    const rows = perf.hotPaths.map((h) => [h.stepId, h.stageId, duration(h.durationMs), percent(h.share)]);
    lines.push("", ...table([["HOT PATH", "STAGE", "DURATION", "SHARE"], ...rows], MAX_WIDTH));
  }
  const p = perf.penalties;
  lines.push(
    "",
    fit(
      `score  100 − speed ${p.speed} − errors ${p.errors} − recovery ${p.recovery} − outcome ${p.outcome}` +
        ` − anomalies ${p.anomalies} = ${perf.score} (${perf.grade})`,
    ),
  );
  if (perf.recommendations.length > 0) {
    lines.push("", "RECOMMENDATIONS");
    for (const text of perf.recommendations) lines.push(...wrap(text, "  - ", "    "));
  }
  const costs = costLines(cost);
  if (costs.length > 0) lines.push("", ...costs);
  lines.push("", ...profileLines(profile, perf.workflow));
  lines.push("", ...resourceLines(resources));
  if (capacity) lines.push("", ...renderCapacity(capacity));
  return `${lines.join("\n")}\n`;
}

const STAGE_HEAD = ["STAGE", "DURATION", "BASELINE", "RATIO", "PACE", "SPEEDUP", "ANOMALY"];

function stageRow(s: StagePerformance): string[] {
  const baseline = s.baselineMs === null ? "-" : `${duration(s.baselineMs)} (${s.baselineSource})`;
  const speedup = s.speedup === null ? "-" : `${ratio(s.speedup)} of ${ratio(s.idealSpeedup)}`;
  const anomaly = s.anomaly?.anomaly
    ? `${s.anomaly.direction} (z ${s.anomaly.zScore.toFixed(1)})`
    : s.anomaly
      ? "no"
      : "-";
  return [s.id, duration(s.durationMs), baseline, ratio(s.ratio), s.pace ?? "-", speedup, anomaly];
}

const PROFILE_HEAD = ["COUNT", "FAILED", "P50", "P95", "P99", "MAX", "TOTAL"];

function profileLines(profile: Profile, workflow: string): string[] {
  const title = `PROFILE of the last ${plural(profile.runs, "run")} of ${workflow} (${plural(profile.attempts, "attempt")})`;
  if (profile.attempts === 0) return [fit(title), "no finished attempt"];
  const cells = (row: TimingStats) => [
    row.name,
    String(row.count),
    String(row.failed),
    duration(row.p50Ms),
    duration(row.p95Ms),
    duration(row.p99Ms),
    duration(row.maxMs),
    duration(row.totalMs),
  ];
  // One table, so that the three sections' columns line up.
  const rows = [
    ["STEP KIND", ...PROFILE_HEAD],
    ...profile.kinds.map(cells),
    ["", ""],
    ["STAGE", ...PROFILE_HEAD],
    ...profile.stages.map(cells),
    ["", ""],
    ["WORKFLOW", ...PROFILE_HEAD],
    ...profile.workflows.map(cells),
  ];
  return [fit(title), ...table(rows, MAX_WIDTH)];
}

/** The RESOURCES section: the highest memory and event-loop lag sampled over the run's window. */
export function resourceLines(r: ResourcesOutput): string[] {
  if (r.unavailable !== undefined)
    return ["RESOURCES", fit(`resource samples could not be read: ${r.unavailable}`)];
  if (r.samples === 0) {
    return [
      "RESOURCES",
      fit("no resource samples for this run (sampled while stageflow run/resume or the app executes it)"),
    ];
  }
  const ms = (x: number | null) => (x === null ? "-" : `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`);
  const size = (x: number | null) => (x === null ? "-" : bytes(x));
  return [
    fit(
      `RESOURCES (${plural(r.samples, "sample")} from ${plural(r.hosts.length, "process", "processes")} while runs were active)`,
    ),
    `rss max       ${size(r.rssMaxBytes)}`,
    `heap max      ${size(r.heapUsedMaxBytes)}`,
    `loop lag      p99 ${ms(r.loopLagP99MaxMs)}, max ${ms(r.loopLagMaxMs)}`,
  ];
}

/** Words wrapped to MAX_WIDTH, the first line after `first`, the others after `rest`. */
function wrap(text: string, first: string, rest: string): string[] {
  const out: string[] = [];
  let line = first;
  for (const word of text.split(/\s+/)) {
    const prefix = line === first || line === rest;
    if (!prefix && line.length + 1 + word.length > MAX_WIDTH) {
      out.push(line);
      line = rest;
    }
    line += line === first || line === rest ? word : ` ${word}`;
  }
  out.push(line);
  return out.map((l) => fit(l));
}
