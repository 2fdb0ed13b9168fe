/**
 * Error recovery: what a workflow's `recovery:` patterns compile to, and what the engine decides
 * when an attempt fails. Patterns match an error's text (name, message, code, HTTP status); the
 * first match by priority (higher first; ties by order) decides the strategy.
 */

export const ERROR_TYPES = [
  "network",
  "rate_limit",
  "timeout",
  "ai_service",
  "validation",
  "resource",
  "configuration",
  "security",
  "unknown",
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

export const STRATEGIES = ["retry", "alternative", "degrade", "escalate", "fail"] as const;
export type Strategy = (typeof STRATEGIES)[number];

export type Severity = "info" | "warning" | "error" | "critical";

/** One alternative of the `alternative` strategy: another step's definition, or `with` overrides. */
export interface Alternative {
  /** Run this step's definition (kind, config, with, env) in place of the failed one. */
  step?: string;
  /** Merged over the failed step's `with:` (e.g. another URL, model or template). */
  with?: Record<string, unknown>;
}

export interface RecoveryPattern {
  id: string;
  /** The source text of `match` (a regular expression, case-insensitive). */
  match: string;
  type: ErrorType;
  strategy: Strategy;
  /** Higher wins. @default 100 for workflow patterns; the built-in defaults use 10–50 */
  priority: number;
  /** retry: attempts this pattern allows for a step (including the first). @default 3 */
  maxAttempts?: number;
  /** retry: first backoff delay. @default 1000 */
  baseDelayMs?: number;
  /** retry: backoff cap. @default 30000 */
  maxDelayMs?: number;
  /** alternative: tried in order until one succeeds. */
  alternatives?: Alternative[];
  /** degrade: optional steps to skip (the failed step too, when listed; all must be optional). */
  skip?: string[];
  /** degrade: a step to run instead of the failed one, finishing the run as degraded. */
  variant?: string;
  /** escalate: how bad it is. @default "error" */
  severity?: Severity;
  /** escalate: the channel to notify (slack, email, pagerduty, ...), used by observers. */
  notify?: string;
  /** retry: what to do when the dependency's retry budget refuses a retry. @default "wait" */
  onBudgetExhausted?: "wait" | "escalate";
  /** Where the pattern came from: the workflow file or the built-in defaults. */
  source: "workflow" | "default";
}

/** The error as patterns see it (from ErrorInfo). */
export interface ClassifiedError {
  text: string;
  type: ErrorType;
  pattern: RecoveryPattern | null;
}
