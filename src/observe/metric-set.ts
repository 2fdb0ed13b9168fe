/**
 * The metrics stageflow exports, registered on one prom-client Registry (never the global one).
 * Names of the deployment guide (`../shared/seeds/production-deployment-guide.md`) are kept
 * exactly: `workflow_duration_ms` (its buckets), `error_recovery_*`, `workflow_speedup_factor`,
 * `template_cache_*`; stageflow's own are prefixed `stageflow_`. Durations are milliseconds, as
 * the guide's are. Every label value is an enumeration of the code or goes through a BoundedLabel.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { LeanCounter1, LeanCounter2, LeanHistogram2 } from "./lean.js";

/** `workflow_duration_ms` buckets: the deployment guide's. */
export const WORKFLOW_BUCKETS_MS = [100, 500, 1000, 2000, 5000, 10000, 30000];
/** Step attempts and recovery episodes: from 10 ms to 5 minutes. */
export const STEP_BUCKETS_MS = [10, 50, 100, 500, 1000, 2000, 5000, 10000, 30000, 60000, 300000];

/** Every metric of a host, by role. */
export function metricSet(registry: Registry) {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers });
  const histogram = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ) => new Histogram<L>({ name, help, labelNames, buckets, registers });
  return {
    // The deployment guide's.
    workflowDuration: new LeanHistogram2(
      "workflow_duration_ms",
      "Duration of finished runs (ms), by workflow and final status",
      ["workflow", "status"],
      WORKFLOW_BUCKETS_MS,
      registry,
    ),
    recoveryAttempts: counter(
      "error_recovery_attempts_total",
      "Recovery decisions taken for failed attempts (recovery.decided), by strategy and error type",
      ["strategy", "error_type"],
    ),
    recoverySuccess: counter(
      "error_recovery_success_total",
      "Recovery episodes that ended with the step recovered, by final strategy",
      ["strategy"],
    ),
    recoveryFailures: counter(
      "error_recovery_failures_total",
      "Recovery episodes that gave up (step failed or escalated), by final strategy",
      ["strategy"],
    ),
    recoveryDuration: histogram(
      "error_recovery_duration_ms",
      "Duration of ended recovery episodes (ms), from the first failure to the end, by final strategy",
      ["strategy"],
      STEP_BUCKETS_MS,
    ),
    speedup: gauge(
      "workflow_speedup_factor",
      "Parallel speedup of the last finished run that had a parallel stage: its parallel steps' durations summed over the spans of those stages",
    ),
    templateHits: counter("template_cache_hits_total", "Compiled-template cache hits of the renderer"),
    templateMisses: counter("template_cache_misses_total", "Compiled-template cache misses of the renderer"),

    // stageflow's own.
    // Updated at every run and every step: the lean implementations (lean.ts).
    runsStarted: new LeanCounter1(
      "stageflow_runs_started_total",
      "Runs started, by workflow",
      "workflow",
      registry,
    ),
    runsFinished: new LeanCounter2(
      "stageflow_runs_finished_total",
      "Runs finished, by workflow and final status",
      ["workflow", "status"],
      registry,
    ),
    runsActive: gauge(
      "stageflow_runs_active",
      "Runs not finished, by state (running, waiting, blocked, interrupted), as the events tell",
      ["state"],
    ),
    stepAttempts: new LeanCounter2(
      "stageflow_step_attempts_total",
      "Step attempts ended, by step kind and outcome",
      ["kind", "outcome"],
      registry,
    ),
    stepAttemptDuration: new LeanHistogram2(
      "stageflow_step_attempt_duration_ms",
      "Duration of step attempts (ms), by step kind and outcome",
      ["kind", "outcome"],
      STEP_BUCKETS_MS,
      registry,
    ),
    steps: new LeanCounter2(
      "stageflow_steps_total",
      "Steps ended, by step kind and final outcome",
      ["kind", "outcome"],
      registry,
    ),
    breakerState: gauge(
      "stageflow_circuit_breaker_state",
      "Circuit breaker state per dependency: 0 closed, 1 half-open, 2 open",
      ["dependency"],
    ),
    breakerTransitions: counter(
      "stageflow_circuit_breaker_transitions_total",
      "Circuit breaker transitions, by dependency and the state entered",
      ["dependency", "state"],
    ),
    budgetRefusals: counter(
      "stageflow_retry_budget_refusals_total",
      "Retries refused by a dependency's retry budget, by dependency and the action taken",
      ["dependency", "action"],
    ),
    inboxPending: gauge("stageflow_inbox_pending", "Webhook deliveries recorded and not yet handled"),
    inboxLag: gauge(
      "stageflow_inbox_lag_ms",
      "Age of the oldest pending webhook delivery (ms); 0 when none is pending",
    ),
    inboxRetrying: gauge("stageflow_inbox_retrying", "Webhook deliveries waiting for a retry"),
    deliveriesReceived: counter(
      "stageflow_webhook_deliveries_received_total",
      "Verified webhook deliveries, by event and outcome (recorded, redelivered)",
      ["event", "outcome"],
    ),
    deliveriesHandled: counter(
      "stageflow_webhook_deliveries_handled_total",
      "Attempts at handling webhook deliveries, by event and outcome (done, ignored, failed)",
      ["event", "outcome"],
    ),
    githubCalls: counter(
      "stageflow_github_api_calls_total",
      "GitHub API requests, by installation (`app` for the app's own) and HTTP status (`error`: no response)",
      ["installation", "status"],
    ),
    githubRateLimit: gauge(
      "stageflow_github_rate_limit_remaining",
      "x-ratelimit-remaining of the last GitHub API answer, by installation",
      ["installation"],
    ),
  };
}

export type MetricSet = ReturnType<typeof metricSet>;
