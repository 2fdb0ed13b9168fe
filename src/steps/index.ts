/**
 * The built-in step kinds. Hosts register them: `for (const [k, h] of Object.entries(builtinSteps())) ...`.
 * `wait` and `signal` are the engine's own durable kinds (src/engine/kinds/), always registered.
 */
import type { StepHandler } from "../engine/handler.js";
import { httpStep } from "./http.js";
import { runStep } from "./run.js";

export function builtinSteps(): Record<string, StepHandler> {
  return { run: runStep, http: httpStep };
}

export {
  HttpError,
  HttpRequestError,
  isHttpError,
  isHttpRequestError,
  isRunStepError,
  RunStepError,
} from "./errors.js";
export { httpStep } from "./http.js";
export { HTTP_METHODS, type HttpConfig } from "./http-config.js";
export { OutputFileError, parseOutputFile } from "./output-file.js";
export { createRunStep, type RunStepOptions, runStep } from "./run.js";
export { rewriteCommand } from "./run-template.js";
