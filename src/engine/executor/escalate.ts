import type { StepPlan } from "../definition/plan.js";
import type { ErrorInfo } from "../errors.js";
import type { NewEvent } from "../events.js";
import type { RunContext, StepOutcome } from "./context.js";
import type { Decision } from "./decide.js";

/**
 * Parks the step for a person: an escalation event with what they need to act. The stage lets
 * its other steps finish, then the run waits (status `waiting`) until `stageflow resume`.
 */
export async function escalateStep(
  ctx: RunContext,
  step: StepPlan,
  decision: Decision,
  error: ErrorInfo,
  why?: string,
  before: NewEvent[] = [],
): Promise<StepOutcome> {
  const pattern = decision.pattern;
  await ctx.recorder.emit([
    ...before,
    ctx.recorder.event("run.escalated", {
      stageId: step.stageId,
      stepId: step.id,
      patternId: pattern?.id ?? null,
      severity: pattern?.severity ?? "error",
      ...(pattern?.notify ? { notify: pattern.notify } : {}),
      error,
      context: {
        workflow: ctx.plan.name,
        inputs: ctx.inputs,
        attempts: ctx.lastAttempt.get(step.id) ?? 0,
        errorType: decision.type,
        ...(why ? { why } : {}),
        resume: `stageflow resume ${ctx.runId}`,
      },
    }),
  ]);
  return { stepId: step.id, status: "waiting", reason: "escalated", continued: false, error };
}
