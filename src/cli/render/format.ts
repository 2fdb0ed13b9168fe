import { type AttemptCause, formatDuration } from "../../index.js";

const pad2 = (n: number) => String(n).padStart(2, "0");

/** `12:00:01.234`, local time: the prefix of plain progress lines. */
export function clockTime(at: number): string {
  const d = new Date(at);
  const ms = String(d.getMilliseconds()).padStart(3, "0");
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${ms}`;
}

/** `2024-01-15 14:23:15`, local time. */
export function dateTime(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${clockTime(at).slice(0, 8)}`;
}

/** A duration for reports, or `-` when unknown. */
export function duration(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? "-" : formatDuration(ms);
}

/** `+1.234s`: an offset from the start of a run's history. */
export function offset(ms: number): string {
  return `+${(ms / 1000).toFixed(3)}s`;
}

const SYMBOLS: Record<string, string> = {
  succeeded: "✔",
  degraded: "✔",
  failed: "✖",
  timed_out: "✖",
  cancelled: "⊘",
  blocked: "⊘",
  skipped: "↷",
  running: "▸",
  retrying: "↻",
  interrupted: "⊘",
  waiting: "⏸",
  escalated: "⏸",
  pending: "·",
};

/** One character that stands for a status in reports and live progress. */
export function symbol(status: string): string {
  return SYMBOLS[status] ?? "?";
}

/** The widest a rendered line may be: reports, tables and history fit an 100-column terminal. */
export const MAX_WIDTH = 100;

/** `1 attempt`, `2 attempts`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** A line cut to `width` columns, ending in `…` when cut. */
export function fit(line: string, width = MAX_WIDTH): string {
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}

const CAUSES: ReadonlyArray<[AttemptCause, string, string]> = [
  ["retry", "retry", "retries"],
  ["alternative", "alternative", "alternatives"],
  ["interrupted", "interrupted", "interrupted"],
  ["resumed", "resumed", "resumed"],
];

/** Why attempts 2..n were made: `1 retry, 1 alternative`; empty for one attempt. */
export function causesText(causes: Partial<Record<AttemptCause, number>>): string {
  return CAUSES.filter(([key]) => (causes[key] ?? 0) > 0)
    .map(([key, one, many]) => plural(causes[key] ?? 0, one, many))
    .join(", ");
}

/** `1 attempt`, `3 attempts: 1 interrupted, 1 retry`. */
export function attemptsText(attempts: number, causes: Partial<Record<AttemptCause, number>>): string {
  const why = causesText(causes);
  return `${plural(attempts, "attempt")}${why ? `: ${why}` : ""}`;
}

/**
 * Rows as left-aligned columns separated by two spaces; trailing blanks trimmed. With `width`,
 * the last column is cut so that every line fits.
 */
export function table(rows: readonly (readonly string[])[], width?: number): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) => {
    const line = row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
    return width === undefined ? line : fit(line, width);
  });
}

/** The first lines of a (possibly long) message, indented, each cut to MAX_WIDTH. */
export function excerpt(text: string, indent: string, maxLines = 3): string[] {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const shown = lines.slice(0, maxLines).map((line) => fit(indent + line));
  if (lines.length > maxLines) shown.push(`${indent}… (${lines.length - maxLines} more lines)`);
  return shown;
}

/**
 * The short id shown for a run: the last 8 hex digits of its UUIDv7, which are random. (The
 * first 8 are the time, shared by runs started together.) Commands accept it (see requireRun).
 */
export function shortId(runId: string): string {
  return runId.length > 12 ? runId.slice(-8) : runId;
}
