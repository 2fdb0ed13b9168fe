import type { StepPlan } from "../definition/plan.js";
import type { StepContext } from "../handler.js";
import type { RunContext } from "./context.js";
import type { Variant } from "./variants.js";

/** What one attempt's StepContext is made of. */
export interface AttemptContextParts {
  run: RunContext;
  step: StepPlan;
  attempt: number;
  variant: Variant;
  /** The attempt's signal (the timeout policy's): aborted on timeout, fail-fast or cancellation. */
  signal: AbortSignal;
}

/**
 * The StepContext a handler receives: a plain object, every field its own, so a copy made with
 * `{ ...ctx }` keeps all of them (`signal` included).
 */
export function attemptStepContext({
  run,
  step,
  attempt,
  variant,
  signal,
}: AttemptContextParts): StepContext {
  const { logs, recorder } = run.output;
  const stepId = step.id;
  return {
    runId: run.run.id,
    run: run.runServices.info,
    stageId: step.stageId,
    stepId,
    attempt,
    idempotencyKey: `${run.run.id}/${stepId}`,
    signal,
    logger: run.output.stepLogger,
    clock: run.services.clock,
    config: variant.config,
    with: variant.with,
    env: variant.env,
    inputs: run.run.inputs,
    evaluate: run.evaluate,
    workDir: run.output.workDir,
    log: (stream, line) => logs.line(stepId, attempt, stream, line),
    secrets: recorder.masker,
    recordProcess: (process) => recorder.recordProcess(stepId, attempt, variant.kind, process),
    deadline: (ms) => run.waits.deadline(stepId, ms),
    waitFor: (what) => run.waits.wait(stepId, what, signal),
  };
}
