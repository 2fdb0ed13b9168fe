/** GitHub's size limits that stageflow's reports must stay under. */
export const GITHUB_LIMITS = {
  /** Characters in an issue or pull-request comment body. */
  body: 65_536,
  /** Characters in a check run's `output.summary`. */
  checkRunSummary: 65_535,
  /** Characters in a check run's `output.text`. */
  checkRunText: 65_535,
  /** Characters in a check run's `output.title`. */
  checkRunTitle: 1_000,
  /** Annotations in one create or update request (GitHub appends across requests). */
  annotationsPerRequest: 50,
  /** Requested actions (buttons) on one check run. */
  actionsPerCheckRun: 3,
  actionLabel: 20,
  actionDescription: 40,
  actionIdentifier: 20,
} as const;

/** Options of {@link fitBody}. */
export interface FitOptions {
  /** The limit in characters (default {@link GITHUB_LIMITS.body}). */
  limit?: number;
  /** Characters the caller appends afterwards (a hidden marker), counted against the limit. */
  reserve?: number;
  /** The run, named in the default note so the reader can get the full report. */
  runId?: string;
  /** The note that replaces what was cut, given how many characters were cut. */
  note?: (cutCharacters: number) => string;
}

/** The default note at the end of a cut body. */
export function cutNote(cutCharacters: number, runId?: string): string {
  return (
    `…(cut: ${cutCharacters} characters over GitHub's limit; full report: ` +
    `\`stageflow report ${runId ?? "RUN"}\`)`
  );
}

const FENCE = /^\s*(```|~~~)/;

/**
 * Returns `text` unchanged when it fits; otherwise cuts it at a line boundary, closes a code
 * block left open by the cut, and appends a note saying how much was cut, so that the result plus
 * `reserve` characters stays within `limit`.
 */
export function fitBody(text: string, options: FitOptions = {}): string {
  const limit = options.limit ?? GITHUB_LIMITS.body;
  const reserve = options.reserve ?? 0;
  const budget = limit - reserve;
  if (text.length <= budget) return text;
  const note = options.note ?? ((cut: number) => cutNote(cut, options.runId));
  const closer = "```\n";
  // The note for the largest possible cut is the longest: reserve for it.
  const room = budget - note(text.length).length - closer.length - 2;
  if (room <= 0) throw new Error(`fitBody: a limit of ${limit} leaves no room for the cut note`);
  let kept = text.slice(0, room);
  const lastNewline = kept.lastIndexOf("\n");
  if (lastNewline >= room / 2) kept = kept.slice(0, lastNewline + 1);
  else if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1); // never half a surrogate pair
  const cut = text.length - kept.length;
  if (!kept.endsWith("\n")) kept += "\n";
  const fences = kept.split("\n").filter((line) => FENCE.test(line)).length;
  if (fences % 2 === 1) kept += closer;
  return `${kept}\n${note(cut)}`;
}
