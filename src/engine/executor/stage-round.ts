import PQueue from "p-queue";
import { formatDuration } from "../definition/durations.js";
import type { StagePlan, StepPlan } from "../definition/plan.js";
import { Cancel } from "../cancel.js";
import { reasonOfAbort, StageflowError } from "../errors.js";
import { parkedReason } from "../parking/run-waits.js";
import { startTimer } from "../ports.js";
import type { RunContext, StepOutcome } from "./context.js";
import { runStep } from "./step-runner.js";

/**
 * One round of a stage: `steps` in sequence, or in parallel up to `concurrency` (higher
 * `priority` first), with fail-fast (siblings aborted) or collect-all, a warning at `warn_after`
 * and an abort at `timeout`. Says whether the stage timeout cut it short.
 */
export async function runRound(
  ctx: RunContext,
  stage: StagePlan,
  steps: StepPlan[],
  warn: boolean,
): Promise<{ steps: StepOutcome[]; timedOut: boolean }> {
  const { clock } = ctx.services;
  // Aborts the round's steps: the run aborted, a sibling failed (fail-fast), the stage timed out.
  const cancel = Cancel.following(ctx.cancel);
  // Only a stage with a warning or a timeout arms timers; they are cancelled when the round ends.
  const timers: (() => void)[] = [];
  const startedAt = clock.now();
  if (warn && stage.warnAfterMs !== undefined) {
    const warnAfterMs = stage.warnAfterMs;
    timers.push(
      startTimer(clock, warnAfterMs, () => {
        void ctx.output.recorder.emit([
          ctx.output.recorder.event("stage.warning", {
            stageId: stage.id,
            elapsedMs: clock.now() - startedAt,
            warnAfterMs,
          }),
        ]);
      }),
    );
  }
  let timedOut = false;
  if (stage.timeoutMs !== undefined) {
    const timeoutMs = stage.timeoutMs;
    timers.push(
      startTimer(clock, timeoutMs, () => {
        timedOut = true;
        cancel.abort(
          new StageflowError(
            "stage_timed_out",
            `stage '${stage.id}' timed out after ${formatDuration(timeoutMs)}`,
          ),
        );
      }),
    );
  }
  // When every step in flight only waits, the run parks: the round ends, steps not started stay so.
  const endRound = ctx.waits.round(() => cancel.abort(parkedReason()));
  const one = async (step: StepPlan): Promise<StepOutcome> => {
    if (cancel.aborted) return notStarted(step, cancel.reason);
    // A draining engine starts nothing new: the step runs when the run is resumed.
    if (ctx.services.draining) return notStarted(step, DRAINING);
    ctx.waits.enter();
    let outcome: StepOutcome;
    try {
      outcome = await runStep(ctx, step, cancel);
    } finally {
      ctx.waits.leave();
    }
    if (
      outcome.status === "failed" &&
      !outcome.continued &&
      (stage.failFast || stage.mode === "sequential")
    ) {
      cancel.abort(new StageflowError("sibling_failed", `step '${step.id}' failed`));
    }
    if (outcome.status === "waiting" && stage.mode === "sequential") {
      cancel.abort(new StageflowError("escalated", `step '${step.id}' waits for a person`));
    }
    return outcome;
  };
  try {
    if (stage.mode === "sequential") {
      const out: StepOutcome[] = [];
      for (const step of steps) out.push(await one(step));
      return { steps: out, timedOut };
    }
    // Higher priority first, ties in file order: the queue starts the first `concurrency` steps
    // as they are added, so they must be added in priority order too.
    const ordered = byPriority(steps);
    if (stage.concurrency >= steps.length) {
      // Every step can start at once: no queue needed (they still start in priority order).
      return { steps: await Promise.all(ordered.map(one)), timedOut };
    }
    const queue = new PQueue({ concurrency: Math.max(1, stage.concurrency) });
    const out = await Promise.all(ordered.map((step) => queue.add(() => one(step))));
    return { steps: out, timedOut };
  } finally {
    endRound();
    for (const stop of timers) stop();
    cancel.dispose();
  }
}

/** The steps by descending priority; equal priorities keep their order (Array.sort is stable). */
function byPriority(steps: StepPlan[]): StepPlan[] {
  if (steps.every((s) => s.priority === steps[0]?.priority)) return steps;
  return [...steps].sort((a, b) => b.priority - a.priority);
}

const DRAINING = new StageflowError("interrupted", "the engine is shutting down (drain)");

function notStarted(step: StepPlan, reason: unknown): StepOutcome {
  const code = reasonOfAbort(reason);
  return { stepId: step.id, status: "cancelled", reason: code, continued: false };
}
