import type { WorkflowPlan } from "../definition/plan.js";
import { InputError } from "../errors.js";
import type { RunRecorder } from "../executor/recorder.js";
import type { AttemptRecord, CheckpointRecord, RunRecord } from "../journal.js";
import { assessChanges, type ChangeAssessment } from "./assess.js";

/** `resume --accept-changes` refused: the change is not safe (see assess.ts). Nothing was recorded. */
export class ChangesRefusedError extends InputError {
  constructor(
    readonly runId: string,
    readonly assessment: ChangeAssessment,
  ) {
    super(
      "definition_changed",
      `cannot accept the changes to the workflow of run ${runId}:\n` +
        assessment.refusals.map((r) => `  - ${r}`).join("\n"),
      assessment.refusals,
    );
  }
}

export const isChangesRefused = (e: unknown): e is ChangesRefusedError => e instanceof ChangesRefusedError;

/** Assesses the change; throws ChangesRefusedError when it is unsafe. Records nothing. */
export function checkChanges(
  run: RunRecord,
  recorded: WorkflowPlan,
  current: WorkflowPlan,
  checkpoints: ReadonlyMap<string, CheckpointRecord>,
  attempts: readonly AttemptRecord[],
): ChangeAssessment {
  const succeeded = new Set(attempts.filter((a) => a.status === "succeeded").map((a) => a.stepId));
  const assessment = assessChanges(recorded, current, run, checkpoints, succeeded);
  if (assessment.refusals.length > 0) throw new ChangesRefusedError(run.id, assessment);
  return assessment;
}

/**
 * Records the acceptance (with the lease held): the run's definition and inputs replaced, the
 * checkpoints that no longer hold dropped, and a `run.changes_accepted` event, in one write.
 * Returns the checkpoints that still hold.
 */
export async function recordChanges(
  recorder: RunRecorder,
  run: RunRecord,
  current: WorkflowPlan,
  assessment: ChangeAssessment,
  checkpoints: Map<string, CheckpointRecord>,
  now: number,
): Promise<Map<string, CheckpointRecord>> {
  const ids = (change: string) =>
    assessment.changes.stages.flatMap((s) => s.steps.filter((c) => c.change === change).map((c) => c.stepId));
  const event = recorder.event(
    "run.changes_accepted",
    {
      previousHash: run.definitionHash,
      hash: current.hash,
      added: ids("added"),
      removed: ids("removed"),
      changed: ids("changed"),
      rerun: assessment.rerun,
    },
    `${run.definitionHash}/${current.hash}/${now}`,
  );
  const replacement = {
    workflow: current.name,
    definition: current.definition,
    definitionHash: current.hash,
    inputs: assessment.inputs,
    dropCheckpoints: assessment.drop,
    updatedAt: now,
  };
  await recorder.replaceDefinition(replacement, [event]);
  const kept = new Map(checkpoints);
  for (const id of assessment.drop) kept.delete(id);
  return kept;
}
