import type { EventBus } from "./bus.js";
import type { WorkflowPlan } from "./definition/plan.js";
import type { EngineOptions, RunResult } from "./engine-api.js";
import { InputError, toErrorInfo } from "./errors.js";
import { checkChanges, recordChanges } from "./changes/accept.js";
import { loadCheckpoints } from "./executor/checkpoints.js";
import { type LeaseKeeper, leaseHolderGone } from "./executor/leases.js";
import { RunRecorder } from "./executor/recorder.js";
import { type CheckpointRecord, type Journal, type RunRecord, TERMINAL_RUN_STATUSES } from "./journal.js";
import type { Clock } from "./ports.js";
import type { ReasonCode } from "./reasons.js";

/** Keeps two resumes by one owner in the same millisecond distinct events. */
let resumes = 0;

interface Deps {
  journal: Journal;
  clock: Clock;
  bus: EventBus;
  leases: LeaseKeeper;
  options: EngineOptions;
}

export interface Prepared {
  recorder: RunRecorder;
  plan: WorkflowPlan;
  run: RunRecord;
  checkpoints: Map<string, CheckpointRecord>;
  lastAttempt: Map<string, number>;
  failedAttempts: Map<string, number>;
}

/**
 * Everything a resume checks before it runs anything: the run exists and is resumable, no live
 * process holds it, the definition did not change under it, its checkpoints are intact. Problems
 * with the run's recorded state block it (status `blocked`, with the reason); nothing is re-run.
 */
export async function prepareResume(
  deps: Deps,
  runId: string,
  current: WorkflowPlan | undefined,
  compile: (definition: unknown, hash: string) => WorkflowPlan,
  acceptChanges = false,
): Promise<Prepared | { blocked: RunResult }> {
  const { journal, clock, leases } = deps;
  const run = await journal.getRun(runId);
  if (!run) throw new InputError("invalid_input", `unknown run '${runId}'`);
  if ((TERMINAL_RUN_STATUSES as string[]).includes(run.status) && run.status !== "failed") {
    throw new InputError("invalid_input", `run ${runId} already finished (${run.status}); nothing to resume`);
  }
  const now = clock.now();
  let force = false;
  if (run.status === "running" && run.leaseOwner && run.leaseOwner !== leases.owner) {
    if (!leaseHolderGone(run, now, deps.options.isOwnerAlive)) {
      const until = new Date(run.leaseExpiresAt ?? 0).toISOString();
      throw new InputError(
        "invalid_input",
        `run ${runId} is being executed by ${run.leaseOwner} (lease until ${until})`,
      );
    }
    force = true;
  }
  const recorder = new RunRecorder(journal, deps.bus, clock, runId, run.correlationId);
  const block = async (reason: ReasonCode, message: string): Promise<{ blocked: RunResult }> => {
    const error = toErrorInfo(new Error(message));
    error.reason = reason;
    await recorder.updateRun({ status: "blocked", reason, error }, [
      recorder.event("run.blocked", { reason, message }),
    ]);
    return { blocked: { runId, status: "blocked", reason, error } };
  };
  const changed = current !== undefined && current.hash !== run.definitionHash;
  if (changed && !acceptChanges) {
    return block(
      "definition_changed",
      `the workflow${run.source ? ` ${run.source}` : ""} changed since run ${runId} started ` +
        `(recorded ${run.definitionHash.slice(0, 12)}…, now ${current.hash.slice(0, 12)}…); ` +
        "restore it, accept the changes (resume --accept-changes), or start a new run",
    );
  }
  let plan: WorkflowPlan;
  try {
    plan = compile(run.definition, run.definitionHash);
  } catch (error) {
    return block(
      "checkpoint_corrupt",
      `the recorded definition of run ${runId} is unusable: ${String(error)}`,
    );
  }
  if (plan.hash !== run.definitionHash) {
    return block("checkpoint_corrupt", `the recorded definition of run ${runId} does not match its hash`);
  }
  if (run.source) plan.source = run.source;
  const { checkpoints: loaded, problems } = await loadCheckpoints(journal, runId, plan);
  let checkpoints = loaded;
  if (problems.length > 0) {
    return block(problems[0]?.reason ?? "checkpoint_corrupt", problems.map((p) => p.message).join("; "));
  }
  // Throws, recording nothing, when the change is not safe to accept.
  const accepted =
    changed && checkChanges(run, plan, current, checkpoints, await journal.listAttempts(runId));
  const acquired = await journal.acquireLease(runId, leases.owner, leases.expiry(), now, force);
  if (!acquired) throw new InputError("invalid_input", `run ${runId} is held by another process`);
  if (accepted) {
    checkpoints = await recordChanges(recorder, run, current, accepted, checkpoints, now);
    plan = { ...current, ...(run.source ? { source: run.source } : {}) };
    Object.assign(run, {
      workflow: current.name,
      definition: current.definition,
      definitionHash: current.hash,
    });
    run.inputs = accepted.inputs;
  }

  const lastAttempt = new Map<string, number>();
  const failedAttempts = new Map<string, number>();
  const interrupted: Promise<void>[] = [];
  for (const a of await journal.listAttempts(runId)) {
    lastAttempt.set(a.stepId, Math.max(lastAttempt.get(a.stepId) ?? 0, a.attempt));
    if (a.status === "failed" && run.status !== "failed" && run.status !== "waiting") {
      failedAttempts.set(a.stepId, (failedAttempts.get(a.stepId) ?? 0) + 1);
    }
    if (a.status === "running") {
      // Enqueued together, so the journal commits them in one transaction.
      interrupted.push(
        journal.finishAttempt(
          {
            runId,
            stepId: a.stepId,
            attempt: a.attempt,
            status: "cancelled",
            reason: "interrupted",
            finishedAt: now,
            decision: "run again on resume",
          },
          null,
          [],
        ),
      );
    }
  }
  const skippedSteps = [...checkpoints.keys()];
  const resumed = recorder.updateRun({ status: "running", reason: null, error: null, finishedAt: null }, [
    recorder.event(
      "run.resumed",
      { owner: leases.owner, takenOverFrom: acquired.previousOwner, skippedSteps },
      `${leases.owner}/${now}/${++resumes}`,
    ),
  ]);
  await Promise.all([...interrupted, resumed]);
  return { recorder, plan, run, checkpoints, lastAttempt, failedAttempts };
}
