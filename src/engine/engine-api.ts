import type { ErrorInfo } from "./errors.js";
import type { Trigger } from "./events.js";
import type { AttemptRecord, Journal, RunRecord, RunStatus } from "./journal.js";
import type { Clock, Logger, Random } from "./ports.js";
import type { ReasonCode } from "./reasons.js";
import type { AttemptCause, EpisodeModel, RunState, StageState, StepState } from "./run-model/types.js";

/** Named points where tests can stop a process (e.g. with SIGKILL) to prove resume works. */
export const CRASH_POINTS = [
  "before-step",
  "after-step-before-commit",
  "after-commit",
  "after-stage",
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export interface CrashPointInfo {
  point: CrashPoint;
  runId: string;
  stageId: string;
  stepId?: string;
}

/**
 * Injected crash hooks. A hook may be synchronous and block (a test can freeze the process
 * exactly there, e.g. with Atomics.wait, and kill it), or return a promise the engine awaits.
 */
export type CrashHooks = Partial<Record<CrashPoint, (info: CrashPointInfo) => void | Promise<void>>>;

export interface EngineOptions {
  journal: Journal;
  /** @default systemClock */
  clock?: Clock;
  /** @default Math.random */
  random?: Random;
  /** @default nullLogger */
  logger?: Logger;
  /** This process's lease-owner id. @default `${host}/${pid}/${random}` supplied by the host */
  owner?: string;
  /** How long a lease lasts without renewal; renewed every third of it. @default 30_000 */
  leaseMs?: number;
  /**
   * How often the engine reads the journal for a cancel requested from another process (and for a
   * lease another owner took) while it executes runs: a cancel takes effect within this time.
   * @default 500
   */
  cancelPollMs?: number;
  /**
   * Whether a lease owner is still alive (e.g. same host and the pid exists). `false` lets
   * `resume` take over a run whose lease has not expired yet; `undefined` means "cannot tell".
   */
  isOwnerAlive?: (owner: string) => boolean | undefined;
  hooks?: CrashHooks;
  /** Root for steps' scratch directories. @default os.tmpdir()/stageflow supplied by the host */
  workDir?: string;
  /**
   * The host's environment, parsed once: the values of the variables a workflow lists under
   * `secrets:` are masked wherever its runs are stored or shown. @default {} (none known)
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** Circuit breaker defaults, per dependency. */
  breaker?: {
    /** Consecutive failures that open the circuit. @default 5 */
    failureThreshold?: number;
    /** How long the circuit stays open before one probe is let through. @default 30_000 */
    resetTimeoutMs?: number;
  };
  /**
   * Whether the built-in recovery patterns (network errors, 429/5xx, GitHub rate limits,
   * timeouts) apply after a workflow's own patterns. @default true
   */
  defaultPatterns?: boolean;
  /** The retry budget of each dependency: retries at most `ratio` of calls over `windowMs`. */
  retryBudget?: {
    /** @default 0.2 */
    ratio?: number;
    /** @default 10_000 */
    windowMs?: number;
    /** Retries always allowed per window, however few the calls. @default 3 */
    minRetries?: number;
  };
  /** Run id generator. @default a UUIDv7 from the clock (ids sort by creation time) */
  newId?: () => string;
}

export interface StartOptions {
  inputs?: Record<string, unknown>;
  trigger?: Trigger;
  correlationId?: string;
  runId?: string;
}

export interface ResumeOptions {
  /**
   * The workflow as it is now (e.g. re-read from its file). When given and its hash differs from
   * the recorded one, the run is marked `blocked` with reason `definition_changed`: the handle's
   * `done` resolves `{ status: "blocked", reason: "definition_changed" }` (not a RefusedError: the
   * block is recorded, so that `status` shows it), unless `acceptChanges`.
   */
  plan?: import("./definition/plan.js").WorkflowPlan;
  /**
   * The values of the run's secret inputs, which are not journaled: every secret input the run
   * was started with must be given again (InputError otherwise, before anything is recorded).
   */
  secretInputs?: Record<string, unknown>;
  /**
   * With `plan`: when it differs from the recorded definition, continue under it where that is
   * safe (see src/engine/changes/assess.ts), recording `run.changes_accepted`; when it is not
   * safe, throw a ChangesRefusedError (an InputError) and record nothing. @default false
   */
  acceptChanges?: boolean;
}

export interface RunResult {
  runId: string;
  status: RunStatus;
  reason: ReasonCode;
  error?: ErrorInfo;
}

export interface RunHandle {
  runId: string;
  /** Settles when the run stops in this process (finished, failed, cancelled, blocked, waiting). */
  done: Promise<RunResult>;
}

export interface StepReport {
  id: string;
  stageId: string;
  status: StepState;
  reason: ReasonCode | null;
  /** Attempts started, numbered across resumes (the highest attempt number). */
  attempts: number;
  /** Why the attempts after the first were made: `{ retry: 2, alternative: 1 }`. */
  causes: Partial<Record<AttemptCause, number>>;
  startedAt: number | null;
  finishedAt: number | null;
  /** From the first attempt of the step's last execution to its end (see run-model/types.ts). */
  durationMs: number | null;
  outputs: Record<string, unknown>;
  /** The error that ended the step (failed, escalated, cancelled, or skipped as degraded). */
  error: ErrorInfo | null;
}

export interface StageReport {
  id: string;
  status: StageState;
  reason: ReasonCode | null;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  steps: StepReport[];
}

/** One step's recovery episode: what failed, what was decided, how it ended. */
export type RecoveryReport = EpisodeModel;

/** A run as the journal recorded it, in the one model every view (live, status, report, history) reads. */
export interface RunReport {
  run: RunRecord;
  /**
   * The run's state: its recorded status, or `interrupted` when it is `running` in the journal but
   * nobody executes it (its lease expired or was released, or its owner is known dead: a pid gone
   * on this host); `resume` takes such a run over at once.
   */
  state: RunState;
  durationMs: number | null;
  stages: StageReport[];
  attempts: AttemptRecord[];
  /** Recovery episodes, in the order they began. */
  recovery: RecoveryReport[];
}

/** The engine as hosts use it. Created by `createEngine(options)`. */
export interface Engine {
  /** Registers a step kind. Built-in kinds are registered by hosts from `src/steps/`. */
  register(kind: string, handler: import("./handler.js").StepHandlerLike): this;
  /** The registered kinds (for parsing workflow files). */
  readonly kinds: ReadonlyMap<string, import("./handler.js").StepHandler>;
  /**
   * Subscribes to events, delivered once durable, each with its journal `seq`, in `seq` order.
   * `options` filter by run and type; `afterSeq` first catches up from the journal (a reporter that
   * restarts continues where it stopped). Delivery is asynchronous and per listener: a listener
   * that throws or is slow holds up no run and no other listener; its failures are counted on the
   * returned Subscription (callable as a disposer) and logged. See EventBus (bus.ts).
   */
  on(
    listener: import("./events.js").EventListener,
    options?: import("./events.js").SubscribeOptions,
  ): import("./events.js").Subscription;
  /**
   * Starts a run. Inputs are validated first (InputError, nothing recorded); the run is recorded
   * before this resolves, so `runId` is durable when the handle is returned.
   */
  start(plan: import("./definition/plan.js").WorkflowPlan, options?: StartOptions): Promise<RunHandle>;
  /**
   * Resumes an interrupted, waiting, blocked or failed run from its last valid checkpoints.
   * Taking the run over is one compare-and-set in the journal. Throws RefusedError: `run_not_found`,
   * `run_finished` (succeeded, degraded or cancelled), or `run_busy` (RunBusyError) when an owner
   * that may be alive holds it: an unexpired lease whose holder is not known dead. Every call here
   * that the journal fails for a storage reason throws RefusedError `storage_unavailable` or
   * `storage_corrupt` (see createEngine).
   */
  resume(runId: string, options?: ResumeOptions): Promise<RunHandle>;
  /**
   * Resumes every run whose owner died (expired lease, or owner known dead): what a host does at
   * start-up. `plans` maps a run to its current definition, when the host can re-read it.
   */
  resumeAll(options?: {
    plan?(run: RunRecord): Promise<import("./definition/plan.js").WorkflowPlan | undefined>;
  }): Promise<RunHandle[]>;
  /**
   * Cancels a run: in this process at once; in another process within its `cancelPollMs`; a run
   * nobody executes (parked, blocked, failed, or its owner gone) is ended `cancelled` here.
   * RefusedError `run_not_found`, or `run_finished` for a run that already finished.
   */
  cancel(runId: string): Promise<void>;
  /**
   * Whether the run is `running` in the journal but nobody executes it any more: its lease expired
   * or was released, or its owner is known dead (`isOwnerAlive`). `resume` takes such a run over.
   */
  isInterrupted(run: RunRecord): boolean;
  /** The run's report, built from the journal. RefusedError `run_not_found` for an unknown id. */
  report(runId: string): Promise<RunReport>;
  /**
   * Graceful shutdown: interrupts runs in flight (they stay `running`, unrecorded steps re-run on
   * resume), waits for them to stop, and releases their leases.
   */
  close(): Promise<void>;
}
