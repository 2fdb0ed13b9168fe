import type { Cancel } from "../cancel.js";
import type { StepPlan } from "../definition/plan.js";
import { abortReason, type ErrorInfo, isInputError, toErrorInfo } from "../errors.js";
import type { NewEvent } from "../events.js";
import type { StepOutputs } from "../handler.js";
import { type PolicyContext, TimeoutPolicy } from "../policies/index.js";
import type { ReasonCode } from "../reasons.js";
import type { RetryBudget } from "../recovery/index.js";
import { crashPoint, type RunContext, type StepOutcome } from "./context.js";
import { type Decision, describeDecision } from "./decide.js";
import { Episode } from "./episode.js";
import { escalateStep } from "./escalate.js";
import { attemptStepContext } from "./step-context.js";
import { checkpoint, finalFailure, reasonOf, skipStep } from "./step-endings.js";
import { alternativeVariant, primaryVariant, type Variant } from "./variants.js";

interface Attempt {
  no: number;
  startedAt: number;
  write: Promise<void>;
  decision?: string;
}

/**
 * The attempts of one step. Each attempt runs under the dependency's circuit breaker and the
 * step's timeout; after a failure, recovery decides (retry, alternative, degrade, escalate, give
 * up) and every decision is journaled with the attempt it follows.
 */
export class StepAttempts {
  private current: Attempt | null = null;
  private firstStartedAt: number | null = null;
  private episodeOf: Episode | null = null;

  constructor(
    private readonly ctx: RunContext,
    private readonly step: StepPlan,
    /** The stage round's: aborted by fail-fast, the stage timeout, or the run. */
    private readonly cancel: Cancel,
  ) {}

  /** Made on first use: a step that succeeds at once never needs one. */
  private get episode(): Episode {
    this.episodeOf ??= new Episode(this.ctx, this.step);
    return this.episodeOf;
  }

  /** Whether a recovery episode is in progress (without making one). */
  private get recovering(): boolean {
    return this.episodeOf?.active ?? false;
  }

  async run(): Promise<StepOutcome> {
    const { ctx, step } = this;
    let variant: Variant;
    try {
      variant = primaryVariant(ctx, step);
    } catch (error) {
      return finalFailure(ctx, step, { error });
    }
    for (;;) {
      const budget = variant.dependency ? ctx.services.budgets.get(variant.dependency) : undefined;
      budget?.recordCall();
      let outputs: StepOutputs;
      try {
        outputs = await this.call(variant);
      } catch (error) {
        if (this.cancel.aborted) return this.cancelled();
        const next = await this.recover(error, variant, budget);
        if ("outcome" in next) return next.outcome;
        variant = next.variant;
        continue;
      }
      return this.succeed(outputs);
    }
  }

  /** One attempt under the breaker (if the step has a dependency) and the timeout. */
  private call(variant: Variant): Promise<StepOutputs> {
    const { ctx } = this;
    const timeout = new TimeoutPolicy({ ms: variant.timeoutMs, clock: ctx.services.clock });
    const dependency = variant.dependency;
    if (!dependency) return timeout.within((c) => this.attempt(variant, c), this.cancel);
    // The breaker's transitions during this call are journaled as this run's events.
    ctx.services.breakerCallers.set(dependency, ctx);
    return ctx.services.breakers
      .get(dependency)
      .execute((b) => timeout.execute((c) => this.attempt(variant, c), b.signal), this.cancel.signal);
  }

  private async attempt(variant: Variant, policy: PolicyContext): Promise<StepOutputs> {
    const { ctx, step } = this;
    const { clock } = ctx.services;
    const no = (ctx.journaled.lastAttempt.get(step.id) ?? 0) + 1;
    ctx.journaled.lastAttempt.set(step.id, no);
    if (ctx.services.hooks["before-step"]) {
      await crashPoint(ctx.services, "before-step", {
        runId: ctx.run.id,
        stageId: step.stageId,
        stepId: step.id,
      });
    }
    const startedAt = clock.now();
    this.firstStartedAt ??= startedAt;
    const write = ctx.output.recorder.startAttempt(
      { runId: ctx.run.id, stageId: step.stageId, stepId: step.id, attempt: no, startedAt },
      [
        ctx.output.recorder.event(
          "step.started",
          { stageId: step.stageId, stepId: step.id, attempt: no },
          `${step.id}/${no}`,
          startedAt,
        ),
      ],
    );
    write.catch(() => {});
    this.current = { no, startedAt, write };
    const stepCtx = attemptStepContext({ run: ctx, step, attempt: no, variant, signal: policy.signal });
    // The start record is not awaited: the journal applies writes in order, so the finish record
    // (and the checkpoint) always commits with or after it, and a fast step needs one commit.
    try {
      const handler = ctx.runServices.handler(variant.kind, variant.handler);
      return (await handler.execute(stepCtx)) ?? {};
    } finally {
      ctx.output.logs.end(step.id, no);
    }
  }

  /** Decides what follows a failed attempt and journals it; returns the next variant or the outcome. */
  private async recover(
    error: unknown,
    variant: Variant,
    budget: RetryBudget | undefined,
  ): Promise<{ variant: Variant } | { outcome: StepOutcome }> {
    const { ctx, step, episode } = this;
    const { clock } = ctx.services;
    const info = toErrorInfo(error);
    const attempt = this.current;
    if (isInputError(error)) return { outcome: await this.giveUp(error, null, attempt) };
    const decision = episode.decide(info);
    const decided = episode.decided(
      decision,
      info,
      attempt?.no ?? 0,
      attempt ? Math.max(0, clock.now() - attempt.startedAt) : 0,
    );
    switch (decision.kind) {
      case "retry": {
        const retrying = ctx.output.recorder.event("step.retrying", {
          stageId: step.stageId,
          stepId: step.id,
          attempt: attempt?.no ?? 0,
          delayMs: decision.delayMs,
          error: info,
        });
        await this.closeAttempt(attempt, info, error, decision, [decided, retrying]);
        if (
          budget &&
          !(await episode.awaitBudget(budget, variant.dependency ?? "", decision, this.cancel.signal))
        ) {
          const end = episode.end("failed", "escalated", { escalated: true });
          return {
            outcome: await escalateStep(ctx, {
              step,
              decision,
              error: info,
              why: "retry budget exhausted",
              before: [end],
            }),
          };
        }
        await clock.sleep(decision.delayMs, this.cancel.signal).catch(() => {});
        if (this.cancel.aborted) return { outcome: await this.cancelled() };
        return { variant };
      }
      case "alternative": {
        await this.closeAttempt(attempt, info, error, decision, [decided]);
        try {
          return { variant: alternativeVariant(ctx, step, decision.alternative) };
        } catch (e) {
          return { outcome: await finalFailure(ctx, step, { error: e }) };
        }
      }
      case "degrade":
        await this.closeAttempt(attempt, info, error, decision, [decided]);
        return { outcome: await this.degrade(decision, variant) };
      case "escalate":
        // The episode ends here (recovery.failed, reason escalated); a resume starts a new one.
        await this.closeAttempt(attempt, info, error, decision, [decided]);
        return {
          outcome: await escalateStep(ctx, {
            step,
            decision,
            error: info,
            before: [episode.end("failed", "escalated", { escalated: true })],
          }),
        };
      default:
        return { outcome: await this.giveUp(error, decided, attempt) };
    }
  }

  /** Journals the end of a failed attempt with the decision taken. */
  private async closeAttempt(
    attempt: Attempt | null,
    info: ErrorInfo,
    error: unknown,
    decision: Decision,
    events: NewEvent[],
  ): Promise<void> {
    const { ctx, step } = this;
    this.current = null;
    if (decision.kind === "retry" || decision.kind === "alternative") {
      ctx.journaled.failedAttempts.set(step.id, (ctx.journaled.failedAttempts.get(step.id) ?? 0) + 1);
    }
    if (!attempt) return ctx.output.recorder.emit(events);
    await attempt.write.catch(() => {});
    await ctx.output.recorder.finishAttempt(
      {
        runId: ctx.run.id,
        stepId: step.id,
        attempt: attempt.no,
        status: "failed",
        reason: reasonOf(error),
        finishedAt: ctx.services.clock.now(),
        error: info,
        decision: describeDecision(decision),
      },
      null,
      events,
    );
  }

  private async degrade(decision: Decision, variant: Variant): Promise<StepOutcome> {
    const { ctx, step } = this;
    for (const id of decision.pattern?.skip ?? []) ctx.recovery.degradedSkips.add(id);
    const name = decision.pattern?.variant;
    if (name && variant.label !== `variant ${name}`) {
      const alt = alternativeVariant(ctx, step, { step: name }, `variant ${name}`);
      ctx.recovery.degraded.push(step.id);
      try {
        return await this.succeed(await this.call(alt));
      } catch (error) {
        if (this.cancel.aborted) return this.cancelled();
        return this.giveUp(error, null, this.current);
      }
    }
    return skipStep(ctx, step, "degraded", [this.episode.end("succeeded", "degraded", { skipped: true })]);
  }

  /** Recovery is over: the step failed for good (retries_exhausted when it was tried more than once). */
  private async giveUp(
    error: unknown,
    decided: NewEvent | null,
    attempt: Attempt | null,
  ): Promise<StepOutcome> {
    const { ctx, step } = this;
    const { episode } = this;
    const retried = (ctx.journaled.lastAttempt.get(step.id) ?? 0) > 1 && episode.size > 1;
    const reason: ReasonCode = retried && !isInputError(error) ? "retries_exhausted" : reasonOf(error);
    const extra: NewEvent[] = decided ? [decided] : [];
    if (episode.active) extra.push(episode.end("failed", reason));
    const decision = episode.lastDecisionText();
    if (attempt) await attempt.write.catch(() => {});
    return finalFailure(ctx, step, {
      error,
      attempt: attempt ? { ...attempt, decision } : null,
      extra,
      reason,
    });
  }

  private async succeed(produced: StepOutputs): Promise<StepOutcome> {
    const { ctx, step } = this;
    // Outputs holding a secret value are stored, and read by later steps, masked (docs: Secrets).
    const outputs = ctx.output.recorder.masker.deep(produced);
    const attempt = this.current as Attempt;
    const { hooks } = ctx.services;
    const info = { runId: ctx.run.id, stageId: step.stageId, stepId: step.id };
    if (hooks["after-step-before-commit"]) await crashPoint(ctx.services, "after-step-before-commit", info);
    const now = ctx.services.clock.now();
    const cp = checkpoint(ctx, step, {
      status: "succeeded",
      reason: "succeeded",
      outputs,
      attempts: attempt.no,
      startedAt: this.firstStartedAt ?? now,
      finishedAt: now,
    });
    const events: NewEvent[] = [];
    if (this.recovering) events.push(this.episode.end("succeeded", "succeeded"));
    events.push(
      ctx.output.recorder.event(
        "step.succeeded",
        {
          stageId: step.stageId,
          stepId: step.id,
          attempt: attempt.no,
          durationMs: now - attempt.startedAt,
          outputs,
        },
        `${step.id}/${attempt.no}`,
        now,
      ),
    );
    await ctx.output.recorder.finishAttempt(
      {
        runId: ctx.run.id,
        stepId: step.id,
        attempt: attempt.no,
        status: "succeeded",
        reason: "succeeded",
        finishedAt: now,
        outputs,
      },
      cp,
      events,
    );
    ctx.scope.steps[step.id] = { outputs, outcome: "success" };
    if (hooks["after-commit"]) await crashPoint(ctx.services, "after-commit", info);
    return { stepId: step.id, status: "succeeded", reason: "succeeded", continued: false };
  }

  /**
   * The run parks (its step waits for a timer or a signal): the attempt ends `cancelled` with
   * reason `parked`, no event; the step runs again, a new attempt, when the engine wakes the run.
   */
  private async parked(attempt: Attempt | null): Promise<StepOutcome> {
    const { ctx, step } = this;
    const outcome: StepOutcome = { stepId: step.id, status: "parked", reason: "parked", continued: false };
    if (!attempt) return outcome;
    this.current = null;
    await attempt.write.catch(() => {});
    const finish = { runId: ctx.run.id, stepId: step.id, attempt: attempt.no, status: "cancelled" as const };
    await ctx.output.recorder.finishAttempt(
      { ...finish, reason: "parked", finishedAt: ctx.services.clock.now() },
      null,
      [],
    );
    return outcome;
  }

  /** The stage or the run was aborted (fail-fast sibling, stage timeout, cancel, lost lease). */
  private async cancelled(): Promise<StepOutcome> {
    const { ctx, step } = this;
    const reason = abortReason(this.cancel);
    const outcome: StepOutcome = { stepId: step.id, status: "cancelled", reason, continued: false };
    // Another process owns the run now, or this one is shutting down: record nothing more.
    if (reason === "lease_lost" || reason === "interrupted") return outcome;
    const attempt = this.current;
    if (reason === "parked") return this.parked(attempt);
    const events: NewEvent[] = [];
    // A recovery episode in progress ends with the step (e.g. a sibling failed mid-retry).
    if (this.recovering) events.push(this.episode.end("failed", reason));
    events.push(
      ctx.output.recorder.event("step.cancelled", {
        stageId: step.stageId,
        stepId: step.id,
        attempt: attempt?.no ?? 0,
        reason,
        ...(attempt ? { durationMs: Math.max(0, ctx.services.clock.now() - attempt.startedAt) } : {}),
      }),
    );
    if (!attempt) {
      await ctx.output.recorder.emit(events);
      return outcome;
    }
    this.current = null;
    await attempt.write.catch(() => {});
    const error: ErrorInfo = toErrorInfo(this.cancel.reason);
    await ctx.output.recorder.finishAttempt(
      {
        runId: ctx.run.id,
        stepId: step.id,
        attempt: attempt.no,
        status: "cancelled",
        reason,
        finishedAt: ctx.services.clock.now(),
        error,
      },
      null,
      events,
    );
    return { ...outcome, error };
  }
}
