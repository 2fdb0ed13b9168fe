import type { StepContext } from "../handler.js";
import type { PolicyContext } from "../policies/index.js";
import type { Clock, Logger } from "../ports.js";
import type { Variant } from "./variants.js";

/** What the executor knows of the run when it hands a step's attempt to its handler. */
interface RunSide {
  runId: string;
  inputs: Record<string, unknown>;
  evaluate: (expression: string) => unknown;
  workDir: string;
}

/**
 * The StepContext a handler receives: one object of one shape per attempt (a class, so every
 * attempt's context shares its hidden class), with `signal` read through a getter because
 * making an AbortSignal costs more than a no-op step's whole attempt and most handlers never
 * look at it. A handler that passes a copy of its context on (`{ ...ctx }`) must copy `signal`
 * explicitly: it lives on the prototype.
 */
export class AttemptStepContext implements StepContext {
  readonly runId: string;
  readonly stageId: string;
  readonly stepId: string;
  readonly attempt: number;
  readonly idempotencyKey: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly config: unknown;
  readonly with: Record<string, unknown>;
  readonly env: Record<string, string>;
  readonly inputs: Record<string, unknown>;
  readonly evaluate: (expression: string) => unknown;
  readonly workDir: string;

  constructor(
    run: RunSide,
    stageId: string,
    stepId: string,
    attempt: number,
    variant: Variant,
    logger: Logger,
    clock: Clock,
    private readonly policy: PolicyContext,
  ) {
    this.runId = run.runId;
    this.stageId = stageId;
    this.stepId = stepId;
    this.attempt = attempt;
    this.idempotencyKey = `${run.runId}/${stepId}`;
    this.logger = logger;
    this.clock = clock;
    this.config = variant.config;
    this.with = variant.with;
    this.env = variant.env;
    this.inputs = run.inputs;
    this.evaluate = run.evaluate;
    this.workDir = run.workDir;
  }

  /** Aborted on step timeout, fail-fast of a sibling, stage timeout or run cancellation. */
  get signal(): AbortSignal {
    return this.policy.signal;
  }
}
