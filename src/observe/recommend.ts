/** The performance report's recommendations, in words: most important first. */
import { formatDuration, type RunReport } from "../index.js";
import type { PerformanceReport } from "./performance.js";

const HIGH_ERROR_RATE = 0.1;
const ratioText = (r: number) => `${r.toFixed(r < 10 ? 2 : 1).replace(/\.?0+$/, "")}×`;
const percent = (x: number) => `${Math.round(x * 100)}%`;

/** What to look at, from a report without its recommendations (see PerformanceReport). */
export function recommendations(perf: PerformanceReport, report: RunReport): string[] {
  const out: string[] = [];
  for (const stage of perf.stages) {
    if (stage.pace !== "slow" || stage.baselineMs === null || stage.durationMs === null) continue;
    const step = stage.slowestStep
      ? `; its slowest step is ${stage.slowestStep.id} (${formatDuration(stage.slowestStep.durationMs)})`
      : "";
    out.push(
      `stage ${stage.id} took ${formatDuration(stage.durationMs)} against its ${stage.baselineSource} baseline of ` +
        `${formatDuration(stage.baselineMs)} (${ratioText(stage.ratio ?? 0)})${step}`,
    );
  }
  for (const stage of perf.stages) {
    const a = stage.anomaly;
    if (!a?.anomaly || stage.durationMs === null) continue;
    out.push(
      `stage ${stage.id} was unusually ${a.direction} (${formatDuration(stage.durationMs)}; its last ${a.samples} ` +
        `successful runs average ${formatDuration(a.ewmaMs)}, z = ${a.zScore.toFixed(1)}): ` +
        (a.direction === "slow"
          ? "look for what changed (inputs, dependencies, runners)"
          : "check that it still does all its work"),
    );
  }
  if (perf.errorRate !== null && perf.errorRate >= HIGH_ERROR_RATE) {
    out.push(
      `${perf.attempts.failed} of ${perf.attempts.finished} attempts failed (${percent(perf.errorRate)}): ` +
        "see the recovery table and fix the most frequent error",
    );
  }
  const lost = perf.recovery.ended - perf.recovery.recovered;
  if (lost > 0) {
    out.push(
      `${lost} of ${perf.recovery.ended} recovery episodes did not recover: ` +
        "add a recovery pattern for their error, or fix its cause",
    );
  }
  const ran = report.stages.flatMap((s) => s.steps).filter((s) => s.durationMs !== null).length;
  if (ran > 1) {
    for (const hot of perf.hotPaths) {
      out.push(
        `step ${hot.stepId} (stage ${hot.stageId}) takes ${percent(hot.share)} of the run (hot path): ` +
          "cache its work, split it, or run it in parallel with other steps",
      );
    }
  }
  for (const stage of perf.stages) {
    const { speedup, idealSpeedup } = stage;
    if (speedup === null || idealSpeedup === null || idealSpeedup < 2 || speedup >= Math.min(2, idealSpeedup))
      continue;
    const holder = stage.slowestStep
      ? `: step ${stage.slowestStep.id} holds it up; split it or balance the steps`
      : "";
    out.push(
      `parallel stage ${stage.id} ran with a speedup of ${ratioText(speedup)} (target 2×, at most ` +
        `${ratioText(idealSpeedup)})${holder}`,
    );
  }
  const unknown = perf.stages.filter((s) => s.durationMs !== null && s.baselineMs === null).map((s) => s.id);
  if (unknown.length > 0 && perf.learnedFrom === 0) {
    out.push(
      `no baseline for stage${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}: set \`baselines:\` in the ` +
        "workflow, or let a few successful runs teach them",
    );
  }
  for (const problem of perf.problems) out.push(`fix the workflow's ${problem}`);
  return out;
}
