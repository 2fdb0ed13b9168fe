import type { StepPlan } from "../definition/plan.js";
import type { ErrorInfo } from "../errors.js";
import type { NewEvent } from "../events.js";
import type { RecoveryPattern } from "../recovery/types.js";
import type { RunContext, StepOutcome } from "./context.js";
import type { Decision } from "./decide.js";

/** What a `run.escalated` event says: where the run stopped, why, and the facts a person needs. */
export interface Escalation {
  stageId: string;
  /** The step that escalated, or null when the stage escalated (its timeout's `escalate`). */
  stepId: string | null;
  /** The recovery pattern that decided to escalate, if any. */
  pattern?: RecoveryPattern | null;
  error: ErrorInfo;
  /** Facts only (workflow, inputs, attempts, ...): hosts render their own instructions. */
  context: Record<string, unknown>;
  /** Events journaled in the same batch, before the escalation. */
  before?: NewEvent[];
}

/**
 * Parks the run for a person: journals the `run.escalated` event. The one place escalation is
 * recorded, for a step (see escalateStep) and for a stage timeout. The run then waits (status
 * `waiting`) until the host resumes it.
 */
export async function escalate(ctx: RunContext, e: Escalation): Promise<void> {
  const pattern = e.pattern ?? null;
  await ctx.output.recorder.emit([
    ...(e.before ?? []),
    ctx.output.recorder.event("run.escalated", {
      stageId: e.stageId,
      stepId: e.stepId,
      patternId: pattern?.id ?? null,
      severity: pattern?.severity ?? "error",
      ...(pattern?.notify ? { notify: pattern.notify } : {}),
      error: e.error,
      context: e.context,
    }),
  ]);
}

/** What escalateStep needs besides the run: the step, the decision, its error and why. */
export interface StepEscalation {
  step: StepPlan;
  decision: Decision;
  error: ErrorInfo;
  /** Why recovery escalated when the decision alone does not say (e.g. a spent retry budget). */
  why?: string;
  /** Events journaled in the same batch, before the escalation. */
  before?: NewEvent[];
}

/**
 * Parks the step for a person: an escalation event with what they need to act. The stage lets
 * its other steps finish, then the run waits.
 */
export async function escalateStep(ctx: RunContext, s: StepEscalation): Promise<StepOutcome> {
  const { step, decision, error, why } = s;
  await escalate(ctx, {
    stageId: step.stageId,
    stepId: step.id,
    pattern: decision.pattern,
    error,
    context: {
      workflow: ctx.run.plan.name,
      inputs: ctx.run.inputs,
      attempts: ctx.journaled.lastAttempt.get(step.id) ?? 0,
      errorType: decision.type,
      ...(why ? { why } : {}),
    },
    ...(s.before ? { before: s.before } : {}),
  });
  return { stepId: step.id, status: "waiting", reason: "escalated", continued: false, error };
}
