import type { EngineEvent } from "../events.js";
import type { ReasonCode } from "../reasons.js";
import { EpisodeFold } from "./episodes.js";
import { applyStage } from "./stage-fold.js";
import type { AttemptCause, RunModel, RunSkeleton, StageModel, StageState, StepModel } from "./types.js";

const RUN_END: Partial<
  Record<EngineEvent["type"], "succeeded" | "degraded" | "failed" | "cancelled" | "blocked">
> = {
  "run.succeeded": "succeeded",
  "run.degraded": "degraded",
  "run.failed": "failed",
  "run.cancelled": "cancelled",
  "run.blocked": "blocked",
};

/**
 * Folds a run's events, in journal order, into its model (see types.ts). Applying the events of
 * a run from its start gives the same model whether they arrive live or are read back from the
 * journal, which is what makes the live view and the report agree.
 */
export class RunFold {
  readonly model: RunModel;
  private readonly episodes = new EpisodeFold();
  /** What ended each attempt, by step and attempt number: the cause of the next one. */
  private readonly endedBy = new Map<string, Map<number, AttemptCause>>();
  private readonly counted = new Map<string, Set<number>>();
  /** Increases at each resume: a step or stage is timed from its first start since then. */
  private execution = 0;
  private readonly timedIn = new Map<string, number>();
  /** Every step of the model by id (a step id is unique in a run), kept with the model. */
  private readonly steps = new Map<string, StepModel>();

  constructor(runId: string, skeleton: RunSkeleton) {
    this.model = {
      id: runId,
      workflow: skeleton.workflow,
      state: "running",
      reason: null,
      error: null,
      startedAt: null,
      finishedAt: null,
      stages: skeleton.stages.map((s) => ({
        ...stageOf(s.id),
        steps: s.steps.map((st) => this.index(stepOf(st.id, s.id))),
      })),
      recovery: this.episodes.episodes,
    };
  }

  /** The model's step `id`, if the run has it. */
  find(id: string): StepModel | undefined {
    return this.steps.get(id);
  }

  private index(step: StepModel): StepModel {
    this.steps.set(step.id, step);
    return step;
  }

  apply(e: EngineEvent): void {
    this.episodes.apply(e);
    const run = this.model;
    const end = RUN_END[e.type];
    if (end) {
      run.state = end;
      run.finishedAt = end === "blocked" ? null : e.at;
      const p = e.payload as { reason?: ReasonCode; error?: RunModel["error"]; message?: string };
      run.reason = p.reason ?? (end === "blocked" ? null : end);
      run.error = p.error ?? (p.message ? { name: "Error", message: p.message } : null);
      if (end === "cancelled") this.settleRunning("cancelled", "cancelled");
      return;
    }
    switch (e.type) {
      case "run.started":
        run.startedAt ??= e.at;
        run.workflow = e.payload.workflow;
        return;
      case "run.resumed":
        this.settleRunning("interrupted", "interrupted");
        this.execution++;
        Object.assign(run, { state: "running", reason: null, error: null, finishedAt: null });
        return;
      case "run.changes_accepted": {
        const p = e.payload;
        this.remove(p.removed);
        for (const id of p.rerun) {
          const step = this.steps.get(id);
          if (step)
            Object.assign(step, { state: "pending", reason: null, startedAt: null, finishedAt: null });
        }
        return;
      }
      case "run.interrupted":
        this.settleRunning("interrupted", "interrupted");
        run.state = "interrupted";
        return;
      case "run.parked":
        // Only waiting (a timer or a signal): the waiting steps stay `running` until the wake.
        Object.assign(run, { state: "waiting", reason: "parked" });
        for (const stage of this.model.stages) {
          if (stage.state === "running") Object.assign(stage, { state: "waiting", reason: "parked" });
        }
        return;
      case "run.escalated": {
        const p = e.payload;
        run.state = "waiting";
        run.reason = "escalated";
        run.error = p.error;
        const stage = this.stage(p.stageId);
        Object.assign(stage, { state: "waiting", reason: "escalated" });
        if (p.stepId) {
          const step = this.step(p.stageId, p.stepId);
          Object.assign(step, { state: "escalated", reason: "escalated", error: p.error, finishedAt: e.at });
          this.ended(step, step.attempts, "resumed");
        }
        return;
      }
      default:
        if (e.type.startsWith("stage."))
          applyStage(this.stage((e.payload as { stageId: string }).stageId), e);
        else if (e.type.startsWith("step.") || e.type === "recovery.decided") this.applyStep(e);
    }
  }

  private applyStep(e: EngineEvent): void {
    const p = e.payload as { stageId: string; stepId: string; attempt?: number };
    const step = this.step(p.stageId, p.stepId);
    if (p.attempt !== undefined) step.attempts = Math.max(step.attempts, p.attempt);
    switch (e.type) {
      case "step.started": {
        const n = e.payload.attempt;
        if (this.timedIn.get(step.id) !== this.execution || step.startedAt === null) {
          step.startedAt = e.at;
          this.timedIn.set(step.id, this.execution);
        }
        Object.assign(step, { state: "running", reason: null, finishedAt: null, retryDelayMs: null });
        if (n > 1) this.countCause(step, n);
        return;
      }
      case "step.retrying":
        Object.assign(step, { state: "retrying", retryDelayMs: e.payload.delayMs, error: e.payload.error });
        this.ended(step, e.payload.attempt, "retry");
        return;
      case "recovery.decided": {
        const s = e.payload.strategy;
        step.error = e.payload.error;
        const cause =
          s === "alternative" || s === "degrade" ? "alternative" : s === "escalate" ? "resumed" : "retry";
        this.ended(step, e.payload.attempt, s === "give_up" || s === "fail" ? "resumed" : cause);
        return;
      }
      case "step.succeeded":
        step.startedAt ??= e.at - e.payload.durationMs;
        Object.assign(step, {
          state: "succeeded",
          reason: "succeeded",
          finishedAt: e.at,
          outputs: e.payload.outputs,
          retryDelayMs: null,
        });
        return;
      case "step.failed":
        Object.assign(step, {
          state: "failed",
          reason: e.payload.reason,
          error: e.payload.error,
          finishedAt: e.at,
        });
        this.ended(step, e.payload.attempt, "resumed");
        return;
      case "step.skipped":
        Object.assign(step, {
          state: "skipped",
          reason: e.payload.reason,
          finishedAt: e.at,
          retryDelayMs: null,
        });
        return;
      case "step.cancelled": {
        const interrupted = e.payload.reason === "interrupted";
        const state = interrupted ? "interrupted" : "cancelled";
        Object.assign(step, { state, reason: e.payload.reason, finishedAt: e.at, retryDelayMs: null });
        const cause = interrupted
          ? "interrupted"
          : e.payload.reason === "stage_timed_out"
            ? "retry"
            : "resumed";
        this.ended(step, e.payload.attempt, cause);
        return;
      }
      default:
    }
  }

  /** Steps and stages under way when the run stopped: interrupted, or cancelled with it. */
  private settleRunning(state: "interrupted" | "cancelled", reason: ReasonCode): void {
    for (const stage of this.model.stages) {
      if (stage.state === "running") Object.assign(stage, { state, reason });
      for (const step of stage.steps) {
        if (step.state !== "running" && step.state !== "retrying") continue;
        this.ended(step, step.attempts, state === "interrupted" ? "interrupted" : "resumed");
        Object.assign(step, { state, reason, retryDelayMs: null });
      }
    }
  }

  private ended(step: StepModel, attempt: number, cause: AttemptCause): void {
    let byAttempt = this.endedBy.get(step.id);
    if (!byAttempt) this.endedBy.set(step.id, (byAttempt = new Map()));
    if (!byAttempt.has(attempt)) byAttempt.set(attempt, cause);
  }

  /** Counts once why attempt `n` was made (an attempt never seen to end was interrupted). */
  private countCause(step: StepModel, n: number): void {
    let seen = this.counted.get(step.id);
    if (!seen) this.counted.set(step.id, (seen = new Set()));
    if (seen.has(n)) return;
    seen.add(n);
    const cause = this.endedBy.get(step.id)?.get(n - 1) ?? "interrupted";
    step.causes[cause] = (step.causes[cause] ?? 0) + 1;
  }

  private stage(id: string): StageModel {
    let stage = this.model.stages.find((s) => s.id === id);
    if (!stage) {
      stage = { ...stageOf(id), steps: [] };
      this.model.stages.push(stage);
    }
    return stage;
  }

  private step(stageId: string, id: string): StepModel {
    const found = this.steps.get(id);
    if (found) return found;
    const step = this.index(stepOf(id, stageId));
    this.stage(stageId).steps.push(step);
    return step;
  }

  /** Drops steps the run no longer has (a definition change was accepted). */
  remove(stepIds: readonly string[]): void {
    const gone = new Set(stepIds);
    for (const stage of this.model.stages) stage.steps = stage.steps.filter((s) => !gone.has(s.id));
    for (const id of gone) this.steps.delete(id);
  }
}

function stageOf(id: string): Omit<StageModel, "steps"> {
  const state: StageState = "pending";
  return { id, state, reason: null, startedAt: null, finishedAt: null };
}

function stepOf(id: string, stageId: string): StepModel {
  return {
    id,
    stageId,
    state: "pending",
    reason: null,
    attempts: 0,
    causes: {},
    startedAt: null,
    finishedAt: null,
    error: null,
    outputs: {},
    retryDelayMs: null,
  };
}
