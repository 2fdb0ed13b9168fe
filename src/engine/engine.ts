import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBus } from "./bus.js";
import { Cancel } from "./cancel.js";
import { compileWorkflow, resolveInputs } from "./definition/index.js";
import type { WorkflowPlan } from "./definition/plan.js";
import type {
  CloseOptions,
  Engine,
  EngineOptions,
  ResumeOptions,
  RunHandle,
  RunReport,
  RunResult,
  SignalOptions,
  SignalReceipt,
  StartOptions,
} from "./engine-api.js";
import {
  EngineClosedError,
  errorMessage,
  isRunBusy,
  RefusedError,
  RunBusyError,
  StageflowError,
} from "./errors.js";
import type { EventListener, SubscribeOptions, Subscription } from "./events.js";
import { recordTransition } from "./executor/breaker-events.js";
import type { EngineServices, RunContext } from "./executor/context.js";
import { LeaseKeeper, leaseHolderGone } from "./executor/leases.js";
import { RunRecorder } from "./executor/recorder.js";
import { StepLogs } from "./executor/step-logs.js";
import { executeRun } from "./executor/run-executor.js";
import { RunServices } from "./executor/run-services.js";
import { evaluateExpression } from "./expressions/index.js";
import { type StepHandler, type StepHandlerLike, toHandler } from "./handler.js";
import { uuidv7 } from "./ids.js";
import {
  type BreakerSnapshot,
  type Journal,
  type RunMetadata,
  type RunQuery,
  type RunRecord,
  storageRefusalOf,
  TERMINAL_RUN_STATUSES,
} from "./journal.js";
import { ENGINE_KINDS } from "./kinds/index.js";
import { RunWaits } from "./parking/run-waits.js";
import { type WakeCause, WakeScheduler } from "./parking/scheduler.js";
import { BreakerRegistry } from "./policies/index.js";
import { type Clock, mathRandom, nullLogger, startTimer, systemClock } from "./ports.js";
import { isReasonCode } from "./reasons.js";
import {
  type CompiledPattern,
  compilePatterns,
  DEFAULT_PATTERNS,
  mergePatterns,
  RetryBudgets,
} from "./recovery/index.js";
import type { RecoveryPattern } from "./recovery/types.js";
import { buildReport } from "./report.js";
import { prepareResume } from "./resume.js";
import { maskingLogger, runSecrets, type SecretMasker } from "./secrets/index.js";
import { recordedInputs } from "./secrets/run-inputs.js";
import { checkRunKey, checkRunMetadata, runInfo } from "./run-metadata.js";
import { endCancelled, type OrphanStopper, takeOver } from "./takeover.js";
import { removeRunWorkDir, WORK_DIR_REMOVED_AFTER } from "./work-dir.js";

/** A run about to execute in this process: what launch() makes its RunContext from. */
interface Launch {
  recorder: RunRecorder;
  plan: WorkflowPlan;
  inputs: Record<string, unknown>;
  /** What the journal holds at start (empty for a new run). */
  checkpoints: RunContext["journaled"]["checkpoints"];
  lastAttempt: Map<string, number>;
  failedAttempts: Map<string, number>;
  startedAt: number;
  /** What this execution of the run gets from the host (ctx.run, `forRun` handlers, breaker scope). */
  runServices: RunServices;
}

/** Creates an engine. Hosts register step kinds, then start or resume runs. */
export function createEngine(options: EngineOptions): Engine {
  return refusingStorageFaults(new StageflowEngine(options));
}

/** The host API calls whose journal failures for storage reasons become RefusedErrors. */
const GUARDED = ["start", "resume", "resumeAll", "cancel", "report", "listRuns", "signal", "wake"] as const;

/**
 * One rule for storage failures: a host API call rejects with RefusedError `storage_unavailable`
 * or `storage_corrupt` (the journal's own error as its `cause`, its message kept) whenever the
 * journal rejected for a storage reason (see the Journal interface). A run's `done` is not
 * rewritten: a run stopped by its journal failing rejects with the journal's error itself, whose
 * `reason` is the same storage code.
 */
function refusingStorageFaults(engine: StageflowEngine): Engine {
  for (const name of GUARDED) {
    const call = engine[name] as (...args: unknown[]) => Promise<unknown>;
    Object.defineProperty(engine, name, {
      value: (...args: unknown[]) =>
        call.apply(engine, args).catch((error: unknown) => {
          throw asStorageRefusal(error, typeof args[0] === "string" ? args[0] : undefined);
        }),
    });
  }
  return engine;
}

function asStorageRefusal(error: unknown, runId: string | undefined): unknown {
  const code = storageRefusalOf(error);
  if (!code || error instanceof RefusedError) return error;
  return new RefusedError(code, errorMessage(error), runId, { cause: error });
}

const unknownRun = (runId: string): RefusedError =>
  new RefusedError("run_not_found", `unknown run '${runId}'`, runId);

class StageflowEngine implements Engine {
  private readonly journal: Journal;
  private readonly clock: Clock;
  private readonly bus: EventBus;
  private readonly leases: LeaseKeeper;
  private readonly handlers = new Map<string, StepHandler>();
  private readonly active = new Map<string, { cancel: Cancel; done: Promise<RunResult>; waits: RunWaits }>();
  /** Runs a resume of this engine is taking over (between its check and its launch). */
  private readonly claimed = new Set<string>();
  /** Starts with a key in flight here: another start of the key joins the first one. */
  private readonly starting = new Map<string, Promise<RunHandle>>();
  private readonly services: EngineServices;
  private readonly ready: Promise<void>;
  private readonly newId: () => string;
  private readonly defaultPatterns: RecoveryPattern[];
  private readonly compiled = new Map<string, WorkflowPlan>();
  private readonly patterns = new Map<string, CompiledPattern[]>();
  /** Parked runs: their wake conditions and one timer (see parking/scheduler.ts). */
  private readonly scheduler: WakeScheduler;
  private readonly parkAfterMs: number;
  private closed = false;

  constructor(private readonly options: EngineOptions) {
    const leaseMs = options.leaseMs ?? 30_000;
    if (!(leaseMs > 0)) throw new TypeError(`leaseMs must be a positive number, got ${leaseMs}`);
    this.journal = options.journal;
    this.clock = options.clock ?? systemClock;
    const logger = options.logger ?? nullLogger;
    this.bus = new EventBus(logger, this.journal);
    this.newId = options.newId ?? (() => uuidv7(this.clock.now()));
    const owner = options.owner ?? `engine/${randomUUID().slice(0, 8)}`;
    const pollMs = options.cancelPollMs ?? 500;
    if (!(pollMs > 0)) throw new TypeError(`cancelPollMs must be a positive number, got ${pollMs}`);
    this.leases = new LeaseKeeper({
      journal: this.journal,
      clock: this.clock,
      logger,
      owner,
      leaseMs,
      pollMs,
    });
    this.parkAfterMs = options.parkAfterMs ?? 1_000;
    if (!(this.parkAfterMs >= 0)) throw new TypeError(`parkAfterMs must be >= 0, got ${this.parkAfterMs}`);
    this.scheduler = new WakeScheduler(this.clock, (runId, by) => void this.wakeRun(runId, by));
    for (const [kind, handler] of ENGINE_KINDS) this.handlers.set(kind, handler);
    const breakers = (initial: Record<string, BreakerSnapshot>) =>
      new BreakerRegistry({
        clock: this.clock,
        defaults: options.breaker ?? {},
        initial,
        onChange: (dependency, snapshot, transition) => {
          this.journal.saveBreaker(dependency, snapshot).catch((error) => {
            logger.warn("could not save breaker state", { dependency, error: String(error) });
          });
          recordTransition(this.services, dependency, snapshot, transition);
        },
      });
    this.services = {
      clock: this.clock,
      random: options.random ?? mathRandom,
      leaseOwner: owner,
      logger,
      hooks: options.hooks ?? {},
      breakers: breakers({}),
      kinds: this.handlers,
      workDir: options.workDir ?? join(tmpdir(), "stageflow"),
      budgets: new RetryBudgets({ clock: this.clock, ...options.retryBudget }),
      breakerCallers: new Map(),
      draining: false,
    };
    this.defaultPatterns = options.defaultPatterns === false ? [] : DEFAULT_PATTERNS;
    this.ready = this.journal.loadBreakers().then((saved) => {
      this.services.breakers = breakers(saved);
    });
    // Awaited by start() and resume(); an engine used only for reports may never await it, and
    // its failure (a damaged journal) must not become an unhandled rejection.
    this.ready.catch(() => {});
  }

  get kinds(): ReadonlyMap<string, StepHandler> {
    return this.handlers;
  }

  register(kind: string, handler: StepHandlerLike): this {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(kind)) throw new TypeError(`invalid step kind name '${kind}'`);
    if (ENGINE_KINDS.has(kind))
      throw new TypeError(`'${kind}' is the engine's own step kind: it is always registered`);
    this.handlers.set(kind, toHandler(handler));
    return this;
  }

  on(listener: EventListener, options?: SubscribeOptions): Subscription {
    return this.bus.on(listener, options);
  }

  async start(plan: WorkflowPlan, opts: StartOptions = {}): Promise<RunHandle> {
    this.refuseClosed("start a run");
    await this.ready;
    const inputs = resolveInputs(plan, opts.inputs ?? {});
    const key = checkRunKey(opts.key);
    const metadata = checkRunMetadata(opts.metadata);
    if (key === null) return this.startRun(plan, opts, inputs, { key, metadata });
    // No await between the check and the set: two starts of one key here share one journal write.
    const pending = this.starting.get(key);
    if (pending) return { ...(await pending), existing: true };
    const starting = this.startKeyed(plan, opts, inputs, key, metadata);
    this.starting.set(key, starting);
    try {
      return await starting;
    } finally {
      this.starting.delete(key);
    }
  }

  /** A start with a key: the run that has it, or a new run (the journal decides a race). */
  private async startKeyed(
    plan: WorkflowPlan,
    opts: StartOptions,
    inputs: Record<string, unknown>,
    key: string,
    metadata: RunMetadata,
  ): Promise<RunHandle> {
    const [found] = await this.journal.listRuns({ key, limit: 1 });
    if (found) return this.existingHandle(found);
    return this.startRun(plan, opts, inputs, { key, metadata });
  }

  private async startRun(
    plan: WorkflowPlan,
    opts: StartOptions,
    inputs: Record<string, unknown>,
    { key, metadata }: { key: string | null; metadata: RunMetadata },
  ): Promise<RunHandle> {
    const runId = opts.runId ?? this.newId();
    const correlationId = opts.correlationId ?? runId;
    const trigger = opts.trigger ?? { kind: "api" as const };
    const now = this.clock.now();
    const recorder = new RunRecorder({
      journal: this.journal,
      bus: this.bus,
      clock: this.clock,
      runId,
      correlationId,
    });
    recorder.masker = this.maskerOf(plan, inputs);
    const recorded = recordedInputs(plan.definition, inputs, opts.inputs ?? {});
    // Made before anything is recorded: a host's breakerScope that throws records nothing.
    const runServices = this.runServicesOf({ id: runId, workflow: plan.name, key, metadata });
    const started = recorder.event("run.started", {
      workflow: plan.name,
      inputs: recorded,
      trigger,
      ...(key === null ? {} : { key }),
      ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
    });
    const run = {
      id: runId,
      workflow: plan.name,
      definition: plan.definition,
      definitionHash: plan.hash,
      trigger,
      correlationId,
      inputs: recorded,
      key,
      metadata,
      createdAt: now,
      lease: { owner: this.leases.owner, expiresAt: this.leases.expiry() },
      ...(plan.source ? { source: plan.source } : {}),
    };
    const outcome = await this.journal.createRun(run, [started]);
    if (!outcome.created) return this.existingRun(outcome.existing, key ?? "");
    this.bus.emit([started]);
    return this.launch({
      recorder,
      plan,
      inputs,
      checkpoints: new Map(),
      lastAttempt: new Map(),
      failedAttempts: new Map(),
      startedAt: now,
      runServices,
    });
  }

  /** The run another start recorded with `key` first (here or in another process). */
  private async existingRun(runId: string, key: string): Promise<RunHandle> {
    const run = await this.journal.getRun(runId);
    if (!run) {
      throw new RefusedError(
        "run_not_found",
        `run ${runId}, which has key '${key}', was deleted as this start found it; start again`,
        runId,
      );
    }
    return this.existingHandle(run);
  }

  /**
   * The handle of a run found by its key: its `done` is the run's own when it executes here;
   * otherwise its state as recorded (see RunHandle.done).
   */
  private existingHandle(run: RunRecord): RunHandle {
    const local = this.active.get(run.id);
    if (local) return { runId: run.id, done: local.done, existing: true };
    const reason =
      run.status === "running"
        ? this.isInterrupted(run)
          ? "interrupted"
          : "run_busy"
        : (run.reason ?? (isReasonCode(run.status) ? run.status : "escalated"));
    const result: RunResult = { runId: run.id, status: run.status, reason };
    if (run.error) result.error = run.error;
    return { runId: run.id, done: Promise.resolve(result), existing: true };
  }

  /** What one execution of the run here gets from the host: `ctx.run`, `forRun` handlers, breaker scope. */
  private runServicesOf(run: Pick<RunRecord, "id" | "workflow" | "key" | "metadata">): RunServices {
    const info = runInfo(run);
    const scope = this.options.breakerScope?.(info);
    if (scope !== undefined && (typeof scope !== "string" || scope.length === 0)) {
      throw new TypeError(
        `breakerScope must return a non-empty string or undefined, got ${JSON.stringify(scope)} for run ${run.id}`,
      );
    }
    return new RunServices(info, scope);
  }

  async resume(runId: string, opts: ResumeOptions = {}): Promise<RunHandle> {
    return this.resumeRun(runId, opts);
  }

  private async resumeRun(runId: string, opts: ResumeOptions & { wokenBy?: WakeCause }): Promise<RunHandle> {
    this.refuseClosed("resume a run");
    await this.ready;
    // The check and the claim with no await between them: two resumes of one run in this
    // process cannot both pass (the lease is this owner's either way, so the journal cannot tell).
    if (this.active.has(runId) || this.claimed.has(runId)) {
      throw new RunBusyError(
        runId,
        this.leases.owner,
        this.leases.expiry(),
        `run ${runId} is already running here`,
      );
    }
    this.claimed.add(runId);
    this.scheduler.remove(runId);
    try {
      const prepared = await prepareResume(
        {
          journal: this.journal,
          clock: this.clock,
          bus: this.bus,
          leases: this.leases,
          options: this.options,
          ...this.orphans,
          newId: this.newId,
        },
        runId,
        opts,
        (definition, hash) => this.compileRecorded(definition, hash),
      );
      if ("ended" in prepared) {
        // Ended here without running anything (a cancel was pending): its work files go as in launch().
        if (WORK_DIR_REMOVED_AFTER.includes(prepared.ended.status)) await this.removeWorkDir(runId);
        return { runId, done: Promise.resolve(prepared.ended), existing: false };
      }
      const { recorder, plan, run, inputs, checkpoints, lastAttempt, failedAttempts, runServices } = prepared;
      recorder.masker = this.maskerOf(plan, inputs);
      return this.launch({
        recorder,
        plan,
        inputs,
        checkpoints,
        lastAttempt,
        failedAttempts,
        startedAt: run.createdAt,
        runServices,
      });
    } finally {
      this.claimed.delete(runId);
    }
  }

  /** The masker of a run: its secret inputs' values and the host's values of its `secrets:`. */
  private maskerOf(plan: WorkflowPlan, inputs: Record<string, unknown>): SecretMasker {
    return runSecrets(plan.definition, inputs, this.options.env ?? {});
  }

  /** The plan's recovery patterns with the defaults, compiled once per workflow version. */
  private patternsOf(plan: WorkflowPlan): CompiledPattern[] {
    let patterns = this.patterns.get(plan.hash);
    if (!patterns) {
      patterns = compilePatterns(mergePatterns(plan.recovery, this.defaultPatterns));
      this.patterns.set(plan.hash, patterns);
    }
    return patterns;
  }

  /** Compiles a recorded definition once per hash (every run of a workflow version shares it). */
  private compileRecorded(definition: unknown, hash: string): WorkflowPlan {
    let plan = this.compiled.get(hash);
    if (!plan) {
      plan = compileWorkflow(definition, { kinds: this.handlers });
      if (plan.hash === hash) this.compiled.set(hash, plan);
    }
    return { ...plan };
  }

  async resumeAll(
    opts: { plan?(run: RunRecord): Promise<WorkflowPlan | undefined> } = {},
  ): Promise<RunHandle[]> {
    this.refuseClosed("resume runs");
    await this.ready;
    const now = this.clock.now();
    const running = await this.journal.listRuns({ status: ["running"] });
    const handles: RunHandle[] = [];
    for (const run of running) {
      if (this.active.has(run.id) || this.claimed.has(run.id)) continue;
      if (!leaseHolderGone(run, now, this.options.isOwnerAlive)) continue;
      try {
        const plan = await opts.plan?.(run);
        handles.push(await this.resume(run.id, plan ? { plan } : {}));
      } catch (error) {
        // Another process took it over first (or finished it) since the list was read: its run now.
        if (isRunBusy(error))
          this.services.logger.info("run taken over by another process", { runId: run.id });
        else this.services.logger.error("could not resume run", { runId: run.id, error: String(error) });
      }
    }
    // Parked runs go to the scheduler; those already due are woken now and returned with the rest.
    handles.push(...(await this.loadParked()));
    return handles;
  }

  async signal(
    runId: string,
    name: string,
    payload: unknown = null,
    options: SignalOptions = {},
  ): Promise<SignalReceipt> {
    this.refuseClosed("send a signal");
    await this.ready;
    const run = await this.unfinishedRun(runId, "no step waits for a signal");
    const names = this.signalNames(run);
    if (names && !names.includes(name)) {
      const known = names.length
        ? `it waits for ${names.map((n) => `'${n}'`).join(", ")}`
        : "none of its steps waits for a signal";
      throw new RefusedError(
        "signal_unknown",
        `run ${runId} (${run.workflow}) waits for no signal '${name}': ${known}`,
        runId,
      );
    }
    const at = this.clock.now();
    const record = await this.journal.recordSignal(
      { runId, name, payload: payload ?? null, sender: options.sender ?? null, at },
      [],
    );
    const active = this.active.get(runId);
    if (active) active.waits.notify(name);
    else if (
      this.scheduler.waitsFor(runId, name) ||
      (run.status === "waiting" && run.reason === "parked" && !this.scheduler.has(runId))
    ) {
      void this.wakeRun(runId, "signal");
    }
    return { runId, name, seq: record.seq, at };
  }

  /**
   * The signal names the steps of the run's plan wait for (each kind's `signals`); undefined when
   * its definition cannot tell (it does not compile, or a step's names are known only when it runs).
   */
  private signalNames(run: RunRecord): string[] | undefined {
    let plan: WorkflowPlan;
    try {
      plan = this.compileRecorded(run.definition, run.definitionHash);
    } catch {
      return undefined;
    }
    const names = new Set<string>();
    for (const stage of plan.stages) {
      for (const step of stage.steps) {
        const handler = this.handlers.get(step.kind);
        if (!handler?.signals) continue;
        const declared = handler.signals(step.config, step.id);
        if (declared === undefined) return undefined;
        for (const name of declared) names.add(name);
      }
    }
    return [...names];
  }

  async wake(): Promise<number> {
    this.refuseClosed("wake runs");
    await this.ready;
    await this.loadParked();
    return this.scheduler.size;
  }

  /** The journal's parked runs into the scheduler; the handles of those woken at once (due). */
  private async loadParked(): Promise<RunHandle[]> {
    const woken: RunHandle[] = [];
    for (const { runId, wake } of await this.journal.listParked()) {
      if (this.active.has(runId) || this.claimed.has(runId)) continue;
      const handle = await this.schedule(runId, wake);
      if (handle) woken.push(handle);
    }
    return woken;
  }

  /**
   * Schedules a parked run, or wakes it at once (returning its handle) when its deadline has
   * passed or a signal it waits for is already journaled.
   */
  private async schedule(
    runId: string,
    wake: { at: number | null; signals: string[] },
  ): Promise<RunHandle | undefined> {
    if (this.closed) return undefined;
    if (wake.signals.length > 0) {
      const signals = await this.journal.listSignals(runId);
      if (signals.some((s) => s.consumedBy === null && wake.signals.includes(s.name))) {
        return this.wakeRun(runId, "signal");
      }
    }
    if (wake.at !== null && wake.at <= this.clock.now()) return this.wakeRun(runId, "timer");
    this.scheduler.add(runId, wake);
    return undefined;
  }

  /**
   * Resumes a parked run from the journal; its waiting step runs again and finds its timer or
   * signal. Resolves with its handle, or undefined when it could not be woken here (logged).
   */
  private async wakeRun(runId: string, by: WakeCause): Promise<RunHandle | undefined> {
    if (this.closed) return undefined;
    this.scheduler.remove(runId);
    try {
      const handle = await this.resumeRun(runId, { wokenBy: by });
      handle.done.catch(() => {});
      return handle;
    } catch (error) {
      // Another process took it (or woke it) first, or it ended meanwhile: nothing to do here.
      if (isRunBusy(error)) this.services.logger.info("parked run taken by another process", { runId });
      else this.services.logger.error("could not wake parked run", { runId, by, error: String(error) });
      return undefined;
    }
  }

  /** The run, when it exists and is not finished: RefusedError `run_not_found` / `run_finished` otherwise. */
  private async unfinishedRun(runId: string, finished: string): Promise<RunRecord> {
    const run = await this.journal.getRun(runId);
    if (!run) throw unknownRun(runId);
    if ((TERMINAL_RUN_STATUSES as string[]).includes(run.status)) {
      throw new RefusedError(
        "run_finished",
        `run ${runId} already finished (${run.status}); ${finished}`,
        runId,
      );
    }
    return run;
  }

  private refuseClosed(what: string): void {
    if (this.closed) throw new EngineClosedError(what);
  }

  async cancel(runId: string): Promise<void> {
    const run = await this.unfinishedRun(runId, "nothing to cancel");
    const recorder = new RunRecorder({
      journal: this.journal,
      bus: this.bus,
      clock: this.clock,
      runId,
      correlationId: run.correlationId,
    });
    await this.journal.requestCancel(runId, [recorder.event("run.cancel_requested", {})]);
    this.scheduler.remove(runId);
    const local = this.active.get(runId);
    if (local) {
      local.cancel.abort(new StageflowError("cancelled", "cancelled by request"));
      await local.done;
      return;
    }
    const now = this.clock.now();
    if (run.status === "running" && !leaseHolderGone(run, now, this.options.isOwnerAlive)) return;
    // Nobody executes it (parked, blocked, failed, or its owner is gone): end it here, once this
    // process holds its lease — a resume that took it meanwhile sees the request and ends it itself.
    if (this.claimed.has(runId)) return;
    const owner = this.leases.owner;
    try {
      await takeOver(
        this.journal,
        run,
        { owner, expiresAt: this.leases.expiry(), now },
        this.options.isOwnerAlive,
      );
    } catch (error) {
      if (isRunBusy(error)) return;
      throw error;
    }
    const fresh = await this.journal.getRun(runId);
    if (!fresh || (TERMINAL_RUN_STATUSES as string[]).includes(fresh.status)) {
      await this.journal.releaseLease(runId, owner);
      return;
    }
    try {
      await endCancelled(this.journal, recorder, fresh, owner, now, this.orphans);
    } catch (error) {
      // Nothing recorded: the request stays, and the next cancel or resume ends it.
      await this.journal.releaseLease(runId, owner).catch(() => {});
      throw error;
    }
    await this.removeWorkDir(runId);
  }

  /** How a run nobody executes any more gets what its dead owner's steps left running stopped. */
  private get orphans(): OrphanStopper {
    return {
      kinds: this.handlers,
      logger: this.services.logger,
      runServices: (run) => this.runServicesOf(run),
    };
  }

  isInterrupted(run: RunRecord): boolean {
    if (run.status !== "running" || this.active.has(run.id)) return false;
    return leaseHolderGone(run, this.clock.now(), this.options.isOwnerAlive);
  }

  listRuns(query?: RunQuery): Promise<RunRecord[]> {
    return this.journal.listRuns(query);
  }

  async report(runId: string): Promise<RunReport> {
    const run = await this.journal.getRun(runId);
    if (!run) throw unknownRun(runId);
    const [attempts, checkpoints, events] = await Promise.all([
      this.journal.listAttempts(runId),
      this.journal.listCheckpoints(runId),
      this.journal.listEvents(runId),
    ]);
    // A run recorded as running that no process executes any more: its model says interrupted.
    const state = this.isInterrupted(run) ? "interrupted" : undefined;
    return buildReport({ run, attempts, checkpoints, events, state });
  }

  /**
   * Shuts down gracefully (see CloseOptions). `interrupt`: runs in flight are interrupted (their
   * steps aborted, nothing recorded as failed or cancelled), stay `running`, and have their leases
   * released, so that this or another process resumes them (`resume --all`). `drain`: no step
   * starts any more, waiting steps park, running steps finish until `deadlineMs`, then the rest
   * is interrupted. The scheduler of parked runs stops (they stay parked in the journal).
   */
  async close(options: CloseOptions = {}): Promise<void> {
    const { mode = "interrupt", deadlineMs = 30_000 } = options;
    if (mode !== "drain" && mode !== "interrupt")
      throw new TypeError(`close: unknown mode '${String(mode)}'`);
    this.closed = true;
    this.scheduler.stop();
    if (mode === "drain") {
      this.services.draining = true;
      for (const run of this.active.values()) run.waits.check();
      const running = [...this.active.values()].map((run) => run.done);
      let stopTimer: (() => void) | undefined;
      const deadline = new Promise<void>((resolve) => {
        stopTimer = startTimer(this.clock, deadlineMs, resolve);
      });
      await Promise.race([Promise.allSettled(running), deadline]);
      stopTimer?.();
    }
    const runs = [...this.active.values()];
    for (const run of runs) {
      const reason = Object.assign(new StageflowError("interrupted", "the engine is shutting down"), {
        owner: this.leases.owner,
      });
      run.cancel.abort(reason);
    }
    await Promise.allSettled(runs.map((run) => run.done));
    this.leases.stop();
  }

  private async removeWorkDir(runId: string): Promise<void> {
    await removeRunWorkDir(this.services.workDir, runId).catch((error) => {
      this.services.logger.warn("could not remove the run's work directory", { runId, error: String(error) });
    });
  }

  private launch(launch: Launch): RunHandle {
    const { recorder, plan, inputs, checkpoints, lastAttempt, failedAttempts, startedAt, runServices } =
      launch;
    const runId = recorder.runId;
    const cancel = new Cancel();
    const ctx: RunContext = {
      run: { id: runId, plan, inputs, startedAt },
      journaled: { checkpoints, lastAttempt, failedAttempts },
      recovery: { patterns: this.patternsOf(plan), degradedSkips: new Set(), degraded: [] },
      output: {
        recorder,
        logs: new StepLogs({
          journal: this.journal,
          clock: this.clock,
          logger: this.services.logger,
          runId,
          masker: recorder.masker,
        }),
        stepLogger: maskingLogger(this.services.logger, recorder.masker),
        workDir: `${this.services.workDir}/${runId}`,
      },
      services: this.services,
      cancel,
      scope: {
        inputs,
        steps: {},
        run: {
          id: runId,
          correlation_id: recorder.correlationId,
          key: runServices.info.key,
          metadata: runServices.info.metadata,
        },
        workflow: { name: plan.name },
      },
      evaluate: (expression) => evaluateExpression(expression, ctx.scope),
      runServices,
      waits: new RunWaits({
        journal: this.journal,
        clock: this.clock,
        runId,
        parkAfterMs: this.parkAfterMs,
        draining: () => this.services.draining,
      }),
    };
    this.leases.add(runId, cancel);
    const sessionId = this.newId();
    // A final or waiting status is written with the lease released; otherwise it is released here.
    let released = false;
    let parked = false;
    const done = executeRun(ctx, sessionId)
      .then(async (result) => {
        released = result.status !== "running";
        parked = result.reason === "parked";
        if (WORK_DIR_REMOVED_AFTER.includes(result.status)) await this.removeWorkDir(runId);
        return result;
      })
      .finally(async () => {
        runServices.drop();
        ctx.output.logs.flush();
        this.active.delete(runId);
        await this.leases.remove(runId, released);
        // Out of memory now: the scheduler wakes it (at once when its signal came meanwhile).
        if (parked && ctx.waits.parked) await this.schedule(runId, ctx.waits.parked);
      });
    this.active.set(runId, { cancel, done, waits: ctx.waits });
    return { runId, done, existing: false };
  }
}
