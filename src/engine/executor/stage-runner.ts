import { formatDuration } from "../definition/durations.js";
import type { StagePlan } from "../definition/plan.js";
import { reasonOfAbort, toErrorInfo } from "../errors.js";
import type { ReasonCode } from "../reasons.js";
import type { RunContext, StepOutcome } from "./context.js";
import { escalate } from "./escalate.js";
import { runRound } from "./stage-round.js";
import { skipStep } from "./step-endings.js";

export interface StageOutcome {
  /** `parked`: its unfinished steps only wait (a timer or a signal); `interrupted`: the engine drains. */
  status: "succeeded" | "failed" | "cancelled" | "waiting" | "parked" | "interrupted";
  reason: ReasonCode;
  steps: StepOutcome[];
}

const finished = (o: StepOutcome | undefined) =>
  o !== undefined &&
  (o.status === "succeeded" || o.status === "skipped" || (o.status === "failed" && o.continued));

/**
 * Runs one stage. When the stage timeout cuts a round short, the stage's `on_timeout` actions
 * apply in order, one per timeout: `retry` runs the unfinished steps again, `degrade` skips them
 * when they are optional, `escalate` parks the run for a person, `fail` (and the end of the list)
 * fails the stage.
 */
export async function runStage(ctx: RunContext, stage: StagePlan): Promise<StageOutcome> {
  const outcomes = new Map<string, StepOutcome>();
  for (let round = 0; ; round++) {
    const todo = stage.steps.filter((s) => !finished(outcomes.get(s.id)));
    const result = await runRound(ctx, stage, todo, round === 0);
    for (const o of result.steps) outcomes.set(o.stepId, o);
    const all = stage.steps.map((s) => outcomes.get(s.id)).filter((o): o is StepOutcome => o !== undefined);
    if (!result.timedOut || all.some((o) => o.status === "failed" && !o.continued))
      return decide(ctx, all, false);
    const unfinished = stage.steps.filter((s) => !finished(outcomes.get(s.id)));
    const action = stage.onTimeout[round] ?? "fail";
    const r = ctx.output.recorder;
    await r.emit([
      r.event(
        "stage.timed_out",
        {
          stageId: stage.id,
          timeoutMs: stage.timeoutMs ?? 0,
          unfinished: unfinished.map((s) => s.id),
          action,
        },
        `${stage.id}/${round}/${ctx.services.clock.now()}`,
      ),
    ]);
    if (action === "retry") continue;
    if (action === "degrade" && unfinished.every((s) => s.optional)) {
      for (const s of unfinished) outcomes.set(s.id, await skipStep(ctx, s, "degraded"));
      return decide(
        ctx,
        stage.steps.map((s) => outcomes.get(s.id) as StepOutcome),
        false,
      );
    }
    if (action === "escalate") {
      const error = toErrorInfo(
        new Error(`stage '${stage.id}' timed out after ${formatDuration(stage.timeoutMs ?? 0)}`),
      );
      await escalate(ctx, {
        stageId: stage.id,
        stepId: null,
        error,
        context: { workflow: ctx.run.plan.name, unfinished: unfinished.map((s) => s.id) },
      });
      return { status: "waiting", reason: "escalated", steps: all };
    }
    return decide(ctx, all, true);
  }
}

function decide(ctx: RunContext, steps: StepOutcome[], timedOut: boolean): StageOutcome {
  const failed = steps.find((s) => s.status === "failed" && !s.continued);
  if (timedOut) return { status: "failed", reason: "stage_timed_out", steps };
  if (failed) return { status: "failed", reason: failed.reason, steps };
  if (ctx.cancel.aborted) {
    const r = ctx.cancel.reason;
    return { status: "cancelled", reason: reasonOfAbort(r), steps };
  }
  if (steps.some((s) => s.status === "waiting")) return { status: "waiting", reason: "escalated", steps };
  if (steps.some((s) => s.reason === "parked")) return { status: "parked", reason: "parked", steps };
  if (steps.some((s) => s.status === "cancelled" && s.reason === "interrupted")) {
    return { status: "interrupted", reason: "interrupted", steps };
  }
  if (steps.some((s) => s.status === "cancelled")) return { status: "cancelled", reason: "cancelled", steps };
  return { status: "succeeded", reason: "succeeded", steps };
}
