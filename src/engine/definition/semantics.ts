import { describeValue, isRecord } from "./describe.js";
import { parseDuration } from "./durations.js";
import { LIMITS } from "./limits.js";
import { formatPath, type RawProblem } from "./problems.js";
import type { RawStage } from "./raw.js";
import { recoveryProblems } from "./recovery-checks.js";

/** Checks the schema cannot express: unique ids, input defaults, stage limits, recovery patterns. */
export function semanticProblems(data: unknown, stages: readonly RawStage[]): RawProblem[] {
  return [
    ...countProblems(data, stages),
    ...idProblems(stages),
    ...inputProblems(data),
    ...stages.flatMap(stageProblems),
    ...recoveryProblems(data, stages),
  ];
}

/** LIMITS on counts across the file: steps of all stages, declared inputs. */
function countProblems(data: unknown, stages: readonly RawStage[]): RawProblem[] {
  const problems: RawProblem[] = [];
  const steps = stages.reduce((n, stage) => n + stage.steps.length, 0);
  if (steps > LIMITS.steps) {
    problems.push({
      path: ["stages"],
      message: `a workflow has at most ${LIMITS.steps} steps, got ${steps}`,
    });
  }
  const inputs = isRecord(data) && isRecord(data.inputs) ? Object.keys(data.inputs).length : 0;
  if (inputs > LIMITS.inputs) {
    problems.push({
      path: ["inputs"],
      message: `a workflow has at most ${LIMITS.inputs} inputs, got ${inputs}`,
    });
  }
  return problems;
}

function idProblems(stages: readonly RawStage[]): RawProblem[] {
  const problems: RawProblem[] = [];
  const stageIds = new Map<string, RawStage>();
  const stepIds = new Map<string, string>();
  for (const stage of stages) {
    const first = stage.id === undefined ? undefined : stageIds.get(stage.id);
    if (first) {
      problems.push({
        path: [...stage.path, "id"],
        message: `duplicate stage id '${stage.id}' (also ${formatPath(first.path)})`,
      });
    } else if (stage.id !== undefined) stageIds.set(stage.id, stage);
    for (const step of stage.steps) {
      if (step.id === undefined) continue;
      const earlier = stepIds.get(step.id);
      if (earlier === undefined) stepIds.set(step.id, formatPath(step.path));
      else {
        const message = `duplicate step id '${step.id}' (also ${earlier}; step ids are unique across the workflow)`;
        problems.push({ path: [...step.path, "id"], message });
      }
    }
  }
  return problems;
}

const TYPE_OF_DEFAULT: Record<string, string> = {
  string: "string",
  number: "number",
  boolean: "boolean",
  choice: "string",
};

function inputProblems(data: unknown): RawProblem[] {
  const inputs = isRecord(data) && isRecord(data.inputs) ? data.inputs : {};
  const problems: RawProblem[] = [];
  for (const [name, spec] of Object.entries(inputs)) {
    if (!isRecord(spec)) continue;
    const path = ["inputs", name];
    const type = spec.type ?? "string";
    if (typeof type !== "string" || !(type in TYPE_OF_DEFAULT)) continue;
    const options = Array.isArray(spec.options) ? spec.options : undefined;
    if (type === "choice" && !options) problems.push({ path, message: "a choice input needs 'options'" });
    if (type !== "choice" && spec.options !== undefined) {
      problems.push({ path, key: "options", message: `'options' applies only to type choice, not ${type}` });
    }
    const value = spec.default;
    if (value === undefined) continue;
    if (typeof value !== TYPE_OF_DEFAULT[type]) {
      const message = `default of a ${type} input must be a ${TYPE_OF_DEFAULT[type]}, got ${describeValue(value)}`;
      problems.push({ path: [...path, "default"], message });
    } else if (options && !options.includes(value)) {
      problems.push({
        path: [...path, "default"],
        message: `'${value}' is not one of ${options.join(", ")}`,
      });
    }
  }
  return problems;
}

function stageProblems(stage: RawStage): RawProblem[] {
  const problems: RawProblem[] = [];
  const { value, path } = stage;
  const timeout = parseDuration(value.timeout);
  const warnAfter = parseDuration(value.warn_after);
  if (timeout !== undefined && warnAfter !== undefined && warnAfter >= timeout) {
    const message = `warn_after (${String(value.warn_after)}) must be shorter than timeout (${String(value.timeout)})`;
    problems.push({ path: [...path, "warn_after"], message });
  }
  const sequential = value.mode === undefined || value.mode === "sequential";
  if (sequential && typeof value.concurrency === "number" && value.concurrency > 1) {
    const message = "concurrency applies to parallel stages: add 'mode: parallel' or remove it";
    problems.push({ path: [...path, "concurrency"], message });
  }
  return problems;
}
