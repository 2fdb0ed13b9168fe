import type { Cancel } from "../cancel.js";
import type { WorkflowPlan } from "../definition/plan.js";
import type { CrashHooks, CrashPoint, CrashPointInfo } from "../engine-api.js";
import type { ErrorInfo } from "../errors.js";
import type { Scope } from "../expressions/index.js";
import type { StepHandler } from "../handler.js";
import type { CheckpointRecord } from "../journal.js";
import type { BreakerRegistry } from "../policies/index.js";
import type { Clock, Logger, Random } from "../ports.js";
import type { ReasonCode } from "../reasons.js";
import type { CompiledPattern, RetryBudgets } from "../recovery/index.js";
import type { RunWaits } from "../parking/run-waits.js";
import type { RunRecorder } from "./recorder.js";
import type { RunServices } from "./run-services.js";
import type { StepLogs } from "./step-logs.js";

/** What every run executed by one engine shares. */
export interface EngineServices {
  clock: Clock;
  random: Random;
  /** Who this engine's leases name: a final status releases the run's lease with it. */
  leaseOwner: string;
  logger: Logger;
  hooks: CrashHooks;
  breakers: BreakerRegistry;
  kinds: ReadonlyMap<string, StepHandler>;
  workDir: string;
  /** Retry budgets, one per dependency, shared by every run of this engine. */
  budgets: RetryBudgets;
  /**
   * Set by `engine.close({ mode: "drain" })`: no step starts any more, running steps finish,
   * waiting steps park at once.
   */
  draining: boolean;
  /** The run whose call last went through each dependency's breaker: its transitions are that run's events. */
  breakerCallers: Map<string, RunContext>;
}

/** Which run this is: its id, plan and inputs, and when it started. */
export interface RunIdentity {
  id: string;
  plan: WorkflowPlan;
  inputs: Record<string, unknown>;
  /** When the run was created (a resumed run keeps its first start). */
  startedAt: number;
}

/** What the journal held for the run when it (re)started, kept up to date as attempts are made. */
export interface JournaledState {
  /** Valid checkpoints found at (re)start, by step id. */
  checkpoints: Map<string, CheckpointRecord>;
  /** Highest attempt number recorded per step (attempt numbers continue across resumes). */
  lastAttempt: Map<string, number>;
  /** Failed attempts per step that count against its retry budget. */
  failedAttempts: Map<string, number>;
}

/** Recovery's state for the run. */
export interface RecoveryState {
  /** The workflow's recovery patterns and the defaults, compiled and ordered. */
  patterns: CompiledPattern[];
  /** Steps a `degrade` decision told to skip. */
  degradedSkips: Set<string>;
  /** Steps skipped or replaced by degradation so far: the run ends `degraded`. */
  degraded: string[];
}

/** Where the run's results go: events and records, step output, the steps' logger and scratch directory. */
export interface RunOutput {
  recorder: RunRecorder;
  /** Steps' output on its way to the journal (masked, bounded). */
  logs: StepLogs;
  /** The logger handed to steps: the engine's, masking the run's secret values. */
  stepLogger: Logger;
  /** The run's scratch directory, handed to every step. */
  workDir: string;
}

/** One run's state while it executes in this process. */
export interface RunContext {
  run: RunIdentity;
  journaled: JournaledState;
  recovery: RecoveryState;
  output: RunOutput;
  services: EngineServices;
  /** Aborted when the run is cancelled, interrupted, or its lease is lost. */
  cancel: Cancel;
  /** The expression scope: inputs and the outputs of finished steps. */
  scope: Scope;
  /** Evaluates an expression against `scope` (handed to every step). */
  evaluate(expression: string): unknown;
  /** The run as handlers see it, its handlers made by `forRun`, its dependency keys' scope. */
  runServices: RunServices;
  /** Its waiting steps, and whether it parks (see parking/run-waits.ts). */
  waits: RunWaits;
}

/**
 * `waiting`: escalated to a person; the run waits until resumed. `parked`: the step waits for a
 * timer or a signal and the run parks; the step runs again when the engine wakes the run.
 */
export type StepStatus = "succeeded" | "skipped" | "failed" | "cancelled" | "waiting" | "parked";

export interface StepOutcome {
  stepId: string;
  status: StepStatus;
  reason: ReasonCode;
  /** A failure that `continue_on_error` lets the stage and the run go on past. */
  continued: boolean;
  error?: ErrorInfo;
}

export async function crashPoint(
  services: EngineServices,
  point: CrashPoint,
  info: Omit<CrashPointInfo, "point">,
): Promise<void> {
  const hook = services.hooks[point];
  if (hook) await hook({ point, ...info });
}
