import type { Cancel } from "../cancel.js";
import type { StepPlan } from "../definition/plan.js";
import { evaluateExpression } from "../expressions/index.js";
import type { CheckpointStatus } from "../journal.js";
import { StepAttempts } from "./attempts.js";
import type { RunContext, StepOutcome } from "./context.js";
import { finalFailure, skipStep } from "./step-endings.js";

const OUTCOME: Record<CheckpointStatus, string> = {
  succeeded: "success",
  skipped: "skipped",
  failed: "failure",
};

/** A step finished before a resume: its recorded outputs go back into the scope; nothing runs. */
export function restoreStep(ctx: RunContext, step: StepPlan): StepOutcome | undefined {
  const restored = ctx.journaled.checkpoints.get(step.id);
  if (!restored) return undefined;
  ctx.scope.steps[step.id] = { outputs: restored.outputs, outcome: OUTCOME[restored.status] };
  // Skipped by degradation or by the user (resume with `skip`): the run ends `degraded`.
  if (restored.reason === "degraded" || restored.reason === "skipped_by_user")
    ctx.recovery.degraded.push(step.id);
  const failed = restored.status === "failed";
  return { stepId: step.id, status: restored.status, reason: restored.reason, continued: failed };
}

/** Runs one step to its end: restored from a checkpoint, skipped, succeeded, failed or cancelled. */
export async function runStep(ctx: RunContext, step: StepPlan, cancel: Cancel): Promise<StepOutcome> {
  const restored = restoreStep(ctx, step);
  if (restored) return restored;
  if (ctx.recovery.degradedSkips.has(step.id)) return skipStep(ctx, step, "degraded");
  if (step.if !== undefined) {
    let run: boolean;
    try {
      run = Boolean(evaluateExpression(step.if, ctx.scope));
    } catch (error) {
      return finalFailure(ctx, step, { error });
    }
    if (!run) return skipStep(ctx, step, "condition_false");
  }
  return new StepAttempts(ctx, step, cancel).run();
}
