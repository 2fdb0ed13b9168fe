/**
 * `workflow_run.completed`: ends the `dispatch` steps that wait for this workflow run, with the
 * signal they wait for (a DispatchResult), and marks their records completed.
 */
import { isRefused } from "../../engine/index.js";
import type { DispatchResult } from "../../steps/github/dispatch-registry.js";
import type { AppDeps } from "./deps.js";

export async function onWorkflowRunCompleted(
  deps: AppDeps,
  workflowRun: {
    id: number;
    conclusion: string | null;
    html_url: string;
    run_started_at?: string | null;
    updated_at?: string | null;
  },
): Promise<void> {
  const records = await deps.store.byWorkflowRun(workflowRun.id);
  for (const record of records) {
    if (record.status !== "waiting") continue;
    const result: DispatchResult = {
      workflowRunId: workflowRun.id,
      conclusion: workflowRun.conclusion ?? "unknown",
      url: workflowRun.html_url,
      runStartedAt: workflowRun.run_started_at ?? null,
      runUpdatedAt: workflowRun.updated_at ?? null,
    };
    try {
      await deps.engine.signal(record.runId, record.signal, result, { sender: "github-actions" });
    } catch (error) {
      // A run that finished (e.g. cancelled) meanwhile has nothing left to wake.
      if (!isRefused(error, "run_finished", "run_not_found")) throw error;
    }
    await deps.store.complete(record.key);
    deps.reporter?.track(record.runId);
  }
}
