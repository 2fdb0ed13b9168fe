import { InputError } from "../../engine/errors.js";
import type { Journal, RunRecord, RunStatus } from "../../engine/journal.js";

/** Statuses from which nothing more happens to a run (blocked and failed runs can be resumed). */
export const FINISHED: readonly RunStatus[] = ["succeeded", "degraded", "cancelled"];

export class UnknownRunError extends InputError {
  constructor(readonly runId: string) {
    super("invalid_input", `unknown run '${runId}' (see: stageflow status)`);
  }
}

/** The run with this id, or with this unique id prefix (at least 4 characters, as progress shows 8). */
export async function requireRun(journal: Journal, id: string): Promise<RunRecord> {
  const exact = await journal.getRun(id);
  if (exact) return exact;
  if (id.length >= 4) {
    const matches = (await journal.listRuns()).filter((run) => run.id.startsWith(id));
    if (matches.length === 1 && matches[0]) return matches[0];
    if (matches.length > 1) {
      throw new InputError(
        "invalid_input",
        `run id prefix '${id}' is ambiguous: ${matches.map((r) => r.id).join(", ")}`,
      );
    }
  }
  throw new UnknownRunError(id);
}
