/**
 * The app's behaviour as a Probot application function: which webhook events it handles and
 * what each does. Everything it touches comes from AppDeps (see deps.ts), so the composition
 * root wires the real modules and tests can wire their own.
 */
import type { ApplicationFunction, Probot } from "probot";
import { onRequestedAction } from "./buttons.js";
import { mayBeCommand, onCommentCreated } from "./comments.js";
import type { AppDeps } from "./deps.js";
import { onWorkflowRunCompleted } from "./dispatch.js";
import { onLabeled } from "./labels.js";
import { type PayloadBasics, scopeOf } from "./scope.js";
import { pullRefOf } from "./start.js";

/** The events the app subscribes to (app.yml lists the same). */
export const HANDLED_EVENTS = [
  "issues.labeled",
  "pull_request.labeled",
  "issue_comment.created",
  "check_run.requested_action",
  "workflow_run.completed",
  "push",
] as const;

/** The Probot app: `probot.load(createStageflowApp(deps))`. */
export function createStageflowApp(deps: AppDeps): ApplicationFunction {
  return (app: Probot) => {
    app.on("issues.labeled", async ({ id, payload }) => {
      // A PR's labels come as pull_request.labeled: never start twice.
      if (!payload.label || payload.issue.pull_request) return;
      const scope = await scopeOf(deps, id, payload as PayloadBasics, { issueNumber: payload.issue.number });
      if (!scope) return;
      await onLabeled(scope, { label: payload.label.name, issueNumber: payload.issue.number, pr: null });
    });

    app.on("pull_request.labeled", async ({ id, payload }) => {
      if (!payload.label) return;
      const scope = await scopeOf(deps, id, payload as PayloadBasics, {
        issueNumber: payload.pull_request.number,
      });
      if (!scope) return;
      await onLabeled(scope, {
        label: payload.label.name,
        issueNumber: payload.pull_request.number,
        pr: pullRefOf(payload.pull_request),
      });
    });

    app.on("issue_comment.created", async ({ id, payload }) => {
      const body = payload.comment.body ?? "";
      if (!mayBeCommand(body)) return;
      const scope = await scopeOf(deps, id, payload as PayloadBasics, {
        issueNumber: payload.issue.number,
        commentId: payload.comment.id,
      });
      if (!scope) return;
      await onCommentCreated(scope, {
        body,
        issueNumber: payload.issue.number,
        isPull: Boolean(payload.issue.pull_request),
      });
    });

    app.on("check_run.requested_action", async ({ id, payload }) => {
      const scope = await scopeOf(deps, id, payload as PayloadBasics, { issueNumber: null });
      if (!scope) return;
      await onRequestedAction(scope, {
        identifier: payload.requested_action?.identifier ?? "",
        externalId: payload.check_run.external_id ?? null,
      });
    });

    app.on("workflow_run.completed", async ({ payload }) => {
      await onWorkflowRunCompleted(deps, payload.workflow_run);
    });

    app.on("push", async ({ payload }) => {
      if (payload.ref !== `refs/heads/${payload.repository.default_branch}`) return;
      const owner = payload.repository.owner?.login ?? payload.repository.full_name.split("/")[0] ?? "";
      deps.workflows.invalidate({ owner, repo: payload.repository.name });
    });
  };
}
