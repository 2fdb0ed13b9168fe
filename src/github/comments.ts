/**
 * One status comment per run, updated in place. The comment carries a hidden marker; only
 * comments this app wrote are ever matched (a user's comment that quotes the marker is left
 * alone), and a create that failed with a 5xx or a network error is checked before it is
 * repeated, so a run never gets a second comment.
 */
import type { GitHubClient } from "./client.js";
import { httpStatus, mayHaveApplied } from "./errors.js";
import { fitBody, GITHUB_LIMITS } from "./limits.js";

/** The fields of an issue comment that matching needs. */
export interface IssueCommentLike {
  id: number;
  body?: string | null;
  user?: { login: string; type?: string } | null;
  performed_via_github_app?: { slug?: string | null } | null;
}

/** The hidden marker of a run's status comment. */
export function markerFor(runId: string): string {
  return `<!-- stageflow:run:${runId} -->`;
}

/**
 * A predicate that matches comments written by this app: by `performed_via_github_app.slug`,
 * or by the bot user (`<slug>[bot]`, or `botLogin`) of type Bot.
 */
export function ownCommentBy(who: {
  appSlug?: string;
  botLogin?: string;
}): (comment: IssueCommentLike) => boolean {
  const botLogin = who.botLogin ?? (who.appSlug ? `${who.appSlug}[bot]` : undefined);
  if (!who.appSlug && !botLogin) throw new Error("ownCommentBy needs appSlug or botLogin");
  return (comment) =>
    (who.appSlug !== undefined && comment.performed_via_github_app?.slug === who.appSlug) ||
    (comment.user?.type === "Bot" && comment.user.login === botLogin);
}

/** What {@link upsertComment} writes and where. */
export interface UpsertCommentOptions {
  owner: string;
  repo: string;
  issueNumber: number;
  /** The hidden marker ({@link markerFor}), appended to the body. */
  marker: string;
  body: string;
  /** The comment written before for this run, if known. */
  commentId?: number | null;
  /** Whether a comment was written by this app ({@link ownCommentBy}). */
  isOwn: (comment: IssueCommentLike) => boolean;
  /** Named in the note when the body has to be cut. */
  runId?: string;
}

/** The longest list of comments searched (100 per page). */
const MAX_PAGES = 30;

/** Finds this app's comment that carries the marker, oldest first. */
export async function findOwnComment(
  client: GitHubClient,
  options: Pick<UpsertCommentOptions, "owner" | "repo" | "issueNumber" | "marker" | "isOwn">,
): Promise<IssueCommentLike | undefined> {
  for (let page = 1; page <= MAX_PAGES; page++) {
    const { data } = await client.request("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      owner: options.owner,
      repo: options.repo,
      issue_number: options.issueNumber,
      per_page: 100,
      page,
    });
    const found = (data as IssueCommentLike[]).find(
      (c) => typeof c.body === "string" && c.body.includes(options.marker) && options.isOwn(c),
    );
    if (found) return found;
    if (data.length < 100) return undefined;
  }
  return undefined;
}

async function patch(
  client: GitHubClient,
  options: UpsertCommentOptions,
  commentId: number,
  body: string,
): Promise<void> {
  await client.request("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", {
    owner: options.owner,
    repo: options.repo,
    comment_id: commentId,
    body,
  });
}

/**
 * Creates the run's status comment or updates it in place. With a known `commentId` it updates
 * that comment (falling back to a search when it was deleted); otherwise it searches the issue's
 * comments for this app's comment with the marker, then creates one. Writes nothing when the
 * comment found already has the body.
 */
export async function upsertComment(
  client: GitHubClient,
  options: UpsertCommentOptions,
): Promise<{ id: number; created: boolean }> {
  const suffix = `\n\n${options.marker}`;
  const body =
    fitBody(options.body, { limit: GITHUB_LIMITS.body, reserve: suffix.length, runId: options.runId }) +
    suffix;

  if (options.commentId != null) {
    try {
      await patch(client, options, options.commentId, body);
      return { id: options.commentId, created: false };
    } catch (error) {
      if (httpStatus(error) !== 404) throw error;
    }
  }

  const existing = await findOwnComment(client, options);
  if (existing) {
    if (existing.body !== body) await patch(client, options, existing.id, body);
    return { id: existing.id, created: false };
  }

  try {
    const { data } = await client.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      owner: options.owner,
      repo: options.repo,
      issue_number: options.issueNumber,
      body,
    });
    return { id: Number(data.id), created: true };
  } catch (error) {
    if (!mayHaveApplied(error)) throw error;
    // The create may have applied before the error: converge on it instead of creating another.
    const applied = await findOwnComment(client, options);
    if (!applied) throw error;
    if (applied.body !== body) await patch(client, options, applied.id, body);
    return { id: applied.id, created: true };
  }
}
