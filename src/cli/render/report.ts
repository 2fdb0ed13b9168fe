import type { RunReport, StepReport } from "../../engine/engine-api.js";
import { maskText } from "../mask.js";
import { dateTime, duration, excerpt, symbol, table } from "./format.js";

const RESUMABLE = new Set(["failed", "blocked", "waiting", "running"]);

/**
 * The final report of a run, as text: header, then each stage with its steps. `resumeCommand`
 * spells the resume hint (see cli/hint.ts). @default `stageflow resume RUN`. A run whose owner
 * is gone shows `interrupted`.
 */
export function renderReport(
  report: RunReport,
  resumeCommand: (runId: string) => string = (id) => `stageflow resume ${id}`,
): string {
  const { run } = report;
  const lines = [`run ${run.id} (${run.workflow})`];
  const status = displayStatus(report);
  const reason = run.reason && run.reason !== status ? ` (${run.reason})` : "";
  const gone = report.interrupted && run.leaseOwner ? ` (owner ${run.leaseOwner} is gone)` : "";
  lines.push(`status    ${symbol(status)} ${status}${reason}${gone}`);
  lines.push(`started   ${dateTime(run.createdAt)}`);
  const going = run.status === "running" ? (report.interrupted ? "-" : "running") : null;
  lines.push(`duration  ${going ?? duration(report.durationMs)}`);
  if (run.error) lines.push(`error     ${maskText(run.error.message).split("\n")[0]}`);
  lines.push("");
  lines.push(...stageLines(report));
  lines.push(...recoveryLines(report));
  if (RESUMABLE.has(run.status)) {
    lines.push("", `resume with: ${resumeCommand(run.id)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** "recovery" section: one line per step that failed and what recovery did about it. */
function recoveryLines(report: RunReport): string[] {
  if (report.recovery.length === 0) return [];
  const rows = report.recovery.map((r) => [
    `    ${r.stepId}`,
    r.strategies.join(" → "),
    r.patternId ?? "(step retry)",
    r.outcome,
    String(r.attempts),
    maskText(r.error).split("\n")[0]?.slice(0, 60) ?? "",
  ]);
  return ["", ...table([["RECOVERY", "STRATEGY", "PATTERN", "OUTCOME", "ATTEMPTS", "FIRST ERROR"], ...rows])];
}

function stageLines(report: RunReport): string[] {
  const rows: string[][] = [["STAGE / STEP", "STATUS", "ATTEMPTS", "DURATION", "REASON"]];
  const notes = new Map<number, string[]>();
  for (const stage of report.stages) {
    rows.push([`${symbol(stage.status)} ${stage.id}`, stage.status, "", duration(stage.durationMs), ""]);
    for (const step of stage.steps) {
      rows.push(stepRow(step));
      if (step.error) notes.set(rows.length - 1, excerpt(maskText(step.error.message), "        "));
    }
  }
  return table(rows).flatMap((line, i) => [line, ...(notes.get(i) ?? [])]);
}

function stepRow(step: StepReport): string[] {
  const attempts =
    step.attempts > 1 ? `${step.attempts} (retried)` : step.attempts ? String(step.attempts) : "";
  const reason = step.reason && step.reason !== step.status ? step.reason : "";
  return [`    ${symbol(step.status)} ${step.id}`, step.status, attempts, duration(step.durationMs), reason];
}

/** The run's status as shown: `interrupted` for a `running` run that nobody executes any more. */
export function displayStatus(report: Pick<RunReport, "run" | "interrupted">): string {
  return report.interrupted ? "interrupted" : report.run.status;
}

/** A run as JSON for `--json` output (run, resume, status): the same shape everywhere. */
export function runJson(report: RunReport): Record<string, unknown> {
  const { run } = report;
  return {
    id: run.id,
    workflow: run.workflow,
    status: displayStatus(report),
    reason: run.reason,
    error: run.error,
    source: run.source,
    trigger: run.trigger,
    createdAt: new Date(run.createdAt).toISOString(),
    finishedAt: run.finishedAt === null ? null : new Date(run.finishedAt).toISOString(),
    durationMs: report.durationMs,
    stages: report.stages.map((s) => ({ id: s.id, status: s.status, durationMs: s.durationMs })),
    steps: report.stages.flatMap((s) =>
      s.steps.map((step) => ({
        id: step.id,
        stage: s.id,
        status: step.status,
        reason: step.reason,
        attempts: step.attempts,
        durationMs: step.durationMs,
        outputs: step.outputs,
        error: step.error,
      })),
    ),
  };
}
