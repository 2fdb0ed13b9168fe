/**
 * Whether a run may continue under a changed definition (`resume --accept-changes`), and what
 * accepting the change does to its recorded results. Safe means that every guarantee still holds
 * and the workflow's order is kept:
 *
 * - a step that succeeded never runs again: it keeps its result when what it runs (its identity:
 *   kind, configuration, `with`, `env`, stage) is unchanged, and the change is refused when that
 *   changed (other keys, such as `retry` or `timeout`, no longer matter for it);
 * - a removed step keeps its attempts and events in the journal, its checkpoint is dropped, and
 *   a later step cannot reuse the id of a removed step that succeeded;
 * - a step skipped or failed (continue_on_error) whose definition changed loses that result and
 *   runs again; a new step runs;
 * - no step runs (new, changed or not yet run) in a stage before the last stage with a kept
 *   result: it would run after work the workflow puts after it;
 * - the run's inputs must satisfy the new `inputs:` (new defaults apply).
 */
import type { WorkflowPlan } from "../definition/plan.js";
import { resolveInputs } from "../definition/inputs.js";
import { errorMessage } from "../errors.js";
import type { CheckpointRecord } from "../journal.js";
import { type DefinitionChanges, diffPlans } from "./diff.js";

export interface ChangeAssessment {
  changes: DefinitionChanges;
  /** Why the change cannot be accepted; empty when it can. */
  refusals: string[];
  /** Checkpoints that no longer hold: dropped on acceptance. */
  drop: string[];
  /** Steps with a result that will run again (it was skipped or failed). */
  rerun: string[];
  /** The run's inputs under the new definition. */
  inputs: Record<string, unknown>;
}

export function assessChanges(
  recorded: WorkflowPlan,
  current: WorkflowPlan,
  run: { inputs: Record<string, unknown> },
  checkpoints: ReadonlyMap<string, CheckpointRecord>,
  /** Steps that succeeded in this run (any attempt), checkpoint or not. */
  succeeded: ReadonlySet<string>,
): ChangeAssessment {
  const changes = diffPlans(recorded, current);
  const refusals: string[] = [];
  const drop: string[] = [];
  const rerun: string[] = [];
  const steps = new Map(current.stages.flatMap((s) => s.steps.map((st) => [st.id, st] as const)));
  const changed = new Map(changes.stages.flatMap((s) => s.steps.map((c) => [c.stepId, c] as const)));
  const kept = new Set<string>();
  for (const cp of checkpoints.values()) {
    const step = steps.get(cp.stepId);
    const change = changed.get(cp.stepId);
    if (!step) drop.push(cp.stepId);
    else if (cp.status === "succeeded" && step.identity !== cp.identity) {
      kept.add(cp.stepId); // its result stands either way: later steps are ordered after it
      const what = change?.keys.join(", ") || "its definition";
      refusals.push(
        `step '${cp.stepId}' already succeeded and what it runs changed (${what}); ` +
          "a step that succeeded never runs again: restore it, or start a new run",
      );
    } else if (cp.status !== "succeeded" && change) {
      drop.push(cp.stepId);
      rerun.push(cp.stepId);
    } else kept.add(cp.stepId);
  }
  for (const id of succeeded) {
    if (steps.has(id) && !checkpoints.has(id)) {
      refusals.push(
        `step '${id}' succeeded earlier in this run and was removed; give the new step another id`,
      );
    }
  }
  refusals.push(...orderProblems(current, kept));
  let inputs = run.inputs;
  try {
    inputs = resolveInputs(current, run.inputs);
  } catch (error) {
    refusals.push(`the run's inputs do not fit the new definition: ${errorMessage(error)}`);
  }
  return { changes, refusals, drop, rerun, inputs };
}

/** Steps that would run in a stage before one whose results are kept. */
function orderProblems(current: WorkflowPlan, kept: ReadonlySet<string>): string[] {
  const lastDone = current.stages.findLastIndex((s) => s.steps.some((st) => kept.has(st.id)));
  const problems: string[] = [];
  for (const stage of current.stages.slice(0, Math.max(0, lastDone))) {
    for (const step of stage.steps) {
      if (kept.has(step.id)) continue;
      const later = current.stages[lastDone]?.id ?? "";
      problems.push(
        `step '${step.id}' in stage '${stage.id}' would run after stage '${later}', which already ran: ` +
          `put it in stage '${later}' or later, or start a new run`,
      );
    }
  }
  return problems;
}
