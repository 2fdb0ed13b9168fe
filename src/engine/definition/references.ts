import { InputError } from "../errors.js";
import {
  type Ast,
  constantError,
  ExpressionError,
  findReferences,
  parseExpression,
  type Reference,
  ROOT_NAMES,
  RUN_PROPERTIES,
  rootNames,
  templateParts,
} from "../expressions/index.js";
import { conditionExpression } from "./condition.js";
import { clip, isRecord } from "./describe.js";
import { type Kinds, kindKeys, kindOf } from "./kinds.js";
import type { RawProblem, Segment } from "./problems.js";
import { type RawStage, type RawStep, strings } from "./raw.js";
import { closest, didYouMean } from "./suggest.js";

interface Target {
  stage: RawStage;
  step: RawStep;
  /** Declared outputs and the kind's fixed outputs; undefined when neither is known. */
  outputs?: string[];
}

interface Where {
  stage: RawStage;
  /** Undefined for the stage's own `if:`. */
  step?: RawStep;
}

/**
 * Syntax of every expression, whether each `steps.*` / `inputs.*` it reads exists here, and
 * whether its constant parts evaluate. Expressions of steps, stages and recovery alternatives'
 * `with:` are checked.
 */
export function expressionProblems(data: unknown, stages: readonly RawStage[], kinds: Kinds): RawProblem[] {
  const targets = new Map<string, Target>();
  for (const stage of stages) {
    for (const step of stage.steps) {
      if (step.id === undefined || targets.has(step.id)) continue;
      const declared = Array.isArray(step.value.outputs) ? step.value.outputs.map(String) : undefined;
      const kind = kindOf(step.value, kinds);
      const fixed = kind === undefined ? undefined : kinds.get(kind)?.outputs;
      const outputs = declared || fixed ? [...new Set([...(declared ?? []), ...(fixed ?? [])])] : undefined;
      targets.set(step.id, { stage, step, outputs });
    }
  }
  const inputs = isRecord(data) && isRecord(data.inputs) ? Object.keys(data.inputs) : [];
  const checker = new Checker(targets, inputs);
  for (const stage of stages) {
    checker.condition(stage.value.if, [...stage.path, "if"], { stage });
    for (const step of stage.steps) {
      const where = { stage, step };
      checker.condition(step.value.if, [...step.path, "if"], where);
      for (const key of [...kindKeys(step.value), "with", "env"]) {
        for (const [text, path] of strings(step.value[key], [...step.path, key]))
          checker.template(text, path, where);
      }
    }
  }
  // An alternative's `with:` runs in the place of whichever step failed: no order to check.
  const patterns = isRecord(data) && Array.isArray(data.recovery) ? data.recovery : [];
  patterns.forEach((pattern: unknown, i) => {
    if (!isRecord(pattern) || !Array.isArray(pattern.alternatives)) return;
    pattern.alternatives.forEach((alt: unknown, j) => {
      if (!isRecord(alt)) return;
      for (const [text, path] of strings(alt.with, ["recovery", i, "alternatives", j, "with"]))
        checker.template(text, path);
    });
  });
  return checker.problems;
}

class Checker {
  readonly problems: RawProblem[] = [];
  constructor(
    private readonly targets: ReadonlyMap<string, Target>,
    private readonly inputs: readonly string[],
  ) {}

  condition(value: unknown, path: Segment[], where: Where): void {
    if (typeof value !== "string") return;
    try {
      this.expression(conditionExpression(value), path, where);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      this.problems.push({
        path,
        message: e instanceof ExpressionError ? `invalid expression: ${e.message}` : e.message,
      });
    }
  }

  /** `where` undefined: the text may run in any step's place (step order is not checked). */
  template(text: string, path: Segment[], where?: Where): void {
    if (!text.includes("${{")) return;
    try {
      for (const part of templateParts(text))
        if (part.type === "expression") this.expression(part.text, path, where);
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
      this.problems.push({ path, message: `invalid expression: ${e.message}` });
    }
  }

  private expression(text: string, path: Segment[], where?: Where): void {
    let ast: Ast;
    try {
      ast = parseExpression(text);
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
      this.problems.push({ path, message: `invalid expression '${clip(text)}': ${e.message}` });
      return;
    }
    for (const { name } of rootNames(ast)) {
      if ((ROOT_NAMES as readonly string[]).includes(name)) continue;
      const guess = closest(name, ROOT_NAMES);
      const hint = guess === undefined ? "" : `did you mean '${guess}'? `;
      this.problems.push({
        path,
        message: `unknown name '${name}' (${hint}known: ${ROOT_NAMES.join(", ")})`,
      });
    }
    for (const ref of findReferences(ast)) {
      const message =
        ref.kind === "inputs"
          ? this.input(ref.name)
          : ref.kind === "run"
            ? runProperty(ref.property)
            : this.step(ref, where);
      if (message) this.problems.push({ path, message });
    }
    const constant = constantError(ast);
    if (constant)
      this.problems.push({ path, message: `invalid expression '${clip(text)}': ${constant.message}` });
  }

  private input(name: string): string | undefined {
    if (this.inputs.includes(name)) return undefined;
    if (this.inputs.length === 0) return `unknown input '${name}' (the workflow declares no inputs)`;
    const guess = didYouMean(name, this.inputs);
    return `unknown input '${name}'${guess || ` (declared: ${this.inputs.join(", ")})`}`;
  }

  private step(ref: Extract<Reference, { kind: "steps" }>, where?: Where): string | undefined {
    const target = this.targets.get(ref.step);
    if (!target) return `unknown step '${ref.step}'${didYouMean(ref.step, this.targets.keys())}`;
    const order = where && orderProblem(ref.step, target, where);
    if (order) return order;
    if (ref.property !== undefined && ref.property !== "outcome") {
      const guess = closest(ref.property, ["outputs", "outcome"]);
      const hint = guess === undefined ? "" : `did you mean '${guess}'? `;
      return `steps.${ref.step} has no '${ref.property}' (${hint}known: outputs, outcome)`;
    }
    if (ref.output === undefined || !target.outputs || target.outputs.includes(ref.output)) return undefined;
    const guess = closest(ref.output, target.outputs);
    const hint = guess === undefined ? "" : `did you mean '${guess}'? `;
    const has = target.outputs.length ? `it has: ${target.outputs.join(", ")}` : "it has none";
    return `step '${ref.step}' has no output '${ref.output}' (${hint}${has})`;
  }
}

/** Whether step `id` has finished by the time `where` reads it. */
function orderProblem(id: string, target: Target, where: Where): string | undefined {
  const stageName = (stage: RawStage) => `'${stage.id ?? `#${stage.index}`}'`;
  if (target.stage.index < where.stage.index) return undefined;
  if (!where.step) return `stage ${stageName(where.stage)} decides its condition before step '${id}' runs`;
  if (target.step === where.step) return `step '${id}' cannot read its own results`;
  if (target.stage.index > where.stage.index)
    return `step '${id}' runs later, in stage ${stageName(target.stage)}`;
  if (where.stage.parallel) {
    return `step '${id}' runs in parallel with this step (stage ${stageName(where.stage)} is parallel); move it to an earlier stage`;
  }
  if (target.step.index > where.step.index)
    return `step '${id}' runs after this step in stage ${stageName(where.stage)}`;
  return undefined;
}

/** `run.X`: one of RUN_PROPERTIES (anything under `run.metadata` is the host's and not checked). */
function runProperty(name: string): string | undefined {
  if ((RUN_PROPERTIES as readonly string[]).includes(name)) return undefined;
  return `unknown run property '${name}'${didYouMean(name, RUN_PROPERTIES) || ` (known: ${RUN_PROPERTIES.join(", ")})`}`;
}
