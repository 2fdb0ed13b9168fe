/**
 * What the performance report and the profiler need of a run's workflow, read from the
 * definition the journal stored with the run (the normalised workflow file): each stage's mode
 * and concurrency, each step's kind, and the `baselines:` block as written.
 */
import { RESERVED_STEP_KEYS } from "../index.js";

export interface StageShape {
  mode: "parallel" | "sequential";
  /** How many of its steps may run at once (1 for a sequential stage). */
  concurrency: number;
}

export interface RunShape {
  stages: Map<string, StageShape>;
  /** Step id → its kind (`run`, `http`, ...), when the definition tells. */
  kinds: Map<string, string>;
  /** The definition's `baselines:` block, as written (undefined when absent). */
  baselines: unknown;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const STEP_KEYS: ReadonlySet<string> = new Set(RESERVED_STEP_KEYS);

/** The shape of a stored definition; an unreadable one gives empty maps (nothing is thrown). */
export function runShape(definition: unknown): RunShape {
  const def = isObject(definition) ? definition : {};
  const stages = Array.isArray(def.stages) ? def.stages.filter(isObject) : [];
  const shape: RunShape = { stages: new Map(), kinds: new Map(), baselines: def.baselines };
  for (const stage of stages) {
    const steps = Array.isArray(stage.steps) ? stage.steps.filter(isObject) : [];
    const parallel = stage.mode === "parallel";
    const concurrency =
      typeof stage.concurrency === "number" && stage.concurrency > 0 ? stage.concurrency : steps.length;
    shape.stages.set(String(stage.id), {
      mode: parallel ? "parallel" : "sequential",
      concurrency: parallel ? Math.max(1, concurrency) : 1,
    });
    for (const step of steps) {
      const kind = Object.keys(step).find((key) => !STEP_KEYS.has(key));
      if (kind !== undefined) shape.kinds.set(String(step.id), kind);
    }
  }
  return shape;
}
