/**
 * The one permission rule for labels, commands and buttons: the actor needs `required` on the
 * repository (the collaborator permission API counts team access) or membership of one of
 * `teams`. A lookup that fails means no. A refused actor gets 👎 and a reply saying what is needed.
 */
import type { Permission } from "./deps.js";
import type { EventScope } from "./scope.js";

export interface Requirement {
  required: Permission;
  teams: string[];
  /** What the actor tried, for the reply: `start release`, `approve`, ... */
  action: string;
}

/** Whether the scope's actor may do it; when not, the refusal is answered. */
export async function mayAct(scope: EventScope, need: Requirement): Promise<boolean> {
  let verdict: { allowed: boolean; permission: string | null; reason: string };
  try {
    verdict = await scope.deps.github.checkPermission(scope.client, {
      owner: scope.owner,
      repo: scope.repo,
      username: scope.actor,
      required: need.required,
      teams: need.teams,
    });
  } catch (error) {
    verdict = { allowed: false, permission: null, reason: `permission lookup failed: ${String(error)}` };
  }
  if (verdict.allowed) return true;
  scope.deps.log.info("refused", { actor: scope.actor, action: need.action, reason: verdict.reason });
  await scope.react("-1");
  await scope.reply("reply-refused", {
    reason: verdict.reason,
    permission: need.required,
    teams: need.teams,
  });
  return false;
}

/** What is needed, in words: "write permission on the repository, or membership of org/a". */
export function neededText(need: Pick<Requirement, "required" | "teams">): string {
  const base = `${need.required} permission on the repository`;
  return need.teams.length ? `${base}, or membership of ${need.teams.join(", ")}` : base;
}
