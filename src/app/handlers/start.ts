/**
 * Starting a workflow from a label, a command or a button, once the trigger is known: trust of a
 * fork PR, the actor's permission, the PR head the trigger was accepted for (asked again when it
 * moved), then `engine.start` keyed by the delivery and the workflow (a redelivery starts
 * nothing), the run's ReportTarget, and 🚀.
 */
import { isInputError } from "../../engine/index.js";
import type { LoadedWorkflow } from "./deps.js";
import { mayAct } from "./permission.js";
import type { EventScope } from "./scope.js";

/** A pull request as the start needs it. */
export interface PullRef {
  number: number;
  headSha: string;
  /** From another repository than the base (or from a deleted fork). */
  fork: boolean;
}

export interface StartRequest {
  workflow: LoadedWorkflow;
  source: "label" | "command" | "button";
  /** The label or the command line. */
  detail: string;
  inputs: Record<string, unknown>;
  issueNumber: number;
  /** The PR and the head it was accepted for; null for a plain issue. */
  pr: PullRef | null;
}

interface PullPayload {
  number: number;
  head: { sha: string; repo?: { full_name: string } | null };
  base: { repo: { full_name: string } };
}

/** A PullRef from a `pull_request` object (of a payload or of `GET /pulls/{n}`). */
export function pullRefOf(pull: PullPayload): PullRef {
  return {
    number: pull.number,
    headSha: pull.head.sha,
    fork: pull.head.repo?.full_name !== pull.base.repo.full_name,
  };
}

/** The PR as GitHub has it now. */
export async function fetchPull(scope: EventScope, number: number): Promise<PullRef> {
  const { data } = await scope.client.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
    owner: scope.owner,
    repo: scope.repo,
    pull_number: number,
  });
  return pullRefOf(data as PullPayload);
}

/** How a workflow's command is written: `/deploy env=<staging|production> [dry_run=<boolean>]`. */
export function usageOf(workflow: LoadedWorkflow, prefix: string): string {
  const head = workflow.commands[0] ? `/${workflow.commands[0]}` : `${prefix} run ${workflow.name}`;
  const inputs = Object.entries(workflow.plan.inputs).map(([key, spec]) => {
    const value = `${key}=<${spec.options?.join("|") ?? spec.type}>`;
    return spec.required && spec.default === undefined ? value : `[${value}]`;
  });
  return [head, ...inputs].join(" ");
}

/** Whether the settings mark the workflow as needing trust (no start from a fork). */
export function needsTrust(needs: readonly string[], workflow: string): boolean {
  return needs.includes("*") || needs.includes(workflow);
}

/** Starts the workflow when everything allows it; answers on GitHub when not. The run id, or undefined. */
/**
 * The start key of the run a delivery starts for a workflow: one run per delivery and workflow
 * (a label two workflows list starts both; a redelivery starts neither again).
 */
export const deliveryStartKey = (deliveryId: string, workflow: string): string =>
  `delivery:${deliveryId}:${workflow}`;

export async function startWorkflow(scope: EventScope, request: StartRequest): Promise<string | undefined> {
  const { deps } = scope;
  const { settings } = await scope.config();
  const name = request.workflow.name;
  if (request.pr?.fork && needsTrust(settings.needs_trust, name)) {
    await scope.react("-1");
    await scope.reply("reply-refused", {
      reason: `a pull request from a fork cannot start ${name}: the settings mark it as needing trust (needs_trust)`,
      permission: null,
      teams: [],
    });
    return undefined;
  }
  const allowed = await mayAct(scope, {
    required: settings.permission,
    teams: settings.teams,
    action: `start ${name}`,
  });
  if (!allowed) return undefined;

  let headSha: string | null = null;
  if (request.pr) {
    const now = await fetchPull(scope, request.pr.number);
    if (now.headSha !== request.pr.headSha) {
      await scope.react("confused");
      await scope.reply("reply-invalid", {
        workflow: name,
        usage: null,
        prefix: settings.command_prefix,
        problems: [
          `the pull request's head moved from ${request.pr.headSha.slice(0, 7)} to ${now.headSha.slice(0, 7)} ` +
            `before ${name} started: nothing was started; ask again to run it on the new head`,
        ],
      });
      return undefined;
    }
    headSha = now.headSha;
  }

  let handle;
  try {
    handle = await deps.engine.start(request.workflow.plan, {
      key: deliveryStartKey(scope.deliveryId, name),
      trigger: { kind: request.source, actor: scope.actor, detail: request.detail },
      inputs: request.inputs,
      metadata: {
        installationId: scope.installationId,
        owner: scope.owner,
        repo: scope.repo,
        issue: request.issueNumber,
        pr: request.pr !== null,
        headSha,
        actor: scope.actor,
        deliveryId: scope.deliveryId,
        source: request.source,
      },
    });
  } catch (error) {
    if (!isInputError(error)) throw error;
    await scope.react("-1");
    await scope.reply("reply-invalid", {
      workflow: name,
      problems: [...error.issues],
      usage: usageOf(request.workflow, settings.command_prefix),
      prefix: settings.command_prefix,
    });
    return undefined;
  }
  handle.done.catch((error: unknown) =>
    deps.log.error("run stopped with an error", { runId: handle.runId, error: String(error) }),
  );
  const known = await deps.store.reportTarget(handle.runId);
  if (!known) {
    await deps.store.saveReportTarget({
      runId: handle.runId,
      installationId: scope.installationId,
      owner: scope.owner,
      repo: scope.repo,
      issueNumber: request.issueNumber,
      headSha,
      checkRunId: null,
      commentId: null,
    });
  }
  deps.reporter?.track(handle.runId);
  await scope.react("rocket");
  deps.log.info("run started", { runId: handle.runId, workflow: name, existing: handle.existing });
  return handle.runId;
}
