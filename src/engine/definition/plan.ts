/**
 * The compiled form of a workflow file: what the executor runs. Produced by
 * `compileWorkflow()` from the parsed (zod-validated) definition; durations are milliseconds,
 * defaults are applied, every step knows its stage and its identity hash.
 */

export type InputType = "string" | "number" | "boolean" | "choice";

export interface InputSpec {
  type: InputType;
  required: boolean;
  default?: string | number | boolean;
  description?: string;
  /** Allowed values for `choice`. */
  options?: string[];
  /** Masked wherever a run is shown or stored; not journaled (given again on resume). */
  secret?: boolean;
}

export type Backoff = "exponential" | "linear" | "constant";
export type Jitter = "full" | "equal" | "decorrelated" | "none";

export interface RetrySpec {
  /** Total attempts including the first. 1 = no retry. */
  maxAttempts: number;
  backoff: Backoff;
  baseDelayMs: number;
  maxDelayMs: number;
  jitter: Jitter;
}

export interface StepPlan {
  id: string;
  stageId: string;
  /** Position within its stage. */
  index: number;
  /** The step kind: `run`, `http`, `wait`, `github` or a registered custom kind. */
  kind: string;
  /** The value under the kind's key, e.g. the command string of `run`. May hold `${{ }}`. */
  config: unknown;
  /** The step's `with:` map. May hold `${{ }}`. */
  with: Record<string, unknown>;
  /** The step's `env:` map. Values may hold `${{ }}`. */
  env: Record<string, string>;
  retry: RetrySpec;
  /** Per-attempt timeout. */
  timeoutMs: number;
  priority: number;
  optional: boolean;
  continueOnError: boolean;
  /** Condition expression (without `${{ }}` wrapping), if any. */
  if?: string;
  /** Circuit-breaker key; defaults to what the kind's handler derives (e.g. the URL host). */
  dependency?: string;
  /** Declared output names, if the step declares them; references are checked against them. */
  outputs?: string[];
  /** sha256 of the step's canonical definition: (stage id, step id, kind, config, with, env). */
  identity: string;
  /** Source position of the step in the workflow file, for messages. */
  position?: SourcePosition;
}

export type StageMode = "parallel" | "sequential";
export type TimeoutAction = "retry" | "degrade" | "escalate" | "fail";

export interface StagePlan {
  id: string;
  index: number;
  mode: StageMode;
  /** Steps at once in a parallel stage (1 for sequential). */
  concurrency: number;
  /** true: first failure cancels running siblings; false: collect all. */
  failFast: boolean;
  timeoutMs?: number;
  warnAfterMs?: number;
  onTimeout: TimeoutAction[];
  if?: string;
  steps: StepPlan[];
  position?: SourcePosition;
}

export interface SourcePosition {
  file?: string;
  line: number;
  column: number;
}

export interface WorkflowPlan {
  name: string;
  description?: string;
  on: { labels: string[]; commands: string[] };
  inputs: Record<string, InputSpec>;
  /** Environment variables (of the host) whose values are masked wherever a run is shown or stored. */
  secrets: string[];
  stages: StagePlan[];
  /** The workflow's `recovery:` patterns, compiled (the built-in defaults are added by the engine). */
  recovery: import("../recovery/types.js").RecoveryPattern[];
  sla?: unknown;
  baselines?: Record<string, unknown>;
  alerts?: unknown;
  /** The normalised definition as plain JSON: what the journal stores with the run. */
  definition: unknown;
  /** sha256 of the canonical JSON of `definition`. */
  hash: string;
  /** Where the workflow came from (file path), when it came from a file. */
  source?: string;
}
