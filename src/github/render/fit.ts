/** GitHub's size limits for what the renderer produces, and cutting a text to one of them. */
import { markerFor } from "../comments.js";
import { fitBody, GITHUB_LIMITS } from "../limits.js";

/** Characters of a check run's `output.summary` (and `output.text`). */
export const SUMMARY_LIMIT = GITHUB_LIMITS.checkRunSummary;
/** Characters of an issue or pull-request comment body, the hidden marker included. */
export const COMMENT_LIMIT = GITHUB_LIMITS.body;
/** Annotations GitHub takes in one check-run create or update request. */
export const ANNOTATIONS_PER_REQUEST = GITHUB_LIMITS.annotationsPerRequest;

/** The hidden marker of a run's status comment (the app appends it to the body as `\n\n<marker>`). */
export const commentMarker = markerFor;

/**
 * `text` when it has at most `limit` characters; otherwise cut at a line boundary, with a code
 * block left open by the cut closed, and `note` on a line of its own at the end, the whole at most
 * `limit` characters (see fitBody). Never cuts a surrogate pair in half.
 */
export function fit(text: string, limit: number, note: string): string {
  return fitBody(text, { limit, note: () => note });
}
