/**
 * Small formatters shared by the view model and the template filters: durations as people read
 * them (`850ms`, `1.2s`, `3m 4s`, `2h 5m`), status emoji, and text made safe for Markdown.
 */

/** `850ms`, `1.2s`, `42s`, `3m 4s`, `2h 5m`; `-` for no duration. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "-";
  const value = Math.max(0, ms);
  if (value < 999.5) return `${Math.round(value)}ms`;
  if (value < 9_950) return `${(value / 1000).toFixed(1).replace(/\.0$/, "")}s`;
  const totalSeconds = Math.round(value / 1000);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const m = Math.floor(totalSeconds / 60);
  const s = totalSeconds % 60;
  if (m < 60) return s ? `${m}m ${s}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
}

const EMOJI: Record<string, string> = {
  succeeded: "✅",
  degraded: "⚠️",
  failed: "❌",
  timed_out: "⏱️",
  cancelled: "🚫",
  blocked: "⛔",
  skipped: "⏭️",
  pending: "⚪",
  running: "🔄",
  retrying: "🔁",
  waiting: "⏸️",
  escalated: "🙋",
  interrupted: "⏹️",
  action_required: "✋",
};

/** The emoji shown next to a run, stage or step state. */
export function stateEmoji(state: string): string {
  return EMOJI[state] ?? "❔";
}

/** The first line of a text, at most `max` characters (cut with `…`). */
export function firstLine(text: string, max = 300): string {
  const line = (text.split(/\r?\n/).find((l) => l.trim() !== "") ?? "").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A table cell: one line, `|` escaped, at most `max` characters. */
export function tableCell(value: unknown, max = 200): string {
  const text = String(value ?? "")
    .replace(/\r?\n|\r/g, " ")
    .trim();
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return cut.replace(/\|/g, "\\|");
}

/**
 * Inline code: the text in a code span (nothing in it is Markdown, a link or a @mention), with a
 * fence longer than any run of backticks inside; newlines become spaces.
 */
export function inlineCode(value: unknown): string {
  const text = String(value ?? "").replace(/\r?\n|\r/g, " ");
  if (text === "") return "";
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Text shown as prose: Markdown's special characters escaped, and @mentions kept from pinging. */
export function escapeMarkdown(value: unknown): string {
  return String(value ?? "")
    .replace(/([\\`*_{}[\]<>#|~!])/g, "\\$1")
    .replace(/@(?=\w)/g, "@\u200b");
}
