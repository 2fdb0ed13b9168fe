import { checkpointChecksum } from "../canonical.js";
import type { StepPlan } from "../definition/plan.js";
import {
  type ErrorInfo,
  isCancelled,
  isCircuitOpen,
  isStageflowError,
  isTimeout,
  RetriesExhaustedError,
  toErrorInfo,
} from "../errors.js";
import type { EventPayloads, NewEvent } from "../events.js";
import type { StepOutputs } from "../handler.js";
import type { CheckpointStatus, NewCheckpoint } from "../journal.js";
import type { ReasonCode } from "../reasons.js";
import type { RunContext, StepOutcome } from "./context.js";

// How a step ends in the journal (its checkpoint, a skip, a final failure) and the reason code of
// an error: shared by the step runner and the attempt loop, which import it from here (and not
// from each other).

/** The reason code an error stands for. */
export function reasonOf(error: unknown): ReasonCode {
  if (error instanceof RetriesExhaustedError) {
    return error.attempts > 1 ? "retries_exhausted" : reasonOf(error.lastError);
  }
  if (isTimeout(error)) return "timed_out";
  if (isCircuitOpen(error)) return "circuit_open";
  if (isCancelled(error)) return "cancelled";
  if (isStageflowError(error)) return error.reason;
  return "handler_error";
}

/** Skips the step: a `skipped` checkpoint with the reason, and a `step.skipped` event. */
export async function skipStep(
  ctx: RunContext,
  step: StepPlan,
  reason: ReasonCode,
  extra: NewEvent[] = [],
): Promise<StepOutcome> {
  const now = ctx.services.clock.now();
  const cp = checkpoint(ctx, step, { status: "skipped", reason, outputs: {}, attempts: 0, startedAt: now });
  await ctx.output.recorder.putCheckpoint(cp, [
    ...extra,
    ctx.output.recorder.event("step.skipped", { stageId: step.stageId, stepId: step.id, reason }),
  ]);
  ctx.scope.steps[step.id] = { outputs: {}, outcome: "skipped" };
  if (reason === "degraded") ctx.recovery.degraded.push(step.id);
  return { stepId: step.id, status: "skipped", reason, continued: false };
}

/** How a step ended, as its checkpoint records it. */
export interface StepEnding {
  status: CheckpointStatus;
  reason: ReasonCode;
  outputs: StepOutputs;
  /** Attempts made (0 for a step that never ran). */
  attempts: number;
  /** The first attempt's start (or the skip time). */
  startedAt: number;
  /** @default now */
  finishedAt?: number;
}

/** The checkpoint of a step that ended, with its checksum. */
export function checkpoint(
  ctx: RunContext,
  step: StepPlan,
  { status, reason, outputs, attempts, startedAt, finishedAt = ctx.services.clock.now() }: StepEnding,
): NewCheckpoint {
  // Properties written out (no spread): this runs once per step on the hot path.
  const runId = ctx.run.id;
  const { id: stepId, identity } = step;
  return {
    runId,
    stepId,
    identity,
    status,
    outputs,
    stageId: step.stageId,
    reason,
    attempts,
    startedAt,
    finishedAt,
    checksum: checkpointChecksum({ runId, stepId, identity, status, outputs }),
  };
}

/** The step failed for good: record the last attempt (if any), the events, and the checkpoint of a continued failure. */
/** A step's final failure: what failed, its last attempt (none when it never ran), what to record with it. */
export interface FinalFailure {
  error: unknown;
  attempt?: { no: number; startedAt: number; decision?: string } | null;
  /** Events recorded in the same write, before `step.failed`. */
  extra?: NewEvent[];
  /** @default the error's reason (reasonOf) */
  reason?: ReasonCode;
}

export async function finalFailure(
  ctx: RunContext,
  step: StepPlan,
  { error, attempt = null, extra = [], reason: reasonOverride }: FinalFailure,
): Promise<StepOutcome> {
  const reason = reasonOverride ?? reasonOf(error);
  const info: ErrorInfo = toErrorInfo(error instanceof RetriesExhaustedError ? error.lastError : error);
  const now = ctx.services.clock.now();
  const continued = step.continueOnError;
  const payload: EventPayloads["step.failed"] = {
    stageId: step.stageId,
    stepId: step.id,
    attempt: attempt?.no ?? 0,
    reason,
    error: info,
    durationMs: attempt ? now - attempt.startedAt : 0,
    continued,
  };
  const events = [...extra, ctx.output.recorder.event("step.failed", payload)];
  const cp = continued
    ? checkpoint(ctx, step, {
        status: "failed",
        reason: "continued_on_error",
        outputs: {},
        attempts: attempt?.no ?? 0,
        startedAt: attempt?.startedAt ?? now,
      })
    : null;
  if (attempt) {
    const finish = { runId: ctx.run.id, stepId: step.id, attempt: attempt.no, status: "failed" as const };
    const decision = attempt.decision ?? "give up";
    await ctx.output.recorder.finishAttempt(
      { ...finish, reason, finishedAt: now, error: info, decision },
      cp,
      events,
    );
  } else if (cp) {
    await ctx.output.recorder.putCheckpoint(cp, events);
  } else {
    await ctx.output.recorder.emit(events);
  }
  ctx.scope.steps[step.id] = { outputs: {}, outcome: "failure" };
  return { stepId: step.id, status: "failed", reason, continued, error: info };
}
