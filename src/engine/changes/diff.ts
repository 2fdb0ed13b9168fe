/**
 * What changed between the definition a run recorded and the workflow as it is now, by stage:
 * steps added, removed, changed (and which of their keys), or moved to another stage.
 */
import { canonicalJson } from "../canonical.js";
import type { StagePlan, StepPlan, WorkflowPlan } from "../definition/plan.js";

export interface StepChange {
  stepId: string;
  change: "added" | "removed" | "changed";
  /** changed: the keys as the file writes them (`run`, `with`, `retry`, `stage`, ...). */
  keys: string[];
  /** changed: whether what the step runs changed (its identity: kind, config, with, env, stage). */
  identity: boolean;
}

export interface StageChanges {
  stageId: string;
  change: "added" | "removed" | "changed" | "unchanged";
  /** changed: the stage's own keys that changed (`mode`, `timeout`, ...). */
  keys: string[];
  steps: StepChange[];
}

export interface DefinitionChanges {
  /** Every stage of either version: the current ones in order, then the removed ones. */
  stages: StageChanges[];
  /** Top-level parts that changed: `name`, `inputs`, `recovery`, `defaults`, ... */
  other: string[];
  /** Whether anything changed at all. */
  any: boolean;
}

const same = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);

const STEP_KEYS: ReadonlyArray<[keyof StepPlan, string]> = [
  ["config", "config"],
  ["with", "with"],
  ["env", "env"],
  ["retry", "retry"],
  ["timeoutMs", "timeout"],
  ["priority", "priority"],
  ["optional", "optional"],
  ["continueOnError", "continue_on_error"],
  ["if", "if"],
  ["dependency", "dependency"],
  ["outputs", "outputs"],
];

const STAGE_KEYS: ReadonlyArray<[keyof StagePlan, string]> = [
  ["mode", "mode"],
  ["concurrency", "concurrency"],
  ["failFast", "fail_fast"],
  ["timeoutMs", "timeout"],
  ["warnAfterMs", "warn_after"],
  ["onTimeout", "on_timeout"],
  ["if", "if"],
];

function stepKeys(before: StepPlan, after: StepPlan): string[] {
  const keys: string[] = [];
  if (before.kind !== after.kind) keys.push(`kind (${before.kind} → ${after.kind})`);
  for (const [key, name] of STEP_KEYS) {
    if (!same(before[key], after[key])) keys.push(key === "config" ? after.kind : name);
  }
  if (before.stageId !== after.stageId) keys.push(`stage (${before.stageId} → ${after.stageId})`);
  if (before.index !== after.index && keys.length === 0) keys.push("position");
  return keys;
}

export function diffPlans(recorded: WorkflowPlan, current: WorkflowPlan): DefinitionChanges {
  const before = new Map(recorded.stages.flatMap((s) => s.steps.map((st) => [st.id, st] as const)));
  const after = new Map(current.stages.flatMap((s) => s.steps.map((st) => [st.id, st] as const)));
  const oldStages = new Map(recorded.stages.map((s) => [s.id, s]));
  const stages: StageChanges[] = current.stages.map((stage) => {
    const old = oldStages.get(stage.id);
    const steps: StepChange[] = [];
    for (const step of stage.steps) {
      const was = before.get(step.id);
      if (!was) steps.push({ stepId: step.id, change: "added", keys: [], identity: true });
      else {
        const keys = stepKeys(was, step);
        const identity = was.identity !== step.identity;
        if (keys.length) steps.push({ stepId: step.id, change: "changed", keys, identity });
      }
    }
    for (const step of old?.steps ?? []) {
      if (!after.has(step.id)) steps.push({ stepId: step.id, change: "removed", keys: [], identity: true });
    }
    const keys = old ? STAGE_KEYS.filter(([k]) => !same(old[k], stage[k])).map(([, name]) => name) : [];
    const change = !old ? "added" : keys.length || steps.length ? "changed" : "unchanged";
    return { stageId: stage.id, change, keys, steps };
  });
  for (const old of recorded.stages) {
    if (current.stages.some((s) => s.id === old.id)) continue;
    const steps = old.steps
      .filter((s) => !after.has(s.id))
      .map((s): StepChange => ({ stepId: s.id, change: "removed", keys: [], identity: true }));
    stages.push({ stageId: old.id, change: "removed", keys: [], steps });
  }
  const other = [
    "name",
    "description",
    "on",
    "inputs",
    "defaults",
    "recovery",
    "sla",
    "baselines",
    "alerts",
  ].filter((key) => !same(part(recorded, key), part(current, key)));
  const any = other.length > 0 || stages.some((s) => s.change !== "unchanged");
  return { stages, other, any };
}

/** A top-level part of the recorded (normalised) definition. */
function part(plan: WorkflowPlan, key: string): unknown {
  return ((plan.definition ?? {}) as Record<string, unknown>)[key];
}
