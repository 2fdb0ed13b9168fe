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
  /** The metrics' own cache (the bounded kind label, the series a succeeded attempt updates). */
  cache?: unknown;
}

/** What the metrics know of a workflow's steps and stages, shared by its runs. */
export interface WorkflowShape {
  /** Step id → slot. A step no definition told of gets a slot of kind `unknown` when first seen. */
  steps: Map<string, StepSlot>;
  parallel: Set<string>;
  /** Read from a recorded definition (false: made up from events alone). */
  known: boolean;
}

export interface RunFacts {
  /** The bounded workflow label. */
  workflow: string;
  shape: WorkflowShape;
  /** By step slot: the attempt in flight, its number (none: undefined or -1) and start time. */
  attemptNo: number[];
  attemptAt: number[];
  /** Parallel stage id → the summed durations of its succeeded attempts. */
  stageWorkMs: Map<string, number>;
  /** Over the run's succeeded parallel stages: their steps' durations and their spans. */
  workMs: number;
  spanMs: number;
}

const RESERVED: ReadonlySet<string> = new Set(RESERVED_STEP_KEYS);

export const emptyShape = (): WorkflowShape => ({ steps: new Map(), parallel: new Set(), known: false });

export function newFacts(workflow: string, shape: WorkflowShape = emptyShape()): RunFacts {
  return { workflow, shape, attemptNo: [], attemptAt: [], stageWorkMs: new Map(), workMs: 0, spanMs: 0 };
}

/** The slot of a step, added (kind `unknown`) when the shape does not know it. */
export function slotOf(shape: WorkflowShape, stepId: string): StepSlot {
  let slot = shape.steps.get(stepId);
  if (!slot) shape.steps.set(stepId, (slot = { index: shape.steps.size, kind: "unknown" }));
  return slot;
}

/** Gives a run a new shape, keeping its attempts in flight (by step id). */
export function reshape(facts: RunFacts, shape: WorkflowShape): void {
  const { attemptNo, attemptAt } = facts;
  facts.attemptNo = [];
  facts.attemptAt = [];
  for (const [stepId, old] of facts.shape.steps) {
    const no = attemptNo[old.index];
    if (no === undefined || no < 0) continue;
    const slot = slotOf(shape, stepId);
    facts.attemptNo[slot.index] = no;
    facts.attemptAt[slot.index] = attemptAt[old.index] as number;
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
  const shape: WorkflowShape = { steps: new Map(), parallel: new Set(), known: true };
  const stages = isRecord(definition) && Array.isArray(definition.stages) ? definition.stages : [];
  for (const stage of stages) {
    if (!isRecord(stage)) continue;
    if (stage.mode === "parallel" && typeof stage.id === "string") shape.parallel.add(stage.id);
    for (const step of Array.isArray(stage.steps) ? stage.steps : []) {
      if (!isRecord(step) || typeof step.id !== "string" || shape.steps.has(step.id)) continue;
      const keys = Object.keys(step).filter((key) => !RESERVED.has(key));
      shape.steps.set(step.id, {
        index: shape.steps.size,
        kind: keys.length === 1 ? (keys[0] as string) : "unknown",
      });
    }
  }
  return shape;
}
