import { checkpointChecksum } from "../canonical.js";
import type { StepPlan } from "../definition/plan.js";
import {
  type ErrorInfo,
  isCancelled,
  isCircuitOpen,
  isInputError,
  isStageflowError,
  isTimeout,
  RetriesExhaustedError,
  toErrorInfo,
} from "../errors.js";
import { evaluateExpression, interpolate } from "../expressions/index.js";
import type { StepContext, StepHandler, StepOutputs } from "../handler.js";
import type { CheckpointStatus, NewCheckpoint } from "../journal.js";
import { type Policy, RetryPolicy, TimeoutPolicy } from "../policies/index.js";
import type { ReasonCode } from "../reasons.js";
import { watchBreaker } from "./breaker-events.js";
import { crashPoint, type RunContext, type StepOutcome } from "./context.js";

const OUTCOME: Record<CheckpointStatus, string> = {
  succeeded: "success",
  skipped: "skipped",
  failed: "failure",
};

/** The reason code an error stands for. */
export function reasonOf(error: unknown): ReasonCode {
  if (error instanceof RetriesExhaustedError)
    return error.attempts > 1 ? "retries_exhausted" : reasonOf(error.lastError);
  if (isTimeout(error)) return "timed_out";
  if (isCircuitOpen(error)) return "circuit_open";
  if (isCancelled(error)) return "cancelled";
  if (isStageflowError(error)) return error.reason;
  return "handler_error";
}

function rootError(error: unknown): unknown {
  return error instanceof RetriesExhaustedError ? error.lastError : error;
}

/** Runs one step to its end: restored from a checkpoint, skipped, succeeded, failed or cancelled. */
export async function runStep(ctx: RunContext, step: StepPlan, signal: AbortSignal): Promise<StepOutcome> {
  const restored = ctx.checkpoints.get(step.id);
  if (restored) {
    ctx.scope.steps[step.id] = { outputs: restored.outputs, outcome: OUTCOME[restored.status] };
    const failed = restored.status === "failed";
    return { stepId: step.id, status: restored.status, reason: restored.reason, continued: failed };
  }
  if (step.if !== undefined) {
    let run: boolean;
    try {
      run = Boolean(evaluateExpression(step.if, ctx.scope));
    } catch (error) {
      return finalFailure(ctx, step, error, null);
    }
    if (!run) return skipStep(ctx, step, "condition_false");
  }
  return new StepAttempts(ctx, step, signal).run();
}

export async function skipStep(ctx: RunContext, step: StepPlan, reason: ReasonCode): Promise<StepOutcome> {
  const now = ctx.services.clock.now();
  const cp = checkpoint(ctx, step, "skipped", reason, {}, 0, now);
  await ctx.recorder.putCheckpoint(cp, [
    ctx.recorder.event("step.skipped", { stageId: step.stageId, stepId: step.id, reason }),
  ]);
  ctx.scope.steps[step.id] = { outputs: {}, outcome: "skipped" };
  return { stepId: step.id, status: "skipped", reason, continued: false };
}

function checkpoint(
  ctx: RunContext,
  step: StepPlan,
  status: CheckpointStatus,
  reason: ReasonCode,
  outputs: StepOutputs,
  attempts: number,
  startedAt: number,
): NewCheckpoint {
  const base = { runId: ctx.runId, stepId: step.id, identity: step.identity, status, outputs };
  return {
    ...base,
    stageId: step.stageId,
    reason,
    attempts,
    startedAt,
    finishedAt: ctx.services.clock.now(),
    checksum: checkpointChecksum(base),
  };
}

/** A failure decided without an attempt in flight (bad expression, unknown kind, circuit open). */
async function finalFailure(
  ctx: RunContext,
  step: StepPlan,
  error: unknown,
  attempt: { no: number; startedAt: number } | null,
): Promise<StepOutcome> {
  const reason = reasonOf(error);
  const info = toErrorInfo(rootError(error));
  const now = ctx.services.clock.now();
  const continued = step.continueOnError;
  const event = ctx.recorder.event("step.failed", {
    stageId: step.stageId,
    stepId: step.id,
    attempt: attempt?.no ?? 0,
    reason,
    error: info,
    durationMs: attempt ? now - attempt.startedAt : 0,
    continued,
  });
  const cp = continued
    ? checkpoint(ctx, step, "failed", "continued_on_error", {}, attempt?.no ?? 0, attempt?.startedAt ?? now)
    : null;
  if (attempt) {
    const finish = { runId: ctx.runId, stepId: step.id, attempt: attempt.no, status: "failed" as const };
    await ctx.recorder.finishAttempt(
      { ...finish, reason, finishedAt: now, error: info, decision: "give up" },
      cp,
      [event],
    );
  } else if (cp) {
    await ctx.recorder.putCheckpoint(cp, [event]);
  } else {
    await ctx.recorder.emit([event]);
  }
  ctx.scope.steps[step.id] = { outputs: {}, outcome: "failure" };
  return { stepId: step.id, status: "failed", reason, continued, error: info };
}

/** The attempts of one step: retry around (breaker around) timeout around the handler. */
class StepAttempts {
  private current: { no: number; startedAt: number; write: Promise<void> } | null = null;
  private firstStartedAt: number | null = null;
  private readonly handler: StepHandler | undefined;

  constructor(
    private readonly ctx: RunContext,
    private readonly step: StepPlan,
    private readonly signal: AbortSignal,
  ) {
    this.handler = ctx.services.kinds.get(step.kind);
  }

  async run(): Promise<StepOutcome> {
    const { ctx, step } = this;
    if (!this.handler) {
      const known = [...ctx.services.kinds.keys()].sort().join(", ");
      const error = Object.assign(new Error(`unknown step kind '${step.kind}' (known: ${known})`), {
        code: "unknown_kind",
      });
      return finalFailure(ctx, step, error, null);
    }
    let resolved: { config: unknown; with: Record<string, unknown>; env: Record<string, string> };
    try {
      resolved = this.resolve(this.handler);
    } catch (error) {
      return finalFailure(ctx, step, error, null);
    }
    const policy = this.policy(this.handler, resolved);
    try {
      const outputs = await policy.execute(
        ({ signal }) => this.attempt(this.handler as StepHandler, resolved, signal),
        this.signal,
      );
      return await this.succeed(outputs);
    } catch (error) {
      if (this.signal.aborted) return this.cancelled();
      return finalFailure(ctx, step, error, this.current);
    }
  }

  private resolve(handler: StepHandler) {
    const scope = this.ctx.scope;
    const step = this.step;
    return {
      config: handler.rawConfig ? step.config : interpolate(step.config, scope),
      with: interpolate(step.with, scope) as Record<string, unknown>,
      env: Object.fromEntries(
        Object.entries(step.env).map(([k, v]) => [k, stringify(interpolate(v, scope))]),
      ) as Record<string, string>,
    };
  }

  private policy(handler: StepHandler, resolved: { config: unknown; with: Record<string, unknown> }): Policy {
    const { ctx, step } = this;
    const { clock, random, breakers } = ctx.services;
    const failed = ctx.failedAttempts.get(step.id) ?? 0;
    const retry = new RetryPolicy({
      spec: { ...step.retry, maxAttempts: Math.max(1, step.retry.maxAttempts - failed) },
      clock,
      random,
      shouldRetry: (error) => !isInputError(rootError(error)),
      onRetry: (info) => this.retrying(info.delayMs, info.error),
    });
    const timeout = new TimeoutPolicy({ ms: step.timeoutMs, clock });
    const dependency = step.dependency ?? handler.dependency?.(resolved.config, resolved.with);
    if (!dependency)
      return { execute: (fn, signal) => retry.execute((c) => timeout.execute(fn, c.signal), signal) };
    const breaker = breakers.get(dependency);
    return {
      execute: (fn, signal) =>
        retry.execute(
          (c) =>
            watchBreaker(ctx, breaker, dependency, () =>
              breaker.execute((b) => timeout.execute(fn, b.signal), c.signal),
            ),
          signal,
        ),
    };
  }

  private async attempt(
    handler: StepHandler,
    resolved: { config: unknown; with: Record<string, unknown>; env: Record<string, string> },
    signal: AbortSignal,
  ): Promise<StepOutputs> {
    const { ctx, step } = this;
    const { clock, logger } = ctx.services;
    const no = (ctx.lastAttempt.get(step.id) ?? 0) + 1;
    ctx.lastAttempt.set(step.id, no);
    await crashPoint(ctx.services, "before-step", {
      runId: ctx.runId,
      stageId: step.stageId,
      stepId: step.id,
    });
    const startedAt = clock.now();
    this.firstStartedAt ??= startedAt;
    const write = ctx.recorder.startAttempt(
      { runId: ctx.runId, stageId: step.stageId, stepId: step.id, attempt: no, startedAt },
      [ctx.recorder.event("step.started", { stageId: step.stageId, stepId: step.id, attempt: no })],
    );
    write.catch(() => {});
    this.current = { no, startedAt, write };
    const stepCtx: StepContext = {
      runId: ctx.runId,
      stageId: step.stageId,
      stepId: step.id,
      attempt: no,
      idempotencyKey: `${ctx.runId}/${step.id}`,
      signal,
      logger,
      clock,
      config: resolved.config,
      with: resolved.with,
      env: resolved.env,
      inputs: ctx.inputs,
      evaluate: (expression) => evaluateExpression(expression, ctx.scope),
      workDir: `${ctx.services.workDir}/${ctx.runId}`,
    };
    const outputs = (await handler.execute(stepCtx)) ?? {};
    await write;
    return outputs;
  }

  private async retrying(delayMs: number, error: unknown): Promise<void> {
    const { ctx, step } = this;
    const info = toErrorInfo(error);
    const event = ctx.recorder.event("step.retrying", {
      stageId: step.stageId,
      stepId: step.id,
      attempt: this.current?.no ?? 0,
      delayMs,
      error: info,
    });
    const attempt = this.current;
    this.current = null;
    if (!attempt) return ctx.recorder.emit([event]);
    await attempt.write.catch(() => {});
    ctx.failedAttempts.set(step.id, (ctx.failedAttempts.get(step.id) ?? 0) + 1);
    const finish = { runId: ctx.runId, stepId: step.id, attempt: attempt.no, status: "failed" as const };
    await ctx.recorder.finishAttempt(
      {
        ...finish,
        reason: reasonOf(error),
        finishedAt: ctx.services.clock.now(),
        error: info,
        decision: `retry in ${delayMs}ms`,
      },
      null,
      [event],
    );
  }

  private async succeed(outputs: StepOutputs): Promise<StepOutcome> {
    const { ctx, step } = this;
    const attempt = this.current as { no: number; startedAt: number };
    const info = { runId: ctx.runId, stageId: step.stageId, stepId: step.id };
    await crashPoint(ctx.services, "after-step-before-commit", info);
    const now = ctx.services.clock.now();
    const cp = checkpoint(
      ctx,
      step,
      "succeeded",
      "succeeded",
      outputs,
      attempt.no,
      this.firstStartedAt ?? now,
    );
    const event = ctx.recorder.event("step.succeeded", {
      stageId: step.stageId,
      stepId: step.id,
      attempt: attempt.no,
      durationMs: now - attempt.startedAt,
      outputs,
    });
    await ctx.recorder.finishAttempt(
      {
        runId: ctx.runId,
        stepId: step.id,
        attempt: attempt.no,
        status: "succeeded",
        reason: "succeeded",
        finishedAt: now,
        outputs,
      },
      cp,
      [event],
    );
    ctx.scope.steps[step.id] = { outputs, outcome: "success" };
    await crashPoint(ctx.services, "after-commit", info);
    return { stepId: step.id, status: "succeeded", reason: "succeeded", continued: false };
  }

  /** The stage or the run was aborted (fail-fast sibling, stage timeout, cancel, lost lease). */
  private async cancelled(): Promise<StepOutcome> {
    const { ctx, step } = this;
    const reason: ReasonCode = isStageflowError(this.signal.reason) ? this.signal.reason.reason : "cancelled";
    const outcome: StepOutcome = { stepId: step.id, status: "cancelled", reason, continued: false };
    if (reason === "lease_lost") return outcome;
    const attempt = this.current;
    const event = ctx.recorder.event("step.cancelled", {
      stageId: step.stageId,
      stepId: step.id,
      attempt: attempt?.no ?? 0,
      reason,
    });
    if (!attempt) {
      await ctx.recorder.emit([event]);
      return outcome;
    }
    await attempt.write.catch(() => {});
    const error: ErrorInfo = toErrorInfo(this.signal.reason);
    await ctx.recorder.finishAttempt(
      {
        runId: ctx.runId,
        stepId: step.id,
        attempt: attempt.no,
        status: "cancelled",
        reason,
        finishedAt: ctx.services.clock.now(),
        error,
      },
      null,
      [event],
    );
    return { ...outcome, error };
  }
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string"
    ? value
    : typeof value === "object"
      ? JSON.stringify(value)
      : String(value);
}
