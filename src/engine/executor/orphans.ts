import { errorMessage, StageflowError } from "../errors.js";
import type { StepHandler } from "../handler.js";
import type { AttemptRecord, Journal } from "../journal.js";
import type { Logger } from "../ports.js";
import type { RunServices } from "./run-services.js";

const key = (a: { stepId: string; attempt: number }) => `${a.stepId}\n${a.attempt}`;

/**
 * Before a resume runs anything (or blocks the run), and before a cancel ends a run nobody
 * executes: each process a handler recorded for an attempt that never finished (its owner died
 * mid-step) goes back to the kind that recorded it (`stopOrphan`), so that the step does not run
 * twice at once, nor outlive its run. What the records mean is the kind's business. A kind that
 * cannot stop its orphan stops the resume or the cancel (a StageflowError naming the step). A kind with
 * `forRun` stops it with the handler made for this run (see RunServices).
 */
export async function stopOrphans(
  journal: Journal,
  kinds: ReadonlyMap<string, StepHandler>,
  perRun: RunServices,
  logger: Logger,
  runId: string,
  attempts: readonly AttemptRecord[],
): Promise<void> {
  const records = await journal.listProcesses(runId);
  if (records.length === 0) return;
  const finished = new Set(attempts.filter((a) => a.status !== "running").map(key));
  for (const record of records) {
    if (finished.has(key(record))) continue;
    const registered = kinds.get(record.kind);
    let handler: StepHandler | undefined;
    try {
      handler = registered && perRun.stopper(record.kind, registered);
    } catch (error) {
      throw new StageflowError(
        "handler_error",
        `run ${runId}: could not make the '${record.kind}' handler of the run to stop what attempt ` +
          `${record.attempt} of step '${record.stepId}' left running: ${errorMessage(error)}`,
      );
    }
    if (!handler?.stopOrphan) {
      logger.warn("a dead owner's step may have left a process running; its kind cannot stop it", {
        runId,
        stepId: record.stepId,
        kind: record.kind,
      });
      continue;
    }
    try {
      await handler.stopOrphan(record.process, logger);
    } catch (error) {
      throw new StageflowError(
        "handler_error",
        `run ${runId}: could not stop what attempt ${record.attempt} of step '${record.stepId}' ` +
          `left running: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
