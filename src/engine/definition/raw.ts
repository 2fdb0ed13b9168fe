import { isRecord } from "./describe.js";
import type { Segment } from "./problems.js";

/**
 * The stages and steps of a workflow that may not have passed validation yet: only the parts
 * that are objects, with their paths. Lets every check run even when another one failed.
 */
export interface RawStep {
  value: Record<string, unknown>;
  path: Segment[];
  /** The string id, when there is one. */
  id?: string;
  index: number;
}

export interface RawStage {
  value: Record<string, unknown>;
  path: Segment[];
  id?: string;
  index: number;
  parallel: boolean;
  steps: RawStep[];
}

const idOf = (value: Record<string, unknown>) => (typeof value.id === "string" ? value.id : undefined);

export function rawStages(data: unknown): RawStage[] {
  const stages = isRecord(data) && Array.isArray(data.stages) ? data.stages : [];
  const out: RawStage[] = [];
  stages.forEach((stage: unknown, index) => {
    if (!isRecord(stage)) return;
    const path: Segment[] = ["stages", index];
    const steps: RawStep[] = [];
    (Array.isArray(stage.steps) ? stage.steps : []).forEach((step: unknown, i) => {
      if (isRecord(step)) steps.push({ value: step, path: [...path, "steps", i], id: idOf(step), index: i });
    });
    out.push({ value: stage, path, id: idOf(stage), index, parallel: stage.mode === "parallel", steps });
  });
  return out;
}

/** Every string inside `value`, with its path (keys of mappings are not visited). */
export function* strings(value: unknown, path: Segment[]): Generator<[string, Segment[]]> {
  if (typeof value === "string") yield [value, path];
  else if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* strings(item, [...path, i]);
  else if (isRecord(value))
    for (const [key, item] of Object.entries(value)) yield* strings(item, [...path, key]);
}
