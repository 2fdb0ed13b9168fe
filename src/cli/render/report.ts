import type { RunReport, StepReport } from "../../index.js";
import { maskText } from "../mask.js";
import { causesText, dateTime, duration, excerpt, fit, MAX_WIDTH, symbol, table } from "./format.js";

const RESUMABLE = new Set(["failed", "blocked", "waiting", "running", "interrupted"]);

/**
 * The report of a run (`run`, `resume`, `status RUN`), as text: header, then each stage with its
 * steps, then recovery; read from the run model, so it agrees with the live view and `history`.
 * No line is wider than MAX_WIDTH. `resumeCommand` spells the resume hint (see cli/hint.ts).
 * @default `stageflow resume RUN`
 */
export function renderReport(
  report: RunReport,
  resumeCommand: (runId: string) => string = (id) => `stageflow resume ${id}`,
): string {
  const { run } = report;
  const state = report.state;
  const lines = [fit(`run ${run.id} (${run.workflow})`)];
  const reason = run.reason && run.reason !== state ? ` (${run.reason})` : "";
  const gone = state === "interrupted" && run.leaseOwner ? ` (owner ${run.leaseOwner} is gone)` : "";
  lines.push(fit(`status    ${symbol(state)} ${state}${reason}${gone}`));
  lines.push(`started   ${dateTime(run.createdAt)}`);
  lines.push(`duration  ${run.finishedAt === null ? state : duration(report.durationMs)}`);
  if (run.error) lines.push(fit(`error     ${maskText(run.error.message).split("\n")[0]}`));
  lines.push("");
  lines.push(...stageLines(report));
  lines.push(...recoveryLines(report));
  if (run.reason === "definition_changed") {
    lines.push("", `resume with: ${resumeCommand(run.id)} --accept-changes`);
  } else if (RESUMABLE.has(state)) {
    lines.push("", `resume with: ${resumeCommand(run.id)}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * "recovery" section: one row per recovery episode (what failed, what recovery did, how long it
 * took), each followed by the first line of its first error, so that no column is cut.
 */
function recoveryLines(report: RunReport): string[] {
  if (report.recovery.length === 0) return [];
  const head = ["RECOVERY", "STRATEGY", "PATTERN", "OUTCOME", "ATTEMPTS", "TIME"];
  const rows = report.recovery.map((r) => [
    `    ${r.stepId}`,
    r.strategies.join(" → "),
    r.patternId ?? (r.strategies.includes("degrade") ? "(optional)" : "(step retry)"),
    r.outcome,
    String(r.attempts),
    duration(r.recoveryMs),
  ]);
  const lines = table([head, ...rows], MAX_WIDTH);
  return [
    "",
    lines[0] ?? "",
    ...lines.slice(1).flatMap((line, i) => {
      const first = maskText(report.recovery[i]?.error ?? "").split("\n")[0] ?? "";
      return first.trim() ? [line, fit(`        ${first}`)] : [line];
    }),
  ];
}

function stageLines(report: RunReport): string[] {
  const rows: string[][] = [["STAGE / STEP", "STATUS", "ATTEMPTS", "DURATION", "REASON"]];
  const notes = new Map<number, string[]>();
  for (const stage of report.stages) {
    const why = stage.reason && !["succeeded", stage.status].includes(stage.reason) ? stage.reason : "";
    rows.push([`${symbol(stage.status)} ${stage.id}`, stage.status, "", duration(stage.durationMs), why]);
    for (const step of stage.steps) {
      rows.push(stepRow(step));
      if (step.error) notes.set(rows.length - 1, excerpt(maskText(step.error.message), "        "));
    }
  }
  return table(rows, MAX_WIDTH).flatMap((line, i) => [line, ...(notes.get(i) ?? [])]);
}

/** `1`, `2 (1 alternative)`, `3 (1 interrupted, 1 retry)`: attempts numbered across resumes. */
function attemptsCell(step: StepReport): string {
  if (step.attempts === 0) return "";
  const why = causesText(step.causes);
  return why ? `${step.attempts} (${why})` : String(step.attempts);
}

function stepRow(step: StepReport): string[] {
  const attempts = attemptsCell(step);
  const reason = step.reason && step.reason !== step.status ? step.reason : "";
  return [`    ${symbol(step.status)} ${step.id}`, step.status, attempts, duration(step.durationMs), reason];
}

/** A run as JSON for `--json` output (run, resume, status): the same shape everywhere. */
export function runJson(report: RunReport): Record<string, unknown> {
  const { run } = report;
  return {
    id: run.id,
    workflow: run.workflow,
    // The state shown: the recorded status, or `interrupted` for a run nobody executes any more.
    status: report.state,
    reason: run.reason,
    error: run.error,
    source: run.source,
    trigger: run.trigger,
    // What a host started the run with (engine StartOptions); masked on output like the rest.
    key: run.key,
    metadata: run.metadata,
    createdAt: new Date(run.createdAt).toISOString(),
    finishedAt: run.finishedAt === null ? null : new Date(run.finishedAt).toISOString(),
    durationMs: report.durationMs,
    state: report.state,
    stages: report.stages.map((s) => ({
      id: s.id,
      status: s.status,
      reason: s.reason,
      durationMs: s.durationMs,
    })),
    steps: report.stages.flatMap((s) =>
      s.steps.map((step) => ({
        id: step.id,
        stage: s.id,
        status: step.status,
        reason: step.reason,
        attempts: step.attempts,
        causes: step.causes,
        durationMs: step.durationMs,
        outputs: step.outputs,
        error: step.error,
      })),
    ),
  };
}
