import type { StagePlan } from "../definition/plan.js";
import type { RunResult } from "../engine-api.js";
import { abortReason, type ErrorInfo, toErrorInfo } from "../errors.js";
import { evaluateExpression } from "../expressions/index.js";
import type { RunStatus } from "../journal.js";
import type { ReasonCode } from "../reasons.js";
import { crashPoint, type RunContext } from "./context.js";
import { runStage } from "./stage-runner.js";
import { skipStep } from "./step-endings.js";
import { restoreStep } from "./step-runner.js";

/**
 * Executes a run's stages in order from its checkpoints to a final status. Resolves with the
 * result; rejects only when the journal itself fails.
 */
export async function executeRun(ctx: RunContext, sessionId: string): Promise<RunResult> {
  const { services } = ctx;
  const { recorder } = ctx.output;
  for (const stage of ctx.run.plan.stages) {
    if (ctx.cancel.aborted) return stop(ctx);
    if (services.draining) return drained(ctx);
    if (stage.steps.every((s) => ctx.journaled.checkpoints.has(s.id))) {
      for (const step of stage.steps) restoreStep(ctx, step);
      continue;
    }
    const skip = skipReason(ctx, stage);
    if (skip instanceof Error) return finish(ctx, "failed", "invalid_input", toErrorInfo(skip));
    if (skip) {
      for (const step of stage.steps)
        if (!ctx.journaled.checkpoints.has(step.id)) await skipStep(ctx, step, skip);
      await recorder.emit([recorder.event("stage.skipped", { stageId: stage.id, reason: skip })]);
      continue;
    }
    const startedAt = services.clock.now();
    recorder.note([recorder.event("stage.started", { stageId: stage.id }, `${sessionId}/${stage.id}`)]);
    const outcome = await runStage(ctx, stage);
    if (ctx.cancel.aborted && outcome.status !== "failed") return stop(ctx);
    const durationMs = services.clock.now() - startedAt;
    if (outcome.status === "parked") return park(ctx, `${sessionId}/${stage.id}`);
    if (outcome.status === "interrupted") return drained(ctx);
    if (outcome.status === "waiting") {
      await recorder.updateRun(
        { status: "waiting", reason: "escalated", releaseLeaseOf: services.leaseOwner },
        [],
      );
      return { runId: ctx.run.id, status: "waiting", reason: "escalated" };
    }
    if (outcome.status !== "succeeded") {
      const failedSteps = outcome.steps
        .filter((s) => s.status === "failed" && !s.continued)
        .map((s) => s.stepId);
      await recorder.emit([
        recorder.event(
          "stage.failed",
          { stageId: stage.id, reason: outcome.reason, failedSteps, durationMs },
          `${sessionId}/${stage.id}`,
        ),
      ]);
      const first = outcome.steps.find((s) => s.status === "failed" && !s.continued);
      return finish(ctx, "failed", outcome.reason, first?.error, failedSteps);
    }
    const noted = recorder.note([
      recorder.event("stage.succeeded", { stageId: stage.id, durationMs }, `${sessionId}/${stage.id}`),
    ]);
    if (services.hooks["after-stage"]) {
      await noted; // the crash point means "the stage's end is durable"
      await crashPoint(services, "after-stage", { runId: ctx.run.id, stageId: stage.id });
    }
  }
  if (ctx.recovery.degraded.length > 0) return finish(ctx, "degraded", "degraded");
  return finish(ctx, "succeeded", "succeeded");
}

function skipReason(ctx: RunContext, stage: StagePlan): ReasonCode | null | Error {
  if (stage.if === undefined) return null;
  try {
    return evaluateExpression(stage.if, ctx.scope) ? null : "condition_false";
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** The run was aborted: cancelled (recorded) or its lease was lost (another owner records). */
async function stop(ctx: RunContext): Promise<RunResult> {
  const reason = abortReason(ctx.cancel);
  if (reason === "lease_lost") return { runId: ctx.run.id, status: "running", reason: "lease_lost" };
  if (reason === "interrupted") {
    // A graceful shutdown: the run stays `running`; its lease is released so any process may resume it.
    const owner = String((ctx.cancel.reason as { owner?: string }).owner ?? "");
    await ctx.output.recorder.emit([
      ctx.output.recorder.event("run.interrupted", { owner }, `${owner}/${ctx.services.clock.now()}`),
    ]);
    return { runId: ctx.run.id, status: "running", reason: "interrupted" };
  }
  return finish(ctx, "cancelled", "cancelled");
}

/**
 * The run only waits (a timer or a signal): recorded `waiting` (reason `parked`) with its wake
 * condition and its lease released, in one write. The engine's scheduler wakes it.
 */
async function park(ctx: RunContext, dedupeKey: string): Promise<RunResult> {
  const { services } = ctx;
  const { recorder } = ctx.output;
  const wake = ctx.waits.parked ?? { at: null, signals: [] };
  await recorder.updateRun(
    { status: "waiting", reason: "parked", releaseLeaseOf: services.leaseOwner, wake },
    [recorder.event("run.parked", { wakeAt: wake.at, signals: wake.signals }, dedupeKey)],
  );
  return { runId: ctx.run.id, status: "waiting", reason: "parked" };
}

/** The engine drains: the run stays `running` with nothing in flight; any process resumes it. */
async function drained(ctx: RunContext): Promise<RunResult> {
  const owner = ctx.services.leaseOwner;
  const { recorder } = ctx.output;
  await recorder.emit([
    recorder.event("run.interrupted", { owner }, `${owner}/${ctx.services.clock.now()}/drain`),
  ]);
  return { runId: ctx.run.id, status: "running", reason: "interrupted" };
}

async function finish(
  ctx: RunContext,
  status: RunStatus,
  reason: ReasonCode,
  error?: ErrorInfo,
  failedSteps: string[] = [],
): Promise<RunResult> {
  const { services } = ctx;
  const { recorder } = ctx.output;
  if (ctx.cancel.aborted && status === "failed") {
    const r = abortReason(ctx.cancel);
    if (r === "lease_lost" || r === "interrupted" || r === "cancelled") return stop(ctx);
  }
  const now = services.clock.now();
  const durationMs = now - ctx.run.startedAt;
  const event =
    status === "succeeded"
      ? recorder.event("run.succeeded", { durationMs })
      : status === "degraded"
        ? recorder.event("run.degraded", { skipped: [...ctx.recovery.degraded], durationMs })
        : status === "cancelled"
          ? recorder.event("run.cancelled", { durationMs })
          : recorder.event("run.failed", { reason, failedSteps, durationMs, ...(error ? { error } : {}) });
  const patch = {
    status,
    reason,
    error: error ?? null,
    finishedAt: now,
    releaseLeaseOf: services.leaseOwner,
  };
  await recorder.updateRun(patch, [event]);
  const result: RunResult = { runId: ctx.run.id, status, reason };
  if (error) result.error = error;
  return result;
}
