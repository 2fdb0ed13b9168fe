/**
 * `stageflow/observe`: what stageflow tells an operator — the performance report and grade of a
 * run, learned baselines and anomalies, the profiler, health checks, SLA tracking (and, beside
 * them, metrics and alerts). It subscribes to the engine's events and reads the journal; the
 * engine never calls it. The app serves it over HTTP, the Action and the CLI print it.
 */
export * from "./anomaly.js";
export * from "./baselines.js";
export * from "./grade.js";
export * from "./performance.js";
export * from "./profiler.js";
export * from "./sampler.js";
export * from "./samples.js";
export * from "./health.js";
export * from "./health-checks.js";
export * from "./health-setup.js";
export * from "./health-http.js";
export * from "./sla.js";
export * from "./metric-reader.js";
export * from "./alerts/index.js";
// Metrics pull in prom-client (~100 ms to load): loaded on first use, not at every CLI start.
export type { InboxSnapshot, LabelLimits, Metrics, MetricsOptions, RunSource } from "./metrics.js";
/** `createMetrics` and the rest of ./metrics.js, loaded when first needed. */
export const loadMetrics = () => import("./metrics.js");
export * from "./costs.js";
export * from "./forecast.js";
export * from "./capacity.js";
export * from "./capacity-load.js";
