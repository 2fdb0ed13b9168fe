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

export interface RunFacts {
  /** The bounded workflow label. */
  workflow: string;
  /** Step id → kind (unbounded here; the metrics bound it). */
  kinds: Map<string, string> | null;
  parallel: Set<string>;
  /** Step id → the attempt in flight: its number and start time. */
  attempts: Map<string, { no: number; at: number }>;
  /** Parallel stage id → the summed durations of its succeeded attempts. */
  stageWorkMs: Map<string, number>;
  /** Over the run's succeeded parallel stages: their steps' durations and their spans. */
  workMs: number;
  spanMs: number;
}

const RESERVED: ReadonlySet<string> = new Set(RESERVED_STEP_KEYS);

export function newFacts(workflow: string): RunFacts {
  return {
    workflow,
    kinds: null,
    parallel: new Set(),
    attempts: new Map(),
    stageWorkMs: new Map(),
    workMs: 0,
    spanMs: 0,
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Reads step kinds and parallel stages from a recorded (normalised) definition: a step's kind is
 * its one key that is not a reserved step key; anything else is `unknown`.
 */
export function readDefinition(facts: RunFacts, definition: unknown): void {
  const kinds = new Map<string, string>();
  const stages = isRecord(definition) && Array.isArray(definition.stages) ? definition.stages : [];
  for (const stage of stages) {
    if (!isRecord(stage)) continue;
    if (stage.mode === "parallel" && typeof stage.id === "string") facts.parallel.add(stage.id);
    for (const step of Array.isArray(stage.steps) ? stage.steps : []) {
      if (!isRecord(step) || typeof step.id !== "string") continue;
      const keys = Object.keys(step).filter((key) => !RESERVED.has(key));
      kinds.set(step.id, keys.length === 1 ? (keys[0] as string) : "unknown");
    }
  }
  facts.kinds = kinds;
}
