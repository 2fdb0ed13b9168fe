/**
 * Steering a run from a command or a check-run button: retry, skip, resume, cancel, approve,
 * status. The engine's refusals are answered in words.
 */
import {
  isInputError,
  isRefused,
  type ResumeOptions,
  type RunRecord,
  type RunReport,
} from "../../engine/index.js";
import type { Permission } from "./deps.js";
import { mayAct, neededText } from "./permission.js";
import type { EventScope } from "./scope.js";

const PERMISSIONS: readonly string[] = ["read", "triage", "write", "maintain", "admin"];
const isPermission = (value: unknown): value is Permission =>
  typeof value === "string" && PERMISSIONS.includes(value);

export type SteerKind = "retry" | "skip" | "resume" | "cancel" | "approve" | "status";

export interface SteerRequest {
  kind: SteerKind;
  /** retry: the failed step to retry (optional); skip: the step to skip. */
  step?: string;
}

/** Answers a request that cannot be carried out: 👎 and a reply saying why. */
export async function refuse(
  scope: EventScope,
  message: string,
  data: Record<string, unknown> = {},
): Promise<void> {
  await scope.react("-1");
  await scope.reply("reply-invalid", { problems: [message], message, ...data });
}

/** The issue's latest run, or the run `#RUN` names (its id, or an unambiguous start of it). */
export async function findRun(
  scope: EventScope,
  issueNumber: number,
  named: string | undefined,
): Promise<RunRecord | undefined> {
  const metadata = { owner: scope.owner, repo: scope.repo, issue: issueNumber };
  if (named === undefined) return (await scope.deps.engine.listRuns({ metadata, limit: 1 }))[0];
  const runs = await scope.deps.engine.listRuns({ metadata });
  const exact = runs.find((r) => r.id === named);
  if (exact) return exact;
  const prefixed = runs.filter((r) => r.id.startsWith(named));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** The approval steps of the run's definition: step id → its `approval` config. */
function approvalSteps(run: RunRecord): Map<string, Record<string, unknown>> {
  const definition = run.definition as { stages?: Array<{ steps?: Array<Record<string, unknown>> }> };
  const found = new Map<string, Record<string, unknown>>();
  for (const stage of definition.stages ?? []) {
    for (const step of stage.steps ?? []) {
      if (step.approval === undefined || typeof step.id !== "string") continue;
      found.set(
        step.id,
        (typeof step.approval === "object" && (step.approval as Record<string, unknown>)) || {},
      );
    }
  }
  return found;
}

/**
 * The approval step the run is waiting at now: what `approve` is for. Only a step the run has
 * reached and not finished (`running`: a parked wait keeps its step running) counts; an approval
 * step not reached yet does not (an approval given early would be taken later by that gate).
 */
export function waitingApproval(
  run: RunRecord,
  report: RunReport,
): { stepId: string; permission: Permission; teams: string[] } | undefined {
  const approvals = approvalSteps(run);
  for (const step of report.stages.flatMap((s) => s.steps)) {
    if (step.status !== "running") continue;
    const config = approvals.get(step.id);
    if (config) return { stepId: step.id, ...approverNeed(config) };
  }
  return undefined;
}

/** Who may approve an approval step, from its config. */
function approverNeed(config: Record<string, unknown>): { permission: Permission; teams: string[] } {
  const { permission, teams } = config;
  // A permission given by an expression cannot be read here: ask for the most (the kind
  // checks the approver again against the value it resolves).
  const required: Permission =
    permission === undefined ? "write" : isPermission(permission) ? permission : "admin";
  const list = Array.isArray(teams) ? teams.filter((t): t is string => typeof t === "string") : [];
  return { permission: required, teams: list };
}

/**
 * Why `skip STEP` is refused, or undefined when it may go ahead: only a step that failed can be
 * skipped (the engine takes it of a failed or blocked run only), and never an approval step:
 * skipping it would get past the gate without the permission the gate asks of its approver.
 */
function skipRefusal(run: RunRecord, report: RunReport, stepId: string): string | undefined {
  const steps = report.stages.flatMap((s) => s.steps);
  const step = steps.find((s) => s.id === stepId);
  if (!step) return `run ${run.id} has no step '${stepId}'`;
  const approval = approvalSteps(run).get(stepId);
  if (approval) {
    const { permission, teams } = approverNeed(approval);
    return (
      `'${stepId}' is an approval step of run ${run.id}: it cannot be skipped; it passes when ` +
      `someone with ${neededText({ required: permission, teams })} approves it once the run waits there`
    );
  }
  if (step.status === "failed") return undefined;
  const failed = steps.filter((s) => s.status === "failed").map((s) => s.id);
  return (
    `'${stepId}' is ${step.status} in run ${run.id}: only a failed step can be skipped` +
    (failed.length ? ` (failed: ${failed.join(", ")})` : " (no step failed)")
  );
}

/** Carries out a steering request on a run, answering refusals on the issue or PR. */
export async function steer(scope: EventScope, run: RunRecord, request: SteerRequest): Promise<void> {
  const { deps } = scope;
  const report = await deps.engine.report(run.id);
  if (request.kind === "status") {
    const view = deps.renderer.runView(report, { now: deps.clock.now() });
    const runs = await deps.engine.listRuns({
      metadata: { owner: scope.owner, repo: scope.repo, issue: Number(run.metadata.issue) },
      limit: 10,
    });
    await scope.reply("reply-status", {
      run: view,
      runs: runs.map((r) => ({
        runId: r.id,
        workflow: r.workflow,
        status: r.status,
        emoji: "",
        duration: "",
      })),
      pr: run.metadata.pr === true,
    });
    return;
  }
  if (request.kind === "approve") {
    const approval = waitingApproval(run, report);
    if (!approval) {
      // An approval given before its step is reached would be taken by that step later.
      const approvals = approvalSteps(run);
      const ahead = report.stages
        .flatMap((s) => s.steps)
        .find((s) => s.status === "pending" && approvals.has(s.id));
      await refuse(
        scope,
        `run ${run.id} of ${run.workflow} is not waiting for an approval` +
          (ahead
            ? `: its approval step '${ahead.id}' has not been reached yet; approve once it waits there`
            : ""),
      );
      return;
    }
    const allowed = await mayAct(scope, {
      required: approval.permission,
      teams: approval.teams,
      action: `approve ${approval.stepId} of ${run.workflow}`,
    });
    if (!allowed) return;
    await act(scope, run, () =>
      deps.engine.signal(run.id, "approve", { actor: scope.actor }, { sender: scope.actor }),
    );
    return;
  }
  const { settings } = await scope.config();
  const allowed = await mayAct(scope, {
    required: settings.permission,
    teams: settings.teams,
    action: `${request.kind} ${run.workflow}`,
  });
  if (!allowed) return;
  const steps = report.stages.flatMap((s) => s.steps);
  switch (request.kind) {
    case "retry": {
      if (request.step !== undefined) {
        const step = steps.find((s) => s.id === request.step);
        if (!step || step.status !== "failed") {
          const failed = steps.filter((s) => s.status === "failed").map((s) => s.id);
          await refuse(
            scope,
            `'${request.step}' is not a failed step of run ${run.id}` +
              (failed.length ? ` (failed: ${failed.join(", ")})` : " (no step failed)"),
          );
          return;
        }
      }
      await act(scope, run, () => resume(scope, run.id, {}));
      return;
    }
    case "skip": {
      const stepId = request.step ?? "";
      const refusal = skipRefusal(run, report, stepId);
      if (refusal !== undefined) {
        await refuse(scope, refusal);
        return;
      }
      await act(scope, run, () => resume(scope, run.id, { skip: [stepId] }));
      return;
    }
    case "resume":
      await act(scope, run, () => resume(scope, run.id, {}));
      return;
    case "cancel":
      await act(scope, run, () => deps.engine.cancel(run.id));
      return;
  }
}

async function resume(scope: EventScope, runId: string, options: ResumeOptions): Promise<void> {
  const handle = await scope.deps.engine.resume(runId, options);
  handle.done.catch((error: unknown) =>
    scope.deps.log.error("run stopped with an error", { runId, error: String(error) }),
  );
}

/** Runs an engine call; on success 🚀 and the reporter is told, on a refusal a reply in words. */
async function act(scope: EventScope, run: RunRecord, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (isRefused(error) || isInputError(error)) {
      await refuse(scope, refusalText(run, error), { workflow: run.workflow });
      return;
    }
    throw error;
  }
  scope.deps.reporter?.track(run.id);
  await scope.react("rocket");
}

/** A refusal of the engine, in words. */
export function refusalText(
  run: RunRecord,
  error: { message: string; code?: string; reason?: string },
): string {
  const which = `run ${run.id} of ${run.workflow}`;
  switch (error.code) {
    case "run_finished":
      return `${which} has already finished (${run.status}): start a new run instead`;
    case "run_busy":
      return `${which} is being executed right now: try again when it stops`;
    case "run_not_found":
      return `${which} no longer exists`;
    case "signal_unknown":
      return `${which} has no step waiting for that`;
    case "storage_unavailable":
    case "storage_corrupt":
      return `the app cannot reach its journal just now (${error.code}): try again later`;
    default:
      return `${which}: ${error.message}`;
  }
}
