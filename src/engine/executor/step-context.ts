import type { StepPlan } from "../definition/plan.js";
import type { RunInfo, StepContext, WaitFor } from "../handler.js";
import type { SignalRecord } from "../journal.js";
import type { PolicyContext } from "../policies/index.js";
import type { Clock, Logger } from "../ports.js";
import type { RunContext } from "./context.js";
import type { Variant } from "./variants.js";

/**
 * The StepContext a handler receives: one object of one shape per attempt (a class, so every
 * attempt's context shares its hidden class), with `signal` read through a getter because
 * making an AbortSignal costs more than a no-op step's whole attempt and most handlers never
 * look at it. A handler that passes a copy of its context on (`{ ...ctx }`) must copy `signal`
 * explicitly: it lives on the prototype.
 */
export class AttemptStepContext implements StepContext {
  readonly runId: string;
  readonly run: RunInfo;
  readonly stageId: string;
  readonly stepId: string;
  readonly idempotencyKey: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly config: unknown;
  readonly with: Record<string, unknown>;
  readonly env: Record<string, string>;
  readonly inputs: Record<string, unknown>;
  readonly evaluate: (expression: string) => unknown;
  readonly workDir: string;
  /** An own property (not a method), so a spread copy of the context keeps it. */
  readonly log: (stream: "stdout" | "stderr", line: string) => void;

  constructor(
    private readonly context: RunContext,
    step: StepPlan,
    readonly attempt: number,
    private readonly variant: Variant,
    private readonly policy: PolicyContext,
  ) {
    this.runId = context.runId;
    this.run = context.runServices.info;
    this.stageId = step.stageId;
    this.stepId = step.id;
    this.idempotencyKey = `${context.runId}/${step.id}`;
    this.logger = context.stepLogger;
    this.clock = context.services.clock;
    this.config = variant.config;
    this.with = variant.with;
    this.env = variant.env;
    this.inputs = context.inputs;
    this.evaluate = context.evaluate;
    this.workDir = context.workDir;
    const { logs } = context;
    this.log = (stream, line) => logs.line(step.id, attempt, stream, line);
  }

  recordProcess(process: unknown): Promise<void> {
    return this.context.recorder.recordProcess(this.stepId, this.attempt, this.variant.kind, process);
  }

  deadline(ms: number): Promise<number> {
    return this.context.waits.deadline(this.stepId, ms);
  }

  waitFor(what: WaitFor): Promise<SignalRecord | null> {
    return this.context.waits.wait(this.stepId, what, this.policy.signal);
  }

  /** Aborted on step timeout, fail-fast of a sibling, stage timeout or run cancellation. */
  get signal(): AbortSignal {
    return this.policy.signal;
  }
}
