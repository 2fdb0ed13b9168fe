import PQueue from "p-queue";
import type { StagePlan, StepPlan } from "../definition/plan.js";
import { isStageflowError, StageflowError } from "../errors.js";
import type { ReasonCode } from "../reasons.js";
import type { RunContext, StepOutcome } from "./context.js";
import { runStep } from "./step-runner.js";

export interface StageOutcome {
  status: "succeeded" | "failed" | "cancelled";
  reason: ReasonCode;
  steps: StepOutcome[];
}

/**
 * Runs one stage: its steps in sequence, or in parallel up to `concurrency` (higher `priority`
 * first), with fail-fast (siblings aborted) or collect-all, a warning at `warn_after` and an abort
 * at `timeout`.
 */
export async function runStage(ctx: RunContext, stage: StagePlan): Promise<StageOutcome> {
  const { clock } = ctx.services;
  const controller = new AbortController();
  const onRunAbort = () => controller.abort(ctx.signal.reason);
  if (ctx.signal.aborted) onRunAbort();
  else ctx.signal.addEventListener("abort", onRunAbort, { once: true });
  const timers = new AbortController();
  const startedAt = clock.now();
  const finished = new Set<string>();
  if (stage.warnAfterMs !== undefined) {
    clock.sleep(stage.warnAfterMs, timers.signal).then(
      () =>
        ctx.recorder.emit([
          ctx.recorder.event("stage.warning", {
            stageId: stage.id,
            elapsedMs: clock.now() - startedAt,
            warnAfterMs: stage.warnAfterMs as number,
          }),
        ]),
      () => {},
    );
  }
  let timedOut = false;
  if (stage.timeoutMs !== undefined) {
    const timeoutMs = stage.timeoutMs;
    clock.sleep(timeoutMs, timers.signal).then(
      () => {
        timedOut = true;
        const unfinished = stage.steps.filter((s) => !finished.has(s.id)).map((s) => s.id);
        controller.abort(
          new StageflowError("stage_timed_out", `stage '${stage.id}' timed out after ${timeoutMs}ms`),
        );
        ctx.recorder
          .emit([ctx.recorder.event("stage.timed_out", { stageId: stage.id, timeoutMs, unfinished })])
          .catch(() => {});
      },
      () => {},
    );
  }
  const one = async (step: StepPlan): Promise<StepOutcome> => {
    if (controller.signal.aborted) return notStarted(step, controller.signal.reason);
    const outcome = await runStep(ctx, step, controller.signal);
    finished.add(step.id);
    if (
      outcome.status === "failed" &&
      !outcome.continued &&
      (stage.failFast || stage.mode === "sequential")
    ) {
      controller.abort(new StageflowError("sibling_failed", `step '${step.id}' failed`));
    }
    return outcome;
  };
  let steps: StepOutcome[];
  try {
    if (stage.mode === "sequential") {
      steps = [];
      for (const step of stage.steps) steps.push(await one(step));
    } else {
      const queue = new PQueue({ concurrency: Math.max(1, stage.concurrency) });
      steps = await Promise.all(
        stage.steps.map((step) => queue.add(() => one(step), { priority: step.priority })),
      );
    }
  } finally {
    timers.abort();
    ctx.signal.removeEventListener("abort", onRunAbort);
  }
  return decide(ctx, steps, timedOut);
}

function notStarted(step: StepPlan, reason: unknown): StepOutcome {
  const code: ReasonCode = isStageflowError(reason) ? reason.reason : "cancelled";
  return { stepId: step.id, status: "cancelled", reason: code, continued: false };
}

function decide(ctx: RunContext, steps: StepOutcome[], timedOut: boolean): StageOutcome {
  const failed = steps.find((s) => s.status === "failed" && !s.continued);
  if (timedOut) return { status: "failed", reason: "stage_timed_out", steps };
  if (failed) return { status: "failed", reason: failed.reason, steps };
  if (ctx.signal.aborted) {
    const r = ctx.signal.reason;
    return { status: "cancelled", reason: isStageflowError(r) ? r.reason : "cancelled", steps };
  }
  if (steps.some((s) => s.status === "cancelled")) return { status: "cancelled", reason: "cancelled", steps };
  return { status: "succeeded", reason: "succeeded", steps };
}
