import type { EventBus } from "./bus.js";
import type { WorkflowPlan } from "./definition/plan.js";
import type { EngineOptions, ResumeOptions, RunResult } from "./engine-api.js";
import { checkpointChecksum } from "./canonical.js";
import { InputError, RefusedError, toErrorInfo } from "./errors.js";
import { checkChanges, recordChanges } from "./changes/accept.js";
import { loadCheckpoints } from "./executor/checkpoints.js";
import type { LeaseKeeper } from "./executor/leases.js";
import { stopOrphans } from "./executor/orphans.js";
import type { RunServices } from "./executor/run-services.js";
import { RunRecorder } from "./executor/recorder.js";
import { type CheckpointRecord, type Journal, type RunRecord, TERMINAL_RUN_STATUSES } from "./journal.js";
import type { StepHandler } from "./handler.js";
import type { WakeCause } from "./parking/scheduler.js";
import type { Clock, Logger } from "./ports.js";
import type { ReasonCode } from "./reasons.js";
import { secretInputsForResume } from "./secrets/run-inputs.js";
import { closeInterrupted, endCancelled, stopOrphansOf, takeOver } from "./takeover.js";

interface Deps {
  journal: Journal;
  clock: Clock;
  bus: EventBus;
  leases: LeaseKeeper;
  options: EngineOptions;
  kinds: ReadonlyMap<string, StepHandler>;
  logger: Logger;
  /** Makes what the run's execution here gets from the host (its handlers, its breaker scope). */
  runServices: (run: RunRecord) => RunServices;
  /** A new unique id: keeps two resumes by one owner in the same millisecond distinct events. */
  newId: () => string;
}

export interface Prepared {
  recorder: RunRecorder;
  plan: WorkflowPlan;
  run: RunRecord;
  /** The inputs the run continues with: as recorded, with its secret inputs given again. */
  inputs: Record<string, unknown>;
  checkpoints: Map<string, CheckpointRecord>;
  lastAttempt: Map<string, number>;
  failedAttempts: Map<string, number>;
  runServices: RunServices;
}

/** Why a run cannot be resumed at all (unknown or finished), or null when it can. */
function notResumable(run: RunRecord | undefined, runId: string): RefusedError | null {
  if (!run) return new RefusedError("run_not_found", `unknown run '${runId}'`, runId);
  if ((TERMINAL_RUN_STATUSES as string[]).includes(run.status) && run.status !== "failed") {
    return new RefusedError(
      "run_finished",
      `run ${runId} already finished (${run.status}); nothing to resume`,
      runId,
    );
  }
  return null;
}

/**
 * Everything a resume does before it runs anything. First it takes the run over — one
 * compare-and-set in the journal (see takeover.ts); a live owner keeps it (RunBusyError,
 * `run_busy`). Then, holding the lease, it reads the run again (another process may have
 * finished it meanwhile) and checks it: a cancel requested ends it `cancelled`; a changed
 * definition or damaged checkpoints block it (status `blocked`, with the reason). In every case
 * what a dead owner's steps left running is stopped first (stopOrphans). Nothing is re-run; the
 * lease is released whenever the run is not going to be executed here.
 */
export async function prepareResume(
  deps: Deps,
  runId: string,
  opts: Pick<ResumeOptions, "plan" | "acceptChanges" | "secretInputs" | "skip"> & { wokenBy?: WakeCause },
  compile: (definition: unknown, hash: string) => WorkflowPlan,
): Promise<Prepared | { ended: RunResult }> {
  const { journal, clock, leases } = deps;
  const seen = await journal.getRun(runId);
  // Checked before the resume records anything (the take-over included).
  const secrets = seen ? secretInputsForResume(seen, opts.secretInputs ?? {}) : {};
  const refusal = notResumable(seen, runId);
  if (refusal || !seen) throw refusal;
  const now = clock.now();
  const owner = leases.owner;
  const previousOwner = await takeOver(
    journal,
    seen,
    { owner, expiresAt: leases.expiry(), now },
    deps.options.isOwnerAlive,
  );
  try {
    const prepared = await prepareTaken(deps, runId, opts, compile, previousOwner, now);
    if ("ended" in prepared) return prepared;
    return { ...prepared, inputs: { ...prepared.run.inputs, ...secrets } };
  } catch (error) {
    // Not going to run here after all: let the next resume take it at once.
    await journal.releaseLease(runId, owner).catch(() => {});
    throw error;
  }
}

/** The rest of prepareResume, once this process holds the run's lease. */
async function prepareTaken(
  deps: Deps,
  runId: string,
  {
    plan: current,
    acceptChanges = false,
    skip = [],
    wokenBy,
  }: Pick<ResumeOptions, "plan" | "acceptChanges" | "skip"> & {
    wokenBy?: WakeCause;
  },
  compile: (definition: unknown, hash: string) => WorkflowPlan,
  previousOwner: string | null,
  now: number,
): Promise<Omit<Prepared, "inputs"> | { ended: RunResult }> {
  const { journal, clock, leases } = deps;
  const owner = leases.owner;
  const run = await journal.getRun(runId);
  const late = notResumable(run, runId);
  if (late || !run) throw late;
  const recorder = new RunRecorder({
    journal,
    bus: deps.bus,
    clock,
    runId,
    correlationId: run.correlationId,
  });
  if (run.cancelRequested) {
    await endCancelled(journal, recorder, run, owner, now, deps);
    return { ended: { runId, status: "cancelled", reason: "cancelled" } };
  }
  const block = async (reason: ReasonCode, message: string): Promise<{ ended: RunResult }> => {
    // Nothing executes a blocked run: what a dead owner's steps left running is stopped now, not
    // only when (if ever) the run is resumed again. Its attempts stay open for that resume.
    await stopOrphansOf(journal, run, await journal.listAttempts(runId), deps);
    const error = toErrorInfo(new Error(message));
    error.reason = reason;
    await recorder.updateRun({ status: "blocked", reason, error, releaseLeaseOf: owner }, [
      recorder.event("run.blocked", { reason, message }),
    ]);
    return { ended: { runId, status: "blocked", reason, error } };
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
  const attempts = await journal.listAttempts(runId);
  // Throws, recording nothing, when the change is not safe to accept.
  const accepted = changed && checkChanges(run, plan, current, checkpoints, attempts);
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

  // Checked before anything is recorded: a bad id throws (the lease is released by the caller).
  const skipped = userSkips(run, plan, checkpoints, skip, now);

  // What a dead owner's steps left running is stopped before anything runs again.
  const runServices = deps.runServices(run);
  await stopOrphans(journal, deps.kinds, runServices, deps.logger, runId, attempts).catch(
    async (error: unknown) => {
      await journal.releaseLease(runId, leases.owner);
      throw error;
    },
  );
  const lastAttempt = new Map<string, number>();
  const failedAttempts = new Map<string, number>();
  for (const a of attempts) {
    lastAttempt.set(a.stepId, Math.max(lastAttempt.get(a.stepId) ?? 0, a.attempt));
    if (a.status === "failed" && run.status !== "failed" && run.status !== "waiting") {
      failedAttempts.set(a.stepId, (failedAttempts.get(a.stepId) ?? 0) + 1);
    }
  }
  // Enqueued together, so the journal commits them in one transaction.
  const interrupted = closeInterrupted(journal, attempts, now, "run again on resume");
  for (const cp of skipped) {
    interrupted.push(
      recorder.putCheckpoint(cp, [
        recorder.event("step.skipped", { stageId: cp.stageId, stepId: cp.stepId, reason: cp.reason }),
      ]),
    );
    checkpoints.set(cp.stepId, cp);
  }
  const skippedSteps = [...checkpoints.keys()];
  const resume = deps.newId();
  const resumed = recorder.updateRun({ status: "running", reason: null, error: null, finishedAt: null }, [
    ...(wokenBy ? [recorder.event("run.woken", { by: wokenBy }, `${owner}/${now}/${resume}`)] : []),
    recorder.event(
      "run.resumed",
      { owner, takenOverFrom: previousOwner, skippedSteps },
      `${owner}/${now}/${resume}`,
    ),
  ]);
  await Promise.all([...interrupted, resumed]);
  return { recorder, plan, run, checkpoints, lastAttempt, failedAttempts, runServices };
}

/**
 * The checkpoints of the steps a user skips on resume (`ResumeOptions.skip`): `skipped` with
 * reason `skipped_by_user`, no outputs. Only a failed or blocked run's steps that have not ended
 * (no checkpoint) can be skipped: InputError naming the step otherwise.
 */
function userSkips(
  run: RunRecord,
  plan: WorkflowPlan,
  checkpoints: ReadonlyMap<string, CheckpointRecord>,
  skip: readonly string[],
  now: number,
): CheckpointRecord[] {
  if (skip.length === 0) return [];
  if (run.status !== "failed" && run.status !== "blocked") {
    throw new InputError(
      "invalid_input",
      `skip: run ${run.id} is ${run.status}: only the steps of a failed or blocked run can be skipped`,
    );
  }
  const steps = new Map(plan.stages.flatMap((stage) => stage.steps.map((step) => [step.id, step] as const)));
  const out = new Map<string, CheckpointRecord>();
  for (const stepId of skip) {
    const step = steps.get(stepId);
    if (!step) {
      const known = [...steps.keys()].map((id) => `'${id}'`).join(", ");
      throw new InputError(
        "invalid_input",
        `skip: run ${run.id} (${run.workflow}) has no step '${stepId}' (its steps: ${known})`,
      );
    }
    const ended = checkpoints.get(stepId);
    if (ended) {
      throw new InputError(
        "invalid_input",
        `skip: step '${stepId}' of run ${run.id} already ended (${ended.status}, ${ended.reason}): only a step that has not ended can be skipped`,
      );
    }
    const base = { runId: run.id, stepId, identity: step.identity, status: "skipped" as const, outputs: {} };
    out.set(stepId, {
      ...base,
      stageId: step.stageId,
      reason: "skipped_by_user",
      attempts: 0,
      startedAt: now,
      finishedAt: now,
      checksum: checkpointChecksum(base),
    });
  }
  return [...out.values()];
}
