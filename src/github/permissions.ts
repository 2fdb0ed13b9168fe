/**
 * One rule for labels, commands and buttons: the actor needs the configured permission on the
 * repository (the collaborator permission API, which counts team access) or membership of a
 * listed team. A failed lookup means no.
 */
import type { GitHubClient } from "./client.js";
import { httpStatus } from "./errors.js";

export type Permission = "read" | "triage" | "write" | "maintain" | "admin";

const RANK: Record<Permission, number> = { read: 1, triage: 2, write: 3, maintain: 4, admin: 5 };

function isPermission(value: unknown): value is Permission {
  return typeof value === "string" && Object.hasOwn(RANK, value);
}

/** True when `has` is at least `required` (admin > maintain > write > triage > read). */
export function permits(has: Permission | "none" | null, required: Permission): boolean {
  return isPermission(has) && RANK[has] >= RANK[required];
}

/** Who is asking and what they need. */
export interface CheckPermissionOptions {
  owner: string;
  repo: string;
  username: string;
  required: Permission;
  /** Teams whose members are allowed whatever their permission: "org/team-slug". */
  teams?: string[];
}

/** The decision, with a sentence for the reply. */
export interface PermissionDecision {
  allowed: boolean;
  /** The actor's permission on the repository; null when the lookup failed. */
  permission: Permission | "none" | null;
  reason: string;
}

function describeFailure(error: unknown): string {
  const status = httpStatus(error);
  return status === undefined ? "a network error" : `HTTP ${status}`;
}

/**
 * Decides whether `username` may act on the repository: by permission (`role_name` when it is a
 * standard role, else the base `permission`), then by membership (state active) of one of
 * `teams`. Never throws: a failed lookup refuses, and the reason says so.
 */
export async function checkPermission(
  client: GitHubClient,
  options: CheckPermissionOptions,
): Promise<PermissionDecision> {
  const { owner, repo, username, required } = options;
  const teams = options.teams ?? [];
  const who = `@${username}`;
  let permission: Permission | "none" | null = null;
  const failures: string[] = [];
  try {
    const { data } = await client.request("GET /repos/{owner}/{repo}/collaborators/{username}/permission", {
      owner,
      repo,
      username,
    });
    const role: unknown = (data as { role_name?: unknown }).role_name;
    permission = isPermission(role) ? role : isPermission(data.permission) ? data.permission : "none";
  } catch (error) {
    failures.push(`the permission lookup for ${who} on ${owner}/${repo} failed (${describeFailure(error)})`);
  }
  if (permits(permission, required)) {
    return { allowed: true, permission, reason: `${who} has ${permission} permission on ${owner}/${repo}` };
  }

  for (const team of teams) {
    const [org, slug, ...extra] = team.split("/");
    if (!org || !slug || extra.length > 0) {
      failures.push(`the team "${team}" is not written as org/team-slug`);
      continue;
    }
    try {
      const { data } = await client.request("GET /orgs/{org}/teams/{team_slug}/memberships/{username}", {
        org,
        team_slug: slug,
        username,
      });
      if (data.state === "active") {
        return { allowed: true, permission, reason: `${who} is a member of ${org}/${slug}` };
      }
    } catch (error) {
      if (httpStatus(error) !== 404) {
        failures.push(`the membership lookup for ${who} in ${team} failed (${describeFailure(error)})`);
      }
    }
  }

  const needs =
    `needs ${required} permission on ${owner}/${repo}` +
    (teams.length > 0 ? ` or membership of ${teams.join(", ")}` : "");
  const has =
    permission === null
      ? ""
      : permission === "none"
        ? `; ${who} has no access`
        : `; ${who} has ${permission}`;
  const failed = failures.length > 0 ? `; ${failures.join("; ")}, so the request is refused` : "";
  return { allowed: false, permission, reason: `${needs}${has}${failed}` };
}
