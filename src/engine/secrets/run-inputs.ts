/**
 * Secret inputs and the journal: a secret input that was given is recorded as `***` (never its
 * value), so a resume must be given it again.
 */
import { InputError } from "../errors.js";
import type { RunRecord } from "../journal.js";
import { MASK } from "./patterns.js";
import { secretInputNames } from "./values.js";

/**
 * The inputs as the run records them: given secret inputs as `***`. A default is part of the
 * definition (stored anyway), so an input that took its default is recorded as it is.
 */
export function recordedInputs(
  definition: unknown,
  inputs: Record<string, unknown>,
  given: Record<string, unknown>,
): Record<string, unknown> {
  const recorded = { ...inputs };
  for (const name of secretInputNames(definition)) {
    if (Object.hasOwn(given, name) && Object.hasOwn(recorded, name)) recorded[name] = MASK;
  }
  return recorded;
}

/**
 * The secret inputs a resume of `run` is given: every one recorded as `***` must be there, and
 * nothing else may be. Throws InputError (`invalid_input`) listing the problems.
 */
export function secretInputsForResume(
  run: Pick<RunRecord, "id" | "definition" | "inputs">,
  given: Record<string, unknown>,
): Record<string, unknown> {
  const names = secretInputNames(run.definition);
  const problems = Object.keys(given)
    .filter((name) => !names.includes(name))
    .map((name) => `'${name}' is not a secret input of run ${run.id} (only those are given again)`);
  const missing = names.filter((name) => run.inputs[name] === MASK && given[name] === undefined);
  if (missing.length) {
    problems.push(
      `run ${run.id} needs its secret input(s) ${missing.map((n) => `'${n}'`).join(", ")} again ` +
        `(secret inputs are not stored): resume with ${missing.map((n) => `--input ${n}=...`).join(" ")}`,
    );
  }
  if (problems.length) throw new InputError("invalid_input", problems.join("\n"), problems);
  return given;
}
