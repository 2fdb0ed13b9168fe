import { relative, resolve } from "node:path";
import {
  errorMessage,
  InputError,
  jsonSyntaxWhere,
  LIMITS,
  parseWorkflow,
  type StepHandler,
  type WorkflowPlan,
} from "../../index.js";
import { readTextFile } from "../read-file.js";

/**
 * Reads and parses a workflow file. Messages name the file as the user wrote it; the plan's
 * `source` is the absolute path, so `resume` finds the file from any directory.
 * Throws InputError (WorkflowError for a bad definition) and records nothing. Only a regular
 * file of at most LIMITS.fileBytes is read (a FIFO or a device is refused, not waited on).
 */
export function loadWorkflow(
  file: string,
  cwd: string,
  kinds: ReadonlyMap<string, StepHandler>,
): WorkflowPlan {
  const path = resolve(cwd, file);
  const shown = file.startsWith("/") && path.startsWith(cwd) ? relative(cwd, path) : file;
  let text: string;
  try {
    text = readTextFile(path, LIMITS.fileBytes);
  } catch (e) {
    throw new InputError("definition_invalid", `${shown}: cannot read: ${errorMessage(e)}`);
  }
  const plan = parseWorkflow(text, { file: shown, kinds });
  return { ...plan, source: path };
}

/**
 * Inputs from `--input-file FILE` (a JSON object; a regular file of at most
 * LIMITS.inputFileBytes) overlaid by `--input key=value` flags.
 */
export function readInputs(
  pairs: readonly string[],
  inputFile: string | undefined,
  cwd: string,
): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  if (inputFile !== undefined) {
    let text: string;
    try {
      text = readTextFile(resolve(cwd, inputFile), LIMITS.inputFileBytes);
    } catch (e) {
      throw new InputError("invalid_input", `--input-file ${inputFile}: ${errorMessage(e)}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      // Not JSON.parse's message: it quotes the file around the error, maybe part of a secret.
      const where = jsonSyntaxWhere(text);
      throw new InputError(
        "invalid_input",
        `--input-file ${inputFile}: invalid JSON${where ? ` ${where}` : ""}`,
      );
    }
    if (!data || typeof data !== "object" || Array.isArray(data)) {
      throw new InputError("invalid_input", `--input-file ${inputFile}: expected a JSON object of inputs`);
    }
    Object.assign(inputs, data);
  }
  pairs.forEach((pair, i) => {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      // Not shown: a mistyped pair (`api_key:s3cret`) may be, or hold, a secret value.
      const which = pairs.length > 1 ? ` (--input number ${i + 1})` : "";
      const why = eq === 0 ? "no key before '='" : "no '='";
      throw new InputError(
        "invalid_input",
        `--input: expected key=value, got an argument with ${why}${which}; it is not shown, as it may hold a secret`,
      );
    }
    inputs[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  });
  return inputs;
}

/** `2 stages, 1 step`. */
export function planSize(stages: number, steps: number): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${plural(stages, "stage")}, ${plural(steps, "step")}`;
}
