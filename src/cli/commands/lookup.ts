import { InputError, type Journal, RefusedError, type RunRecord, type RunStatus } from "../../index.js";
import { dateTime } from "../render/format.js";

/** Statuses from which nothing more happens to a run (blocked and failed runs can be resumed). */
export const FINISHED: readonly RunStatus[] = ["succeeded", "degraded", "cancelled"];

/** The fewest characters of an id that `requireRun` looks up by a part of it. */
export const MIN_ID_PART = 4;

/** No run matches the id given on the command line: the engine's `run_not_found`. */
export class UnknownRunError extends RefusedError {
  declare readonly runId: string;
  constructor(runId: string) {
    super("run_not_found", `unknown run '${runId}' (see: stageflow status)`, runId);
  }
}

/** More than one run matches a part of an id; the message lists them. */
export class AmbiguousRunError extends InputError {
  constructor(
    readonly part: string,
    readonly candidates: readonly RunRecord[],
  ) {
    const lines = candidates.map((r) => `  ${r.id}  ${r.workflow}  ${r.status}  ${dateTime(r.createdAt)}`);
    super(
      "invalid_input",
      `run id '${part}' is ambiguous; it matches ${candidates.length} runs:\n${lines.join("\n")}\n` +
        "give more characters of the id",
    );
  }
}

/**
 * The run with this id, or the one run whose id starts or ends with `id` (at least 4
 * characters): the short id that progress and `status` show is the end of the run id (its
 * random part, see shortId), and a prefix works as in git.
 */
export async function requireRun(journal: Journal, id: string): Promise<RunRecord> {
  const exact = await journal.getRun(id);
  if (exact) return exact;
  const part = id.toLowerCase();
  if (part.length >= MIN_ID_PART) {
    const matches = (await journal.listRuns()).filter(
      (run) => run.id.startsWith(part) || run.id.endsWith(part),
    );
    if (matches.length === 1 && matches[0]) return matches[0];
    if (matches.length > 1) throw new AmbiguousRunError(id, matches);
  }
  throw new UnknownRunError(id);
}
