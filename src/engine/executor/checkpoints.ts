import { checkpointChecksum } from "../canonical.js";
import type { WorkflowPlan } from "../definition/plan.js";
import type { CheckpointRecord, Journal } from "../journal.js";
import type { ReasonCode } from "../reasons.js";

export interface CheckpointProblem {
  reason: ReasonCode;
  message: string;
}

/**
 * Loads a run's checkpoints and checks each against its checksum and the step's identity in the
 * plan. Any mismatch is a problem to report (the run is blocked), never a silent skip or re-run.
 */
export async function loadCheckpoints(
  journal: Journal,
  runId: string,
  plan: WorkflowPlan,
): Promise<{ checkpoints: Map<string, CheckpointRecord>; problems: CheckpointProblem[] }> {
  const steps = new Map(plan.stages.flatMap((stage) => stage.steps.map((step) => [step.id, step] as const)));
  const checkpoints = new Map<string, CheckpointRecord>();
  const problems: CheckpointProblem[] = [];
  for (const cp of await journal.listCheckpoints(runId)) {
    const expected = checkpointChecksum(cp);
    if (expected !== cp.checksum) {
      problems.push({
        reason: "checkpoint_corrupt",
        message: `checkpoint of step '${cp.stepId}' is corrupted (checksum ${cp.checksum.slice(0, 12)}… expected ${expected.slice(0, 12)}…)`,
      });
      continue;
    }
    const step = steps.get(cp.stepId);
    if (!step) {
      problems.push({
        reason: "determinism_error",
        message: `checkpoint of step '${cp.stepId}' has no step of that id in the workflow`,
      });
    } else if (step.identity !== cp.identity) {
      problems.push({
        reason: "determinism_error",
        message: `step '${cp.stepId}' changed since it ran (identity ${cp.identity.slice(0, 12)}…, now ${step.identity.slice(0, 12)}…)`,
      });
    }
    checkpoints.set(cp.stepId, cp);
  }
  return { checkpoints, problems };
}
