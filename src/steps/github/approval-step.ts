/**
 * The `approval` kind: waits for the signal `approve` (payload `{ actor }`), which the host sends
 * for `/stageflow approve` or the check run's Approve button once it has checked the actor's
 * permission. With the host's `permission` check (GitHubStepsOptions.permission) the kind checks
 * the approver again, and fails the step when the actor lacks it.
 *
 *   - id: prod_ok
 *     approval: { permission: maintain, teams: [acme/release], timeout: 24h, message: "Ship 1.2 to production?" }
 *
 * `permission` (default `write`): read, triage, write, maintain or admin; `teams`: `org/slug`
 * whose members may approve too; `timeout` (default 24h): past it the step fails `timed_out`
 * (a durable deadline, fixed by the first execution); `message`: what the host shows. Outputs:
 * `approved_by` and `at`.
 */
import { durationMs, parseDuration } from "../../engine/definition/durations.js";
import { InputError, TimeoutError } from "../../engine/errors.js";
import type { StepContext, StepHandler, StepOutputs } from "../../engine/handler.js";
import { type GitHubStepsOptions, isExpression, isPlainObject } from "./shared.js";

/** The signal an approval step waits for. */
export const APPROVE_SIGNAL = "approve";
/** Repository permissions, weakest first. */
export const PERMISSIONS = ["read", "triage", "write", "maintain", "admin"] as const;
const KEYS = ["permission", "teams", "timeout", "message"];
const DEFAULT_TIMEOUT = "24h";

/** An approval step's config, as validated. */
export interface ApprovalConfig {
  permission: (typeof PERMISSIONS)[number];
  teams: string[];
  timeout: string;
  message: string | undefined;
}

/** The `approval` kind (see `githubSteps`). */
export function createApprovalStep(options: GitHubStepsOptions): StepHandler {
  return {
    outputs: ["approved_by", "at"],
    waits: true,
    validate: approvalProblems,
    dependency: () => undefined,
    signals: () => [APPROVE_SIGNAL],
    execute: (ctx) => executeApproval(ctx, options),
  };
}

function approvalProblems(config: unknown): Array<[string, string]> {
  if (config === null || config === undefined) return [];
  if (!isPlainObject(config)) return [["", "must be a map with permission, teams, timeout, message (or {})"]];
  const problems: Array<[string, string]> = [];
  for (const key of Object.keys(config))
    if (!KEYS.includes(key)) problems.push([key, `unknown key (known: ${KEYS.join(", ")})`]);
  const { permission, teams, timeout, message } = config;
  if (
    permission !== undefined &&
    !isExpression(permission) &&
    !(PERMISSIONS as readonly unknown[]).includes(permission)
  )
    problems.push([
      "permission",
      `must be one of ${PERMISSIONS.join(", ")}, got ${JSON.stringify(permission)}`,
    ]);
  if (teams !== undefined) {
    if (!Array.isArray(teams)) problems.push(["teams", "must be a list of org/slug"]);
    else
      teams.forEach((team, i) => {
        if (typeof team !== "string" || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(team))
          problems.push([`teams.${i}`, `must be org/slug, got ${JSON.stringify(team)}`]);
      });
  }
  if (timeout !== undefined && !isExpression(timeout) && parseDuration(timeout) === undefined)
    problems.push(["timeout", "must be a duration such as '30m' or '24h'"]);
  if (message !== undefined && typeof message !== "string") problems.push(["message", "must be text"]);
  return problems;
}

/** An approval step's config with its defaults (InputError when it does not validate). */
export function approvalConfig(config: unknown, stepId: string): ApprovalConfig {
  const problems = approvalProblems(config);
  if (problems.length > 0) {
    const text = problems.map(([at, m]) => `${at ? `approval.${at}` : "approval"}: ${m}`).join("; ");
    throw new InputError("invalid_input", `step '${stepId}': ${text}`);
  }
  const c = isPlainObject(config) ? config : {};
  return {
    permission: (c.permission as ApprovalConfig["permission"] | undefined) ?? "write",
    teams: (c.teams as string[] | undefined) ?? [],
    timeout: (c.timeout as string | undefined) ?? DEFAULT_TIMEOUT,
    message: c.message as string | undefined,
  };
}

async function executeApproval(ctx: StepContext, options: GitHubStepsOptions): Promise<StepOutputs> {
  const config = approvalConfig(ctx.config, ctx.stepId);
  const timeoutMs = durationMs(config.timeout, `step '${ctx.stepId}': approval.timeout`);
  const deadline = await ctx.deadline(timeoutMs);
  const got = await ctx.waitFor({ signal: APPROVE_SIGNAL, deadline });
  if (!got) {
    throw new TimeoutError(`step '${ctx.stepId}': nobody approved within ${config.timeout}`, timeoutMs);
  }
  const payload = isPlainObject(got.payload) ? got.payload : {};
  const actor = typeof payload.actor === "string" ? payload.actor : got.sender;
  if (typeof actor !== "string" || actor === "") {
    throw new InputError(
      "invalid_input",
      `step '${ctx.stepId}': the approve signal names no actor ({ actor })`,
    );
  }
  if (options.permission) {
    const teams = config.teams.length > 0 ? config.teams : undefined;
    if (!(await options.permission(ctx.run, actor, config.permission, teams))) {
      const also = teams ? ` or membership of ${teams.join(", ")}` : "";
      throw new InputError(
        "invalid_input",
        `step '${ctx.stepId}': ${actor} may not approve: approving needs ${config.permission} permission on the repository${also}`,
      );
    }
  }
  return { approved_by: actor, at: got.at };
}
