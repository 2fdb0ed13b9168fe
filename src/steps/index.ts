/**
 * The built-in step kinds. Which of them a host offers is its choice: `builtinSteps()` gives
 * `http`; `run` (shell commands) only when the host passes the directory and the
 * environment commands get, `builtinSteps({ run: { cwd, env } })`.
 * `wait` and `signal` are the engine's own durable kinds (src/engine/kinds/), always registered.
 * The GitHub App's kinds (`github`, `dispatch`, `approval`) are `githubSteps(options)`, apart.
 */
import type { StepHandler } from "../engine/handler.js";
import { createHttpStep, type HttpStepOptions } from "./http.js";
import { createRunStep, type RunStepOptions } from "./run.js";

/** What a host chooses for the built-in kinds. */
export interface BuiltinStepsOptions {
  /** Enables the `run` kind, with the working directory and environment its commands get. */
  run?: RunStepOptions;
  /** Options of the `http` kind (its `fetch`). */
  http?: HttpStepOptions;
}

/**
 * The built-in kinds by name, to register on an engine:
 * `for (const [kind, h] of Object.entries(builtinSteps({ run: { cwd, env } }))) engine.register(kind, h)`.
 * Without `options.run` there is no `run` kind: a workflow that uses one fails validation.
 */
export function builtinSteps(options: BuiltinStepsOptions = {}): Record<string, StepHandler> {
  const steps: Record<string, StepHandler> = { http: createHttpStep(options.http) };
  if (options.run) steps.run = createRunStep(options.run);
  return steps;
}

export {
  HttpError,
  HttpRequestError,
  isHttpError,
  isHttpRequestError,
  isRunStepError,
  RunStepError,
} from "./errors.js";
export { createHttpStep, type FetchFunction, httpStep, type HttpStepOptions } from "./http.js";
export { HTTP_METHODS, type HttpConfig } from "./http-config.js";
export { OutputFileError, parseOutputFile } from "./output-file.js";
export { createRunStep, type RunStepOptions } from "./run.js";
export {
  APPROVE_SIGNAL,
  type DispatchRecord,
  type DispatchRegistry,
  type DispatchResult,
  dispatchSignal,
  GitHubRequestError,
  githubSteps,
  type GitHubStepsOptions,
} from "./github/index.js";
export { rewriteCommand } from "./run-template.js";
