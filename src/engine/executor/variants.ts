import type { StepPlan } from "../definition/plan.js";
import { InputError } from "../errors.js";
import { interpolate, toText } from "../expressions/index.js";
import type { StepHandler } from "../handler.js";
import type { Alternative } from "../recovery/types.js";
import type { RunContext } from "./context.js";

/** What one attempt runs: the step as written, an alternative, or a degraded variant. */
export interface Variant {
  label: string;
  /** The step kind the handler is registered as (what a process record names). */
  kind: string;
  handler: StepHandler;
  config: unknown;
  with: Record<string, unknown>;
  env: Record<string, string>;
  timeoutMs: number;
  /** Circuit-breaker and retry-budget key: the dependency, scoped for the run (RunServices). */
  dependency: string | undefined;
}

function handlerOf(ctx: RunContext, kind: string): StepHandler {
  const handler = ctx.services.kinds.get(kind);
  if (handler) return handler;
  const known = [...ctx.services.kinds.keys()].sort().join(", ");
  throw Object.assign(new Error(`unknown step kind '${kind}' (known: ${known})`), { code: "unknown_kind" });
}

function resolve(
  ctx: RunContext,
  step: StepPlan,
  label: string,
  withOverride?: Record<string, unknown>,
): Variant {
  const handler = handlerOf(ctx, step.kind);
  const scope = ctx.scope;
  const config = handler.rawConfig ? step.config : interpolate(step.config, scope);
  const base = interpolate(step.with, scope) as Record<string, unknown>;
  const withMap = withOverride
    ? { ...base, ...(interpolate(withOverride, scope) as Record<string, unknown>) }
    : base;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.env)) env[k] = toText(interpolate(v, scope));
  const dependency = step.dependency ?? handler.dependency?.(config, withMap);
  return {
    label,
    kind: step.kind,
    handler,
    config,
    with: withMap,
    env,
    timeoutMs: step.timeoutMs,
    dependency: dependency === undefined ? undefined : ctx.runServices.dependencyKey(dependency),
  };
}

export function primaryVariant(ctx: RunContext, step: StepPlan): Variant {
  return resolve(ctx, step, "primary");
}

/** An alternative: another step's definition run in this step's place, or `with` overrides. */
export function alternativeVariant(
  ctx: RunContext,
  step: StepPlan,
  alt: Alternative,
  label?: string,
): Variant {
  if (alt.step) {
    const other = ctx.run.plan.stages.flatMap((s) => s.steps).find((s) => s.id === alt.step);
    if (!other) throw new InputError("definition_invalid", `alternative step '${alt.step}' does not exist`);
    return resolve(ctx, other, label ?? `step ${other.id}`, alt.with);
  }
  return resolve(ctx, step, label ?? "with overrides", alt.with ?? {});
}
