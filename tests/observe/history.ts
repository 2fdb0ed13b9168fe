/** A synthetic journal history for the health and SLA tests: finished runs and recoveries. */
import type { Journal, RunStatus } from "../../src/engine/journal.js";
import { event, newRun } from "../../src/testing/contract/builders.js";

export interface SyntheticRun {
  id: string;
  workflow?: string;
  /** The workflow's `sla:` block, as written. */
  sla?: unknown;
  createdAt: number;
  /** Run duration in ms; finishedAt = createdAt + durationMs. */
  durationMs: number;
  status?: Extract<RunStatus, "succeeded" | "failed" | "degraded" | "cancelled">;
  /** Recovery episodes that ended in this run: at (epoch ms) and whether they recovered. */
  recoveries?: { at: number; ok: boolean }[];
}

export async function addRun(journal: Journal, run: SyntheticRun): Promise<void> {
  const workflow = run.workflow ?? "deploy";
  const definition = {
    name: workflow,
    stages: [{ id: "build", steps: [{ id: "compile" }] }],
    ...(run.sla === undefined ? {} : { sla: run.sla }),
  };
  await journal.createRun(newRun(run.id, { workflow, definition, createdAt: run.createdAt }), []);
  const finishedAt = run.createdAt + run.durationMs;
  await journal.updateRun(
    run.id,
    { status: run.status ?? "succeeded", finishedAt, updatedAt: finishedAt, releaseLeaseOf: "host-a" },
    [],
  );
  let n = 0;
  for (const r of run.recoveries ?? []) {
    const common = {
      stageId: "build",
      stepId: `s${n++}`,
      patternId: null,
      errorType: "network" as const,
      attempts: 2,
      recoveryMs: 10,
    };
    await journal.appendEvents([
      r.ok
        ? event(run.id, "recovery.succeeded", { ...common, strategy: "retry" }, { at: r.at })
        : event(
            run.id,
            "recovery.failed",
            { ...common, strategy: "give_up", reason: "retries_exhausted" },
            { at: r.at },
          ),
    ]);
  }
}
