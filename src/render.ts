/**
 * `stageflow/render`: how a run is reported on GitHub (check-run summary, status comment,
 * replies), rendered from the Markdown templates in `templates/`. The GitHub App, the Action and
 * the CLI's `run --github-preview` share it.
 */
export * from "./github/render/index.js";
// The performance report and grade that the views show, and the profiler's tables: `stageflow
// report` prints them (src/observe; the same functions the check run and the comment use).
export {
  ANOMALY_DEFAULTS,
  type AnomalyOptions,
  type AnomalyVerdict,
  detectAnomaly,
  ewma,
} from "./observe/anomaly.js";
export {
  configuredBaselines,
  DEFAULT_HISTORY_RUNS,
  historyFromReports,
  type LearnedHistory,
  learnHistory,
  type LearnOptions,
} from "./observe/baselines.js";
export { type Grade, gradeOf, GRADE_WEIGHTS, scoreRun } from "./observe/grade.js";
export {
  FAST_BELOW,
  HOT_PATH_SHARE,
  journaledPerformance,
  type PerformanceInput,
  type PerformanceReport,
  performanceReport,
  SLOW_ABOVE,
  type StagePerformance,
} from "./observe/performance.js";
export { loadProfile, percentile, type Profile, profile, type TimingStats } from "./observe/profiler.js";
