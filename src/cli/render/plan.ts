import { evaluateExpression, rootNames, type StepPlan, truthy, type WorkflowPlan } from "../../index.js";
import { maskSecrets, maskText } from "../mask.js";
import { duration } from "./format.js";

/** A condition as far as it can be known before the run: from inputs alone, or not yet. */
export type KnownCondition =
  | { expression: string; known: true; value: boolean }
  | { expression: string; known: false; dependsOn: string[] };

/** What `run --dry-run` shows: the plan with the inputs resolved, as plain JSON. */
export function planJson(plan: WorkflowPlan, inputs: Record<string, unknown>) {
  const condition = (expr: string | undefined) =>
    expr === undefined ? null : knownCondition(expr, plan, inputs);
  return {
    dryRun: true,
    workflow: plan.name,
    source: plan.source ?? null,
    inputs: maskSecrets(inputs),
    stages: plan.stages.map((stage) => ({
      id: stage.id,
      mode: stage.mode,
      concurrency: stage.concurrency,
      failFast: stage.failFast,
      timeoutMs: stage.timeoutMs ?? null,
      condition: condition(stage.if),
      steps: stage.steps.map((step) => ({
        id: step.id,
        kind: step.kind,
        summary: summary(step),
        timeoutMs: step.timeoutMs,
        maxAttempts: step.retry.maxAttempts,
        priority: step.priority,
        optional: step.optional,
        continueOnError: step.continueOnError,
        condition: condition(step.if),
      })),
    })),
  };
}

export type PlanJson = ReturnType<typeof planJson>;

/** Evaluates `if:` when it reads only inputs and the workflow's name; else names what it waits for. */
export function knownCondition(
  expression: string,
  plan: WorkflowPlan,
  inputs: Record<string, unknown>,
): KnownCondition {
  let roots: string[];
  try {
    roots = [...new Set(rootNames(expression).map((r) => r.name))];
  } catch {
    return { expression, known: false, dependsOn: [] };
  }
  const later = roots.filter((name) => name !== "inputs" && name !== "workflow");
  if (later.length > 0) return { expression, known: false, dependsOn: later };
  try {
    const value = evaluateExpression(expression, { inputs, steps: {}, workflow: { name: plan.name } });
    return { expression, known: true, value: truthy(value) };
  } catch {
    return { expression, known: false, dependsOn: [] };
  }
}

/** The plan as text: stages in order, their steps, and what each condition will do. */
export function renderPlan(plan: PlanJson, file: string): string {
  const stepCount = plan.stages.reduce((n, s) => n + s.steps.length, 0);
  const lines = [
    `plan of ${plan.workflow} (${file}): ${plan.stages.length} stages, ${stepCount} steps`,
    "dry run: nothing is executed or recorded",
  ];
  const inputs = Object.entries(plan.inputs);
  if (inputs.length > 0) {
    lines.push("", "inputs");
    for (const [name, value] of inputs) lines.push(`  ${name} = ${JSON.stringify(value)}`);
  }
  plan.stages.forEach((stage, i) => {
    lines.push("", `${i + 1}. ${stage.id}  ${stageMode(stage)}${conditionText(stage.condition)}`);
    stage.steps.forEach((step, j) => {
      const marker = stage.mode === "sequential" ? `${j + 1}.` : "-";
      const attrs = [
        `timeout ${duration(step.timeoutMs)}`,
        step.maxAttempts > 1 ? `up to ${step.maxAttempts} attempts` : "",
        step.priority !== 0 ? `priority ${step.priority}` : "",
        step.optional ? "optional" : "",
        step.continueOnError ? "continue on error" : "",
      ].filter(Boolean);
      lines.push(`   ${marker} ${step.id}  ${step.summary}`);
      lines.push(`      ${attrs.join(", ")}${conditionText(step.condition)}`);
    });
  });
  return `${lines.join("\n")}\n`;
}

function stageMode(stage: PlanJson["stages"][number]): string {
  const parts = [stage.mode === "parallel" ? `parallel, ${stage.concurrency} at once` : "in sequence"];
  if (stage.mode === "parallel" && stage.failFast) parts.push("fail fast");
  if (stage.timeoutMs !== undefined && stage.timeoutMs !== null)
    parts.push(`timeout ${duration(stage.timeoutMs)}`);
  return `(${parts.join(", ")})`;
}

function conditionText(c: KnownCondition | null): string {
  if (c === null) return "";
  if (c.known) return `  if ${c.expression} → ${c.value ? "runs" : "skipped"}`;
  const on = c.dependsOn.length ? ` (depends on ${c.dependsOn.join(", ")})` : "";
  return `  if ${c.expression} → decided during the run${on}`;
}

/** `run: make build` (first line, at most 60 characters), or the kind alone. */
function summary(step: StepPlan): string {
  if (typeof step.config !== "string") return step.kind;
  const first = step.config.split("\n").find((line) => line.trim() !== "") ?? "";
  const more = step.config.trim().includes("\n") || first.length > 60 ? " …" : "";
  // Masked before it is cut: a token cut short is no longer token-shaped.
  return `${step.kind}: ${maskText(first.trim()).slice(0, 60)}${more}`;
}
