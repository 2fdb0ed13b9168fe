/**
 * Reason codes. Every result (run, stage, step, attempt) carries one; the same string appears
 * in logs, events, CLI output, comments, Action outputs and metric labels.
 */
export const REASONS = [
  "succeeded",
  "failed",
  "retries_exhausted",
  "timed_out",
  "stage_timed_out",
  "circuit_open",
  "cancelled",
  "skipped",
  "condition_false",
  "continued_on_error",
  "sibling_failed",
  "handler_error",
  "invalid_input",
  "unknown_output",
  "definition_changed",
  "checkpoint_corrupt",
  "determinism_error",
  "lease_lost",
  "run_busy",
  "interrupted",
  "degraded",
  // A step of a failed or blocked run that the user skipped on resume (ResumeOptions.skip): never
  // executed, no outputs; the run ends `degraded`.
  "skipped_by_user",
  "escalated",
  // A run whose only work is waiting (a timer or a signal): recorded `waiting`, woken by the engine.
  "parked",
  // Refusals of the host API (see REFUSALS in errors.ts): what a host switches on.
  "run_not_found",
  "run_finished",
  "definition_invalid",
  "storage_unavailable",
  "storage_corrupt",
  "signal_unknown",
] as const;

export type ReasonCode = (typeof REASONS)[number];

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === "string" && (REASONS as readonly string[]).includes(value);
}
