import type { StepPlan } from "../definition/plan.js";
import type { ErrorInfo } from "../errors.js";
import type { NewEvent } from "../events.js";
import type { ReasonCode } from "../reasons.js";
import type { CompiledPattern, RetryBudget } from "../recovery/index.js";
import type { RunContext } from "./context.js";
import { type Decision, decide, describeDecision, RecoveryState } from "./decide.js";

/**
 * One step's recovery episode: the decisions taken since its first failure, and the events that
 * say so — `recovery.decided` for each, then `recovery.succeeded` or `recovery.failed` once.
 */
export class Episode {
  private readonly decisions: Decision[] = [];
  private readonly state: RecoveryState;
  private firstFailureAt: number | null = null;
  private refusals = 0;

  constructor(
    private readonly ctx: RunContext,
    private readonly step: StepPlan,
  ) {
    this.state = new RecoveryState(ctx.journaled.failedAttempts.get(step.id) ?? 0);
  }

  /** Whether any failure has been decided on (an episode is in progress). */
  get active(): boolean {
    return this.decisions.length > 0;
  }

  get last(): Decision | undefined {
    return this.decisions.at(-1);
  }

  /**
   * Classifies the error and decides; a degrade that cannot apply becomes a give-up. An optional
   * step is not retried by the built-in patterns, and where recovery would give up, it is
   * degraded instead (skipped; the run ends `degraded`) unless `continue_on_error` says to
   * record the failure.
   */
  decide(info: ErrorInfo): Decision {
    const { ctx, step } = this;
    const now = ctx.services.clock.now();
    this.firstFailureAt ??= now;
    const patterns = step.optional ? workflowPatterns(ctx.recovery.patterns) : ctx.recovery.patterns;
    let decision = decide(info, step, patterns, this.state, ctx.services.random, now);
    if (decision.kind === "degrade" && !this.canDegrade(decision)) {
      decision = { ...decision, kind: "give_up", strategy: "degrade", why: `'${step.id}' is not optional` };
    }
    if (decision.kind === "give_up" && step.optional && !step.continueOnError) {
      decision = { pattern: null, type: decision.type, kind: "degrade", strategy: "degrade" };
    }
    this.decisions.push(decision);
    return decision;
  }

  private canDegrade(decision: Decision): boolean {
    const skip = decision.pattern?.skip ?? [];
    return Boolean(decision.pattern?.variant) || this.step.optional || skip.includes(this.step.id);
  }

  /** `durationMs`: the failed attempt's (0 when none ran). */
  decided(decision: Decision, info: ErrorInfo, attempt: number, durationMs: number): NewEvent {
    const { step } = this;
    return this.ctx.output.recorder.event("recovery.decided", {
      stageId: step.stageId,
      stepId: step.id,
      attempt,
      durationMs,
      patternId: decision.pattern?.id ?? null,
      errorType: decision.type,
      strategy: decision.strategy,
      error: info,
      ...(decision.kind === "retry" ? { delayMs: decision.delayMs } : {}),
      ...(decision.kind === "alternative" ? { alternative: decision.index } : {}),
      detail: describeDecision(decision),
    });
  }

  /** `recovery.budget_refused`: each refusal its own event (never deduplicated away). */
  private refused(dependency: string, action: "wait" | "escalate", waitMs: number): NewEvent {
    const { ctx, step } = this;
    return ctx.output.recorder.event(
      "recovery.budget_refused",
      {
        stageId: step.stageId,
        stepId: step.id,
        dependency,
        action,
        ...(action === "wait" ? { waitMs } : {}),
      },
      `${step.id}/${ctx.journaled.lastAttempt.get(step.id) ?? 0}/${++this.refusals}`,
    );
  }

  /**
   * The episode's end. `skipped`: a degrade skipped the step (no attempt succeeded);
   * `escalated`: the run parks, and a resume starts a new episode.
   */
  end(
    how: "succeeded" | "failed",
    reason: ReasonCode,
    options: { skipped?: boolean; escalated?: boolean } = {},
  ): NewEvent {
    const { ctx, step } = this;
    const last = this.last;
    const now = ctx.services.clock.now();
    const common = {
      stageId: step.stageId,
      stepId: step.id,
      patternId: last?.pattern?.id ?? null,
      errorType: last?.type ?? "unknown",
      // The attempts recovery saw: the failed ones, plus the one that succeeded.
      attempts: this.decisions.length + (how === "succeeded" && !options.skipped ? 1 : 0),
      recoveryMs: now - (this.firstFailureAt ?? now),
    };
    if (how === "succeeded") {
      const strategy = last?.strategy === "give_up" || !last ? "step_retry" : last.strategy;
      return ctx.output.recorder.event("recovery.succeeded", { ...common, strategy });
    }
    const strategy = options.escalated ? "escalate" : (last?.strategy ?? "give_up");
    return ctx.output.recorder.event("recovery.failed", { ...common, strategy, reason });
  }

  /**
   * Waits until the dependency's retry budget allows the retry, journaling each refusal. Returns
   * false when the pattern says to escalate instead of waiting (or true at once if aborted).
   */
  async awaitBudget(
    budget: RetryBudget,
    dependency: string,
    decision: Decision,
    signal: AbortSignal,
  ): Promise<boolean> {
    const { ctx } = this;
    while (!budget.tryRetry()) {
      const action = decision.pattern?.onBudgetExhausted ?? "wait";
      const waitMs = Math.max(1, budget.waitMs());
      await ctx.output.recorder.emit([this.refused(dependency, action, waitMs)]);
      if (action === "escalate") return false;
      await ctx.services.clock.sleep(waitMs, signal).catch(() => {});
      if (signal.aborted) return true;
    }
    return true;
  }

  /** The text journaled with the attempt that ended the episode. */
  lastDecisionText(): string {
    const last = this.last;
    return last ? describeDecision(last) : "give up";
  }

  /** Failed attempts this episode decided on (for `retries_exhausted`). */
  get size(): number {
    return this.decisions.length;
  }
}

/** The workflow's own patterns (an optional step is not retried by the built-in ones). */
function workflowPatterns(patterns: CompiledPattern[]): CompiledPattern[] {
  return patterns.filter((p) => p.pattern.source !== "default");
}
