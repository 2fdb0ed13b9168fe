import type { RunRecord } from "../../index.js";
import { dateTime, duration, MAX_WIDTH, shortId, symbol, table } from "./format.js";

/**
 * `stageflow status`: one row per run, newest first. Runs in `interrupted` (running, but their
 * owner is gone) show as such, followed by the command that resumes them (`hint`).
 */
export function renderRuns(
  runs: readonly RunRecord[],
  now: number,
  interrupted: { ids: ReadonlySet<string>; hint: (ids: string[]) => string } = {
    ids: new Set(),
    hint: () => "",
  },
): string {
  if (runs.length === 0) return "no runs\n";
  const rows = [["ID", "WORKFLOW", "STATUS", "REASON", "CREATED", "DURATION"]];
  for (const run of runs) {
    const gone = interrupted.ids.has(run.id);
    const status = gone ? "interrupted" : run.status;
    const end = run.finishedAt ?? (run.status === "running" && !gone ? now : null);
    const took = end === null ? "-" : duration(end - run.createdAt) + (run.finishedAt === null ? "…" : "");
    const reason = run.reason && run.reason !== status ? run.reason : "";
    rows.push([
      shortId(run.id),
      run.workflow,
      `${symbol(status)} ${status}`,
      reason,
      dateTime(run.createdAt),
      took,
    ]);
  }
  const gone = runs.filter((run) => interrupted.ids.has(run.id)).map((run) => run.id);
  const note =
    gone.length > 0
      ? `\n${gone.length} interrupted (owner gone); resume with: ${interrupted.hint(gone)}\n`
      : "";
  return `${table(rows, MAX_WIDTH).join("\n")}\n${note}`;
}
