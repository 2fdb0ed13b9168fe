/**
 * The step kinds of the GitHub App: `github` (a REST method by its Octokit name), `dispatch` (a
 * GitHub Actions workflow, waited for durably) and `approval` (waits for `/stageflow approve`).
 * Not part of `builtinSteps()`: the app (or another host that speaks to GitHub) registers them:
 *
 *   for (const [kind, h] of Object.entries(githubSteps({ clientFor, dispatches }))) engine.register(kind, h);
 */
import type { StepHandler } from "../../engine/handler.js";
import { createApprovalStep } from "./approval-step.js";
import { createDispatchStep } from "./dispatch-step.js";
import { createGithubStep } from "./github-step.js";
import { createRestMethodCatalog } from "../../github/methods.js";
import type { GitHubStepsOptions } from "./shared.js";

/** The GitHub step kinds by name. Each run's steps use `options.clientFor(run)` (once per execution of the run). */
export function githubSteps(options: GitHubStepsOptions): {
  github: StepHandler;
  dispatch: StepHandler;
  approval: StepHandler;
} {
  return {
    github: createGithubStep(options, createRestMethodCatalog()),
    dispatch: createDispatchStep(options),
    approval: createApprovalStep(options),
  };
}

export { APPROVE_SIGNAL, type ApprovalConfig, approvalConfig, PERMISSIONS } from "./approval-step.js";
export type { DispatchRecord, DispatchRegistry, DispatchResult } from "./dispatch-registry.js";
export { dispatchSignal } from "./dispatch-step.js";
export { GitHubRequestError, type GitHubStepsOptions } from "./shared.js";
