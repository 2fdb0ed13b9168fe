/** Reactions on a command's comment: 👀 received, 🚀 started, 👎 refused. */
import type { GitHubClient } from "./client.js";

export type ReactionContent = "eyes" | "rocket" | "-1" | "+1" | "confused";

/**
 * Adds a reaction to an issue or pull-request comment. Never throws: a reaction is feedback, not
 * work, so a failure returns false and the caller logs it.
 */
export async function addReaction(
  client: GitHubClient,
  options: { owner: string; repo: string; commentId: number; content: ReactionContent },
): Promise<boolean> {
  try {
    await client.request("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", {
      owner: options.owner,
      repo: options.repo,
      comment_id: options.commentId,
      content: options.content,
    });
    return true;
  } catch {
    return false;
  }
}
