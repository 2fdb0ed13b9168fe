/**
 * One model of a run, folded from its journaled events: the live view, `status`, `report` and
 * `history` all read it, so they agree on states, attempt counts and durations.
 *
 * Durations are those of the last execution: a stage or step that was interrupted, escalated or
 * failed and then resumed is timed from its resumption (its first attempt since then) to its end.
 * Attempt numbers continue across resumes; `attempts` is the highest one started.
 */
import type { ErrorInfo } from "../errors.js";
import type { RunStatus } from "../journal.js";
import type { ReasonCode } from "../reasons.js";

export type StepState =
  | "pending"
  | "running"
  | "retrying"
  | "succeeded"
  | "failed"
  | "skipped"
  | "cancelled"
  /** Parked for a person by an `escalate` decision; `resume` runs it again. */
  | "escalated"
  /** Its process stopped mid-attempt (crash, SIGKILL, Ctrl-C); `resume` runs it again. */
  | "interrupted";

export type StageState =
  | "pending"
  | "running"
  | "succeeded"
  | "failed"
  | "skipped"
  | "timed_out"
  | "cancelled"
  | "waiting"
  | "interrupted";

export type RunState = RunStatus | "interrupted";

/** Why an attempt after the first was made: what ended the attempt before it. */
export type AttemptCause = "retry" | "alternative" | "interrupted" | "resumed";

export interface StepModel {
  id: string;
  stageId: string;
  state: StepState;
  reason: ReasonCode | null;
  /** Attempts started, numbered across resumes: the highest attempt number seen. */
  attempts: number;
  /** For attempts 2..n, why each was made (keyed by attempt number). */
  causes: Partial<Record<AttemptCause, number>>;
  /** Start of the step's first attempt in its last execution; null before it starts. */
  startedAt: number | null;
  finishedAt: number | null;
  /** The last error an attempt ended with (kept after a later success, for `history`). */
  error: ErrorInfo | null;
  outputs: Record<string, unknown>;
  /** While it waits to retry: the delay, for the live view. */
  retryDelayMs: number | null;
}

export interface StageModel {
  id: string;
  state: StageState;
  reason: ReasonCode | null;
  startedAt: number | null;
  finishedAt: number | null;
  steps: StepModel[];
}

/** One step's recovery episode: what failed, what was decided, how it ended. */
export interface EpisodeModel {
  stepId: string;
  patternId: string | null;
  errorType: string;
  /** The strategies decided, in order (e.g. `retry`, `alternative`). */
  strategies: string[];
  outcome: "recovered" | "failed" | "escalated" | "in_progress";
  attempts: number;
  recoveryMs: number | null;
  /** The first error's message. */
  error: string;
}

export interface RunModel {
  id: string;
  workflow: string;
  state: RunState;
  reason: ReasonCode | null;
  error: ErrorInfo | null;
  startedAt: number | null;
  finishedAt: number | null;
  stages: StageModel[];
  /** Recovery episodes in the order they began. */
  recovery: EpisodeModel[];
}

/** What a model starts from: the plan's stages and steps in order, all pending. */
export interface RunSkeleton {
  workflow: string;
  stages: ReadonlyArray<{ id: string; steps: ReadonlyArray<{ id: string }> }>;
}

/** `finishedAt - startedAt`, or the time so far (`now`) while it runs; null when not started. */
export function elapsed(
  item: { startedAt: number | null; finishedAt: number | null },
  now?: number,
): number | null {
  if (item.startedAt === null) return null;
  if (item.finishedAt !== null) return Math.max(0, item.finishedAt - item.startedAt);
  return now === undefined ? null : Math.max(0, now - item.startedAt);
}

/** The step `id` of a run model, wherever its stage put it. */
export function findStep(model: RunModel | undefined, id: string): StepModel | undefined {
  for (const stage of model?.stages ?? []) {
    const step = stage.steps.find((s) => s.id === id);
    if (step) return step;
  }
  return undefined;
}
