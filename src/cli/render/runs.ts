import type { RunRecord } from "../../engine/journal.js";
import { dateTime, duration, MAX_WIDTH, shortId, symbol, table } from "./format.js";

/** `stageflow status`: one row per run, newest first; no line wider than MAX_WIDTH. */
export function renderRuns(runs: readonly RunRecord[], now: number): string {
  if (runs.length === 0) return "no runs\n";
  const rows = [["ID", "WORKFLOW", "STATUS", "REASON", "CREATED", "DURATION"]];
  for (const run of runs) {
    const end = run.finishedAt ?? (run.status === "running" ? now : null);
    const took = end === null ? "-" : duration(end - run.createdAt) + (run.finishedAt === null ? "…" : "");
    const reason = run.reason && run.reason !== run.status ? run.reason : "";
    rows.push([
      shortId(run.id),
      run.workflow,
      `${symbol(run.status)} ${run.status}`,
      reason,
      dateTime(run.createdAt),
      took,
    ]);
  }
  return `${table(rows, MAX_WIDTH).join("\n")}\n`;
}
