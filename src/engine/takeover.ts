import { RunBusyError } from "./errors.js";
import { stopOrphans } from "./executor/orphans.js";
import type { RunRecorder } from "./executor/recorder.js";
import type { RunServices } from "./executor/run-services.js";
import type { StepHandler } from "./handler.js";
import type { AttemptRecord, Journal, RunRecord } from "./journal.js";
import type { Logger } from "./ports.js";

/**
 * Taking a run over, the one way every path does it (resume, resume --all, cancel of an orphaned
 * run): ONE compare-and-set in the journal. It takes the lease when nobody holds it, when the
 * holder let it expire, or when the holder is exactly the owner this host knows is dead
 * (`isOwnerAlive` → false: its pid is gone). A holder that renews its lease and may be alive
 * keeps the run: the caller gets a RunBusyError (`run_busy`) naming it. Two processes that both
 * saw a dead holder cannot both win: the second one finds the first as the holder.
 *
 * Returns the previous holder (null when the lease was free).
 */
export async function takeOver(
  journal: Journal,
  run: Pick<RunRecord, "id" | "leaseOwner">,
  lease: { owner: string; expiresAt: number; now: number },
  isOwnerAlive?: (owner: string) => boolean | undefined,
): Promise<string | null> {
  const holder = run.leaseOwner;
  const dead = holder !== null && holder !== lease.owner && isOwnerAlive?.(holder) === false;
  const outcome = await journal.acquireLease(
    run.id,
    lease.owner,
    lease.expiresAt,
    lease.now,
    dead ? { takeOverFrom: holder } : {},
  );
  if (!outcome.acquired) throw new RunBusyError(run.id, outcome.owner, outcome.expiresAt);
  return outcome.previousOwner;
}

/**
 * Closes the attempts a dead owner left `running` (as cancelled, reason `interrupted`), all in
 * the journal's next commit. `decision` says what happens next.
 */
export function closeInterrupted(
  journal: Journal,
  attempts: readonly AttemptRecord[],
  now: number,
  decision: string,
): Promise<void>[] {
  return attempts
    .filter((a) => a.status === "running")
    .map((a) =>
      journal.finishAttempt(
        {
          runId: a.runId,
          stepId: a.stepId,
          attempt: a.attempt,
          status: "cancelled",
          reason: "interrupted",
          finishedAt: now,
          decision,
        },
        null,
        [],
      ),
    );
}

/** What stopping what a dead owner's steps left running needs (the engine's, as resume gets them). */
export interface OrphanStopper {
  kinds: ReadonlyMap<string, StepHandler>;
  logger: Logger;
  /** Makes the run's services (the `forRun` handlers whose `stopOrphan` stops its orphans). */
  runServices(run: RunRecord): RunServices;
}

/**
 * stopOrphans for a run that is not going to execute here: its services are made for it and
 * dropped after.
 */
export async function stopOrphansOf(
  journal: Journal,
  run: RunRecord,
  attempts: readonly AttemptRecord[],
  orphans: OrphanStopper,
): Promise<void> {
  const runServices = orphans.runServices(run);
  try {
    await stopOrphans(journal, orphans.kinds, runServices, orphans.logger, run.id, attempts);
  } finally {
    runServices.drop();
  }
}

/**
 * Ends a run this process holds the lease of, and that nobody executes, as `cancelled`: a cancel
 * of an orphaned run, or a resume that finds a cancel requested. First, what a dead owner's steps
 * left running is stopped (see stopOrphans): a cancelled run is never resumed, so nothing would
 * stop it later. When that fails (a kind cannot stop its orphan) this throws and records nothing;
 * the caller releases the lease, the cancel request stays, and the next cancel or resume tries
 * again. Otherwise the run ends `cancelled`, its open attempts closed, the lease released in the
 * same write. Removing its work directory is the caller's (the engine's) part.
 */
export async function endCancelled(
  journal: Journal,
  recorder: RunRecorder,
  run: RunRecord,
  owner: string,
  now: number,
  orphans: OrphanStopper,
): Promise<void> {
  const attempts = await journal.listAttempts(run.id);
  await stopOrphansOf(journal, run, attempts, orphans);
  const closed = closeInterrupted(journal, attempts, now, "run cancelled");
  const ended = recorder.updateRun(
    { status: "cancelled", reason: "cancelled", finishedAt: now, releaseLeaseOf: owner },
    [recorder.event("run.cancelled", { durationMs: now - run.createdAt })],
  );
  await Promise.all([...closed, ended]);
}
