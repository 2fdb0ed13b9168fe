import { RunBusyError } from "./errors.js";
import type { RunRecorder } from "./executor/recorder.js";
import type { AttemptRecord, Journal, RunRecord } from "./journal.js";

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

/**
 * Ends a run this process holds the lease of, and that nobody executes, as `cancelled`: a cancel
 * of an orphaned run, or a resume that finds a cancel requested. Releases the lease in the same
 * write.
 */
export async function endCancelled(
  journal: Journal,
  recorder: RunRecorder,
  run: Pick<RunRecord, "id" | "createdAt">,
  owner: string,
  now: number,
): Promise<void> {
  const closed = closeInterrupted(journal, await journal.listAttempts(run.id), now, "run cancelled");
  const ended = recorder.updateRun(
    { status: "cancelled", reason: "cancelled", finishedAt: now, releaseLeaseOf: owner },
    [recorder.event("run.cancelled", { durationMs: now - run.createdAt })],
  );
  await Promise.all([...closed, ended]);
}
