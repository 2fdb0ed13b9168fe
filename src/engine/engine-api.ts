import type { ErrorInfo } from "./errors.js";
import type { Trigger } from "./events.js";
import type { RunInfo } from "./handler.js";
import type { AttemptRecord, Journal, RunMetadata, RunQuery, RunRecord, RunStatus } from "./journal.js";
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
  /**
   * The host's scope of a run's circuit breakers and retry budgets, e.g. its installation:
   * `(run) => String(run.metadata.installation)`. A run's dependency keys become
   * `<scope>/<dependency>` (breaker events and CircuitOpenError name that key), so one scope's
   * outage opens no breaker for another. `undefined` leaves the run's keys unscoped (shared by
   * every run). Called once per execution of a run in this process (at start and at resume).
   * @default no scope
   */
  breakerScope?: (run: RunInfo) => string | undefined;
  /**
   * A run whose steps in flight all wait (`wait`, `signal`) is parked — recorded `waiting`
   * (reason `parked`), its lease released, nothing of it in memory but its wake condition —
   * unless its earliest deadline is nearer than this: then it waits in memory. `Infinity` parks
   * only runs that wait for a signal with no deadline. @default 1_000
   */
  parkAfterMs?: number;
}

export interface SignalOptions {
  /** Who sent it, as the host names them (e.g. a GitHub login): the step's `sender` output. */
  sender?: string;
}

/** A signal journaled by `engine.signal`. */
export interface SignalReceipt {
  runId: string;
  name: string;
  /** Its place in the journal's signals (increasing). */
  seq: number;
  at: number;
}

export interface CloseOptions {
  /**
   * `interrupt` (the default): runs in flight are stopped at once and stay resumable.
   * `drain`: no step starts any more, running steps may finish (until `deadlineMs`, then they
   * are interrupted), waiting steps park; what is left stays resumable.
   */
  mode?: "drain" | "interrupt";
  /** With `drain`: how long running steps may take, on the engine's clock. @default 30_000 */
  deadlineMs?: number;
}

export interface StartOptions {
  inputs?: Record<string, unknown>;
  trigger?: Trigger;
  correlationId?: string;
  runId?: string;
  /**
   * Idempotency key, e.g. a webhook delivery id: unique among the journal's runs, across
   * processes and restarts. A start with a key some run already has records nothing and returns
   * that run's handle (`existing: true`), whatever its workflow, inputs and metadata were; of two
   * processes starting one key at once, the journal records exactly one run. A non-empty string
   * of at most 512 characters (InputError `key: ...` otherwise). @default none
   */
  key?: string;
  /**
   * A small plain JSON object journaled with the run (repository, installation, issue or PR, head
   * SHA, actor, trigger...): on `RunRecord.metadata`, filterable in `listRuns`, given to step
   * handlers as `ctx.run.metadata` and to expressions as `run.metadata.*`. At most 16 KiB of
   * JSON; a property set to `undefined` is left out (InputError `metadata...: ...` for anything
   * else that is not JSON). Not secret: stored as given; hosts mask it where they show it, as
   * inputs. @default {}
   */
  metadata?: RunMetadata;
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
  /**
   * Step ids of a failed or blocked run that the user skips: each is recorded `skipped` with
   * reason `skipped_by_user` (checkpoint and `step.skipped` event) before the run goes on, and
   * never executes; later steps find no outputs of it (`steps.<id>.outcome` is `skipped`; reading
   * one of its outputs fails `unknown_output`). A run with a step skipped so
   * ends `degraded`, never `succeeded`. An id that is not a step of the run, or a step that has
   * already ended (succeeded, skipped, failed and continued), or a run that is not failed or
   * blocked: InputError naming it, nothing recorded. @default []
   */
  skip?: string[];
}

export interface RunResult {
  runId: string;
  status: RunStatus;
  reason: ReasonCode;
  error?: ErrorInfo;
}

export interface RunHandle {
  runId: string;
  /**
   * Settles when the run stops in this process (finished, failed, cancelled, blocked, waiting).
   * For an `existing` run that this process is not executing (another process executes it, or
   * nobody does), it resolves at once with the run's state as the journal recorded it: its
   * status, and its reason (`run_busy` for a run another owner executes, `interrupted` for a
   * `running` run whose owner is gone: `resume` takes it over); it does not wait for the run.
   */
  done: Promise<RunResult>;
  /** True when `start` found a run with its key and returned that run instead of starting one. */
  existing: boolean;
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
   * Starts a run. Inputs, key and metadata are validated first (InputError, nothing recorded); the
   * run is recorded before this resolves, so `runId` is durable when the handle is returned. With
   * a `key` that a run already has, that run's handle is returned (`existing: true`; see
   * StartOptions.key and RunHandle.done) and nothing is recorded.
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
   * start-up. `plans` maps a run to its current definition, when the host can re-read it. Also
   * loads the parked runs into the scheduler (`wake`), which wakes them when they are due; the
   * handles of parked runs due already (deadline passed, signal journaled) are returned too.
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
  /** The journal's runs, newest first, filtered (by status, workflow, key, metadata...). */
  listRuns(query?: RunQuery): Promise<RunRecord[]>;
  /** The run's report, built from the journal. RefusedError `run_not_found` for an unknown id. */
  report(runId: string): Promise<RunReport>;
  /**
   * Sends a signal to a run: journaled (durable) before this resolves, then handed to the run's
   * `signal` step waiting for `name` — now, or whenever the step waits (a signal is never lost;
   * each is taken by one step). A run parked in this engine for that signal is woken. Throws a
   * RefusedError: `run_not_found`, `run_finished` (succeeded, failed, cancelled or degraded),
   * `signal_unknown` (no `signal` step of the run's workflow waits for `name`, when its
   * definition tells: a name given by an expression is accepted).
   */
  signal(runId: string, name: string, payload?: unknown, options?: SignalOptions): Promise<SignalReceipt>;
  /**
   * Loads the journal's parked runs into this engine's scheduler and wakes those that are due
   * (deadline passed, or a signal they wait for already journaled, e.g. by another process).
   * `resumeAll` calls it; a host with several processes may call it now and then. Resolves with
   * the number of parked runs now scheduled here. Runs waiting for a person are never woken.
   */
  wake(): Promise<number>;
  /**
   * Shuts down (see CloseOptions; default `interrupt`): runs in flight stop (`running`, resumable)
   * or park, their leases are released, the scheduler of parked runs and every timer stop. After
   * it, start, resume, resumeAll, signal and wake throw an EngineClosedError.
   */
  close(options?: CloseOptions): Promise<void>;
}
