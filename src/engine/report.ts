import type { RunReport, StageReport, StepReport } from "./engine-api.js";
import type { EventRecord } from "./events.js";
import type { AttemptRecord, CheckpointRecord, RunRecord } from "./journal.js";
import { buildRunModel } from "./run-model/from-journal.js";
import { elapsed, type RunModel, type RunState, type StepModel } from "./run-model/types.js";

/** States in which a step's last error is what the report shows for it. */
const ERROR_SHOWN = new Set(["failed", "escalated", "cancelled", "interrupted"]);

/** A run's report, from what the journal recorded (no live state needed): its run model, flattened. */
export function buildReport(journaled: JournaledRun): RunReport {
  const { run, attempts, checkpoints, events, state } = journaled;
  return reportOf(run, buildRunModel(run, events, checkpoints, state), attempts);
}

/** What the journal holds of one run, for its report. */
export interface JournaledRun {
  run: RunRecord;
  attempts: AttemptRecord[];
  checkpoints: CheckpointRecord[];
  events: EventRecord[];
  /** A state the journal cannot tell (e.g. `interrupted`: no process executes it any more). */
  state?: RunState | undefined;
}

/** The report of a run model (`attempts` as the journal listed them). */
export function reportOf(run: RunRecord, model: RunModel, attempts: AttemptRecord[] = []): RunReport {
  const stages: StageReport[] = model.stages.map((stage) => ({
    id: stage.id,
    status: stage.state,
    reason: stage.reason,
    startedAt: stage.startedAt,
    finishedAt: stage.finishedAt,
    durationMs: elapsed(stage),
    steps: stage.steps.map(stepReport),
  }));
  return {
    run,
    state: model.state,
    durationMs: run.finishedAt !== null ? run.finishedAt - run.createdAt : null,
    stages,
    attempts,
    recovery: model.recovery,
  };
}

function stepReport(step: StepModel): StepReport {
  const degraded = step.state === "skipped" && step.reason === "degraded";
  return {
    id: step.id,
    stageId: step.stageId,
    status: step.state,
    reason: step.reason,
    attempts: step.attempts,
    causes: { ...step.causes },
    startedAt: step.startedAt,
    finishedAt: step.finishedAt,
    durationMs: elapsed(step),
    outputs: step.outputs,
    error: ERROR_SHOWN.has(step.state) || degraded ? step.error : null,
  };
}
