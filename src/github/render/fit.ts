/** GitHub's size limits for what the renderer produces, and cutting a text to one of them. */

/** Characters of a check run's `output.summary` (and `output.text`). */
export const SUMMARY_LIMIT = 65_535;
/** Characters of an issue or pull-request comment body, the hidden marker included. */
export const COMMENT_LIMIT = 65_536;
/** Annotations GitHub takes in one check-run create or update request. */
export const ANNOTATIONS_PER_REQUEST = 50;

/** The hidden marker of a run's status comment (the app appends it to the body as `\n\n<marker>`). */
export function commentMarker(runId: string): string {
  return `<!-- stageflow:run:${runId} -->`;
}

const FENCE = /^\s*(```|~~~)/;

/**
 * `text` when it has at most `limit` characters; otherwise cut at a line boundary, with a code
 * block left open by the cut closed, and `note` on a line of its own at the end, the whole at most
 * `limit` characters. Never cuts a surrogate pair in half.
 */
export function fit(text: string, limit: number, note: string): string {
  if (text.length <= limit) return text;
  const closer = "```\n";
  const room = limit - note.length - closer.length - 2;
  if (room <= 0) throw new Error(`fit: a limit of ${limit} leaves no room for the note`);
  let kept = text.slice(0, room);
  const newline = kept.lastIndexOf("\n");
  if (newline >= room / 2) kept = kept.slice(0, newline + 1);
  else if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1);
  if (!kept.endsWith("\n")) kept += "\n";
  const fences = kept.split("\n").filter((line) => FENCE.test(line)).length;
  if (fences % 2 === 1) kept += closer;
  return `${kept}\n${note}`;
}
