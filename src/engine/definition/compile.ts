import { canonicalJson, sha256 } from "../canonical.js";
import type { StepHandler } from "../handler.js";
import type { Kinds } from "./kinds.js";
import { kindOf } from "./kinds.js";
import { LIMITS } from "./limits.js";
import { ms, normalise } from "./normalise.js";
import type { InputSpec, RetrySpec, SourcePosition, StagePlan, StepPlan, WorkflowPlan } from "./plan.js";
import type { Locate } from "./positions.js";
import type { Segment } from "./problems.js";
import { compileRecovery } from "./recovery-compile.js";
import type { InputFile, StageFile, StepFile, WorkflowFile } from "./schema.js";

/** Retry policy when neither `defaults.retry` nor the step says otherwise: no retry. */
export const BUILTIN_RETRY: Readonly<RetrySpec> = {
  maxAttempts: 1,
  backoff: "exponential",
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  jitter: "full",
};

/**
 * The timeout of a step whose kind waits (`wait`, `signal`) when the step sets none: the
 * workflow's default timeout is for work, a wait is bounded by its own config.
 */
export const WAITING_STEP_TIMEOUT_MS = 366 * 24 * 3_600_000;

/** Step timeout when neither the step nor `defaults.timeout` sets one. */
export const DEFAULT_STEP_TIMEOUT_MS = 10 * 60_000;

interface Context {
  kinds: Kinds;
  file?: string;
  locate?: Locate;
  defaults: { timeoutMs: number; retry: RetrySpec };
}

/** Builds the plan from a file that passed every check. */
export function compile(
  file: WorkflowFile,
  opts: { kinds: Kinds; file?: string; locate?: Locate },
): WorkflowPlan {
  const definition = normalise(file);
  const ctx: Context = {
    ...opts,
    defaults: {
      timeoutMs: ms(definition.defaults?.timeout) ?? DEFAULT_STEP_TIMEOUT_MS,
      retry: mergeRetry(BUILTIN_RETRY, definition.defaults?.retry),
    },
  };
  return {
    name: definition.name,
    description: definition.description,
    on: definition.on,
    inputs: Object.fromEntries(Object.entries(definition.inputs).map(([name, spec]) => [name, input(spec)])),
    secrets: definition.secrets ?? [],
    stages: definition.stages.map((s, index) => stagePlan(s, index, ctx)),
    recovery: compileRecovery(definition.recovery ?? []),
    sla: definition.sla,
    baselines: definition.baselines,
    alerts: definition.alerts,
    definition,
    hash: sha256(canonicalJson(definition)),
    source: opts.file,
  };
}

function input(spec: InputFile): InputSpec {
  const { type, required, default: value, description, options, secret } = spec;
  return JSON.parse(
    JSON.stringify({ type, required, default: value, description, options, secret }),
  ) as InputSpec;
}

function mergeRetry(base: RetrySpec, over: StepFile["retry"]): RetrySpec {
  return {
    maxAttempts: over?.max_attempts ?? base.maxAttempts,
    backoff: over?.backoff ?? base.backoff,
    baseDelayMs: ms(over?.base_delay) ?? base.baseDelayMs,
    maxDelayMs: ms(over?.max_delay) ?? base.maxDelayMs,
    jitter: over?.jitter ?? base.jitter,
  };
}

function position(ctx: Context, path: Segment[]): SourcePosition | undefined {
  const at = ctx.locate?.(path);
  return at && { file: ctx.file, ...at };
}

function stagePlan(stage: StageFile, index: number, ctx: Context): StagePlan {
  return {
    id: stage.id,
    index,
    mode: stage.mode,
    concurrency:
      stage.mode === "parallel" ? (stage.concurrency ?? Math.min(stage.steps.length, LIMITS.concurrency)) : 1,
    failFast: stage.fail_fast,
    timeoutMs: ms(stage.timeout),
    warnAfterMs: ms(stage.warn_after),
    onTimeout: stage.on_timeout,
    if: stage.if as string | undefined,
    steps: stage.steps.map((step, i) => stepPlan(step, stage.id, i, ctx, ["stages", index, "steps", i])),
    position: position(ctx, ["stages", index]),
  };
}

function stepPlan(step: StepFile, stageId: string, index: number, ctx: Context, path: Segment[]): StepPlan {
  const kind = kindOf(step, ctx.kinds) as string;
  const handler = ctx.kinds.get(kind) as StepHandler;
  const config = step[kind];
  const env = step.env as Record<string, string>;
  const fixed = handler.outputs ?? [];
  const outputs =
    step.outputs || fixed.length ? [...new Set([...(step.outputs ?? []), ...fixed])] : undefined;
  return {
    id: step.id,
    stageId,
    index,
    kind,
    config,
    with: step.with,
    env,
    retry: mergeRetry(ctx.defaults.retry, step.retry),
    timeoutMs: ms(step.timeout) ?? (handler.waits ? WAITING_STEP_TIMEOUT_MS : ctx.defaults.timeoutMs),
    priority: step.priority,
    optional: step.optional,
    continueOnError: step.continue_on_error,
    if: step.if as string | undefined,
    dependency: step.dependency ?? derivedDependency(handler, config, step.with),
    outputs,
    identity: sha256(canonicalJson({ stage: stageId, id: step.id, kind, config, with: step.with, env })),
    position: position(ctx, path),
  };
}

function derivedDependency(handler: StepHandler, config: unknown, withMap: Record<string, unknown>) {
  try {
    return handler.dependency?.(config, withMap);
  } catch {
    return undefined;
  }
}
