import type { EngineEvent, EventRecord } from "../events.js";
import type { CheckpointRecord, RunRecord } from "../journal.js";
import { RunFold } from "./fold.js";
import type { RunModel, RunSkeleton, RunState } from "./types.js";

interface DefinitionShape {
  name?: unknown;
  stages?: Array<{ id?: unknown; steps?: Array<{ id?: unknown }> }>;
}

/** The stages and steps of a recorded definition, in order. */
export function skeletonOf(workflow: string, definition: unknown): RunSkeleton {
  const def = (definition ?? {}) as DefinitionShape;
  const stages = (Array.isArray(def.stages) ? def.stages : []).map((stage) => ({
    id: String(stage.id),
    steps: (Array.isArray(stage.steps) ? stage.steps : []).map((step) => ({ id: String(step.id) })),
  }));
  return { workflow, stages };
}

/**
 * A run's model from what the journal recorded: its events folded over its definition's stages
 * and steps; the run record has the last word on the run's state, the checkpoints on outputs.
 * `state` overrides the recorded state (e.g. `interrupted` when the run's owner is gone).
 */
export function buildRunModel(
  run: RunRecord,
  events: readonly EventRecord[],
  checkpoints: readonly CheckpointRecord[] = [],
  state?: RunState,
): RunModel {
  const fold = new RunFold(run.id, skeletonOf(run.workflow, run.definition));
  for (const event of events) fold.apply(event as EngineEvent);
  const model = fold.model;
  for (const cp of checkpoints) {
    const step = fold.find(cp.stepId);
    if (!step) continue;
    step.outputs = cp.outputs;
    if (step.state === "pending" || step.state === "running") {
      Object.assign(step, { state: cp.status, reason: cp.reason, finishedAt: cp.finishedAt });
      if (cp.status !== "skipped") step.startedAt ??= cp.startedAt;
    }
  }
  model.workflow = run.workflow;
  model.startedAt = run.createdAt;
  model.state = state ?? run.status;
  model.reason = run.reason;
  model.error = run.error ?? model.error;
  model.finishedAt = run.finishedAt;
  if (model.state === "interrupted") {
    for (const stage of model.stages) {
      if (stage.state === "running") stage.state = "interrupted";
      for (const step of stage.steps) {
        if (step.state === "running" || step.state === "retrying") step.state = "interrupted";
      }
    }
  }
  return model;
}
