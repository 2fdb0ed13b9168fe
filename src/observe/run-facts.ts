/**
 * What the metrics need to know of a run that its events do not carry: its workflow, each step's
 * kind and which stages are parallel, read once from the definition the journal recorded with
 * the run; and, while it runs, its attempts in flight and its parallel work (for the speedup).
 */
import { RESERVED_STEP_KEYS } from "../engine/definition/schema.js";
import type { RunRecord } from "../engine/journal.js";

/** What `createMetrics` reads a run it has not seen start from: the journal. */
export interface RunSource {
  getRun(runId: string): Promise<Pick<RunRecord, "workflow" | "definition"> | undefined>;
}

/** A step of a workflow's shape. The metrics cache what they update at its every attempt here. */
export interface StepSlot {
  /** Its index in a run's attempt arrays. */
  readonly index: number;
  /** Its kind (unbounded here; the metrics bound it), `unknown` when the definition does not tell. */
  readonly kind: string;
  /** Its stage is parallel (its succeeded attempts' durations count towards the speedup). */
  readonly parallel: boolean;
  /** The metrics' own cache (the bounded kind label, the series a succeeded attempt updates). */
  cache?: unknown;
}

/** What the metrics know of a workflow's steps and stages, shared by its runs. */
export interface WorkflowShape {
  /** Step id → slot. A step no definition told of gets a slot of kind `unknown` when first seen. */
  steps: Map<string, StepSlot>;
  /** Parallel stage id → the slots of its steps. */
  parallel: Map<string, number[]>;
  /** Read from a recorded definition (false: made up from events alone). */
  known: boolean;
}

export interface RunFacts {
  /** The bounded workflow label. */
  workflow: string;
  shape: WorkflowShape;
  /** By step slot: the last attempt counted (its end seen), so that no attempt counts twice. */
  endedNo: number[];
  /**
   * By step slot: the last attempt whose step.started was seen, and when. Only for an end event
   * without `durationMs` (journals written before the events carried it); `follow` does not
   * subscribe to step.started.
   */
  startedNo: number[];
  startedAt: number[];
  /** By step slot, for steps of parallel stages: the summed durations of its succeeded attempts. */
  stepWorkMs: number[];
  /** Over the run's succeeded parallel stages: their steps' durations and their spans. */
  workMs: number;
  spanMs: number;
}

const RESERVED: ReadonlySet<string> = new Set(RESERVED_STEP_KEYS);

export const emptyShape = (): WorkflowShape => ({ steps: new Map(), parallel: new Map(), known: false });

export function newFacts(workflow: string, shape: WorkflowShape = emptyShape()): RunFacts {
  return {
    workflow,
    shape,
    endedNo: [],
    startedNo: [],
    startedAt: [],
    stepWorkMs: [],
    workMs: 0,
    spanMs: 0,
  };
}

/** The slot of a step, added (kind `unknown`) when the shape does not know it. */
export function slotOf(shape: WorkflowShape, stepId: string): StepSlot {
  let slot = shape.steps.get(stepId);
  if (!slot) shape.steps.set(stepId, (slot = { index: shape.steps.size, kind: "unknown", parallel: false }));
  return slot;
}

/** Gives a run a new shape, keeping what it knows of its attempts (by step id). */
export function reshape(facts: RunFacts, shape: WorkflowShape): void {
  const { endedNo, startedNo, startedAt, stepWorkMs } = facts;
  facts.endedNo = [];
  facts.startedNo = [];
  facts.startedAt = [];
  facts.stepWorkMs = [];
  for (const [stepId, old] of facts.shape.steps) {
    const i = slotOf(shape, stepId).index;
    if (endedNo[old.index] !== undefined) facts.endedNo[i] = endedNo[old.index] as number;
    if (stepWorkMs[old.index] !== undefined) facts.stepWorkMs[i] = stepWorkMs[old.index] as number;
    if (startedNo[old.index] !== undefined) {
      facts.startedNo[i] = startedNo[old.index] as number;
      facts.startedAt[i] = startedAt[old.index] as number;
    }
  }
  facts.shape = shape;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Reads step kinds and parallel stages from a recorded (normalised) definition: a step's kind is
 * its one key that is not a reserved step key; anything else is `unknown`.
 */
export function readDefinition(definition: unknown): WorkflowShape {
  const shape: WorkflowShape = { steps: new Map(), parallel: new Map(), known: true };
  const stages = isRecord(definition) && Array.isArray(definition.stages) ? definition.stages : [];
  for (const stage of stages) {
    if (!isRecord(stage)) continue;
    const parallel: number[] | undefined =
      stage.mode === "parallel" && typeof stage.id === "string" ? [] : undefined;
    if (parallel) shape.parallel.set(stage.id as string, parallel);
    for (const step of Array.isArray(stage.steps) ? stage.steps : []) {
      if (!isRecord(step) || typeof step.id !== "string" || shape.steps.has(step.id)) continue;
      const keys = Object.keys(step).filter((key) => !RESERVED.has(key));
      const index = shape.steps.size;
      shape.steps.set(step.id, {
        index,
        kind: keys.length === 1 ? (keys[0] as string) : "unknown",
        parallel: parallel !== undefined,
      });
      parallel?.push(index);
    }
  }
  return shape;
}
