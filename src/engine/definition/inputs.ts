import { InputError } from "../errors.js";
import { describeValue } from "./describe.js";
import { LIMITS } from "./limits.js";
import type { InputSpec, WorkflowPlan } from "./plan.js";
import { didYouMean } from "./suggest.js";

type Coerced = { value: unknown } | { problem: string };

/**
 * The run's inputs: given values coerced to their declared types (CLI strings such as 'true',
 * '42'), defaults applied. Throws InputError('invalid_input') listing every problem; a string
 * value longer than LIMITS.inputLength is one. A problem with a `secret: true` input names the
 * input and the value's type, never the value (a host prints these messages before it masks).
 */
export function resolveInputs(plan: WorkflowPlan, given: Record<string, unknown>): Record<string, unknown> {
  const resolved: Record<string, unknown> = {};
  const problems: string[] = [];
  const declared = Object.keys(plan.inputs);
  for (const name of Object.keys(given)) {
    if (Object.hasOwn(plan.inputs, name)) continue;
    const hint = declared.length
      ? didYouMean(name, declared) || ` (declared: ${declared.join(", ")})`
      : " (the workflow declares no inputs)";
    problems.push(`unknown input '${name}'${hint}`);
  }
  for (const [name, spec] of Object.entries(plan.inputs)) {
    const value = Object.hasOwn(given, name) ? given[name] : undefined;
    if (value === undefined) {
      if (spec.default !== undefined) resolved[name] = spec.default;
      else if (spec.required) problems.push(`missing required input '${name}'`);
      continue;
    }
    if (typeof value === "string" && value.length > LIMITS.inputLength) {
      problems.push(`input '${name}': at most ${LIMITS.inputLength} characters, got ${value.length}`);
      continue;
    }
    const result = coerce(value, spec);
    if ("problem" in result) problems.push(`input '${name}': ${result.problem}`);
    else resolved[name] = result.value;
  }
  if (problems.length) throw new InputError("invalid_input", problems.join("\n"), problems);
  return resolved;
}

function coerce(value: unknown, spec: InputSpec): Coerced {
  const shown = spec.secret ? describeSecret(value) : describeValue(value);
  const wrong = (expected: string): Coerced => ({ problem: `expected ${expected}, got ${shown}` });
  switch (spec.type) {
    case "string":
      return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
        ? { value: String(value) }
        : wrong("a string");
    case "number": {
      const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      return typeof number === "number" && Number.isFinite(number) ? { value: number } : wrong("a number");
    }
    case "boolean":
      if (typeof value === "boolean") return { value };
      if (value === "true" || value === "false") return { value: value === "true" };
      return wrong("a boolean ('true' or 'false')");
    case "choice": {
      const options = spec.options ?? [];
      const text = typeof value === "string" || typeof value === "number" ? String(value) : undefined;
      if (text !== undefined && options.includes(text)) return { value: text };
      const guess = text === undefined || spec.secret ? "" : didYouMean(text, options);
      return { problem: `${shown} is not one of ${options.join(", ")}${guess}` };
    }
  }
}

/** A secret input's value in a message: its type only (`a secret string`). */
function describeSecret(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a secret ${typeof value} (not shown)`;
}
