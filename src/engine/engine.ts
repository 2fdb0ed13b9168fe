import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBus } from "./bus.js";
import { Cancel } from "./cancel.js";
import { compileWorkflow, resolveInputs } from "./definition/index.js";
import type { WorkflowPlan } from "./definition/plan.js";
import type {
  Engine,
  EngineOptions,
  ResumeOptions,
  RunHandle,
  RunReport,
  RunResult,
  StartOptions,
} from "./engine-api.js";
import { InputError, isRunBusy, RunBusyError, StageflowError } from "./errors.js";
import type { EventListener } from "./events.js";
import { recordTransition } from "./executor/breaker-events.js";
import type { EngineServices, RunContext } from "./executor/context.js";
import { LeaseKeeper, leaseHolderGone } from "./executor/leases.js";
import { RunRecorder } from "./executor/recorder.js";
import { StepLogs } from "./executor/step-logs.js";
import { executeRun } from "./executor/run-executor.js";
import { evaluateExpression } from "./expressions/index.js";
import { type StepHandler, type StepHandlerLike, toHandler } from "./handler.js";
import { uuidv7 } from "./ids.js";
import { type BreakerSnapshot, type Journal, type RunRecord, TERMINAL_RUN_STATUSES } from "./journal.js";
import { BreakerRegistry } from "./policies/index.js";
import { type Clock, mathRandom, nullLogger, systemClock } from "./ports.js";
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
import { endCancelled, takeOver } from "./takeover.js";
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
}

/** Creates an engine. Hosts register step kinds, then start or resume runs. */
export function createEngine(options: EngineOptions): Engine {
  return new StageflowEngine(options);
}

class StageflowEngine implements Engine {
  private readonly journal: Journal;
  private readonly clock: Clock;
  private readonly bus: EventBus;
  private readonly leases: LeaseKeeper;
  private readonly handlers = new Map<string, StepHandler>();
  private readonly active = new Map<string, { cancel: Cancel; done: Promise<RunResult> }>();
  /** Runs a resume of this engine is taking over (between its check and its launch). */
  private readonly claimed = new Set<string>();
  private readonly services: EngineServices;
  private readonly ready: Promise<void>;
  private readonly newId: () => string;
  private readonly defaultPatterns: RecoveryPattern[];
  private readonly compiled = new Map<string, WorkflowPlan>();
  private readonly patterns = new Map<string, CompiledPattern[]>();

  constructor(private readonly options: EngineOptions) {
    const leaseMs = options.leaseMs ?? 30_000;
    if (!(leaseMs > 0)) throw new TypeError(`leaseMs must be a positive number, got ${leaseMs}`);
    this.journal = options.journal;
    this.clock = options.clock ?? systemClock;
    const logger = options.logger ?? nullLogger;
    this.bus = new EventBus(logger);
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
    this.handlers.set(kind, toHandler(handler));
    return this;
  }

  on(listener: EventListener): () => void {
    return this.bus.on(listener);
  }

  async start(plan: WorkflowPlan, opts: StartOptions = {}): Promise<RunHandle> {
    await this.ready;
    const inputs = resolveInputs(plan, opts.inputs ?? {});
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
    const started = recorder.event("run.started", { workflow: plan.name, inputs: recorded, trigger });
    const run = {
      id: runId,
      workflow: plan.name,
      definition: plan.definition,
      definitionHash: plan.hash,
      trigger,
      correlationId,
      inputs: recorded,
      createdAt: now,
      lease: { owner: this.leases.owner, expiresAt: this.leases.expiry() },
      ...(plan.source ? { source: plan.source } : {}),
    };
    await this.journal.createRun(run, [started]);
    this.bus.emit([started]);
    return this.launch({
      recorder,
      plan,
      inputs,
      checkpoints: new Map(),
      lastAttempt: new Map(),
      failedAttempts: new Map(),
      startedAt: now,
    });
  }

  async resume(runId: string, opts: ResumeOptions = {}): Promise<RunHandle> {
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
    try {
      const prepared = await prepareResume(
        {
          journal: this.journal,
          clock: this.clock,
          bus: this.bus,
          leases: this.leases,
          options: this.options,
          kinds: this.handlers,
          logger: this.services.logger,
        },
        runId,
        opts,
        (definition, hash) => this.compileRecorded(definition, hash),
      );
      if ("ended" in prepared) return { runId, done: Promise.resolve(prepared.ended) };
      const { recorder, plan, run, inputs, checkpoints, lastAttempt, failedAttempts } = prepared;
      recorder.masker = this.maskerOf(plan, inputs);
      return this.launch({
        recorder,
        plan,
        inputs,
        checkpoints,
        lastAttempt,
        failedAttempts,
        startedAt: run.createdAt,
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
    return handles;
  }

  async cancel(runId: string): Promise<void> {
    const run = await this.journal.getRun(runId);
    if (!run) throw new InputError("invalid_input", `unknown run '${runId}'`);
    if ((TERMINAL_RUN_STATUSES as string[]).includes(run.status)) {
      throw new InputError(
        "invalid_input",
        `run ${runId} already finished (${run.status}); nothing to cancel`,
      );
    }
    const recorder = new RunRecorder({
      journal: this.journal,
      bus: this.bus,
      clock: this.clock,
      runId,
      correlationId: run.correlationId,
    });
    await this.journal.requestCancel(runId, [recorder.event("run.cancel_requested", {})]);
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
    await endCancelled(this.journal, recorder, fresh, owner, now);
  }

  isInterrupted(run: RunRecord): boolean {
    if (run.status !== "running" || this.active.has(run.id)) return false;
    return leaseHolderGone(run, this.clock.now(), this.options.isOwnerAlive);
  }

  async report(runId: string): Promise<RunReport> {
    const run = await this.journal.getRun(runId);
    if (!run) throw new InputError("invalid_input", `unknown run '${runId}'`);
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
   * Shuts down gracefully: runs in flight are interrupted (their steps aborted, nothing recorded
   * as failed or cancelled), stay `running`, and have their leases released, so that this or
   * another process resumes them (`resume --all`).
   */
  async close(): Promise<void> {
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
    const { recorder, plan, inputs, checkpoints, lastAttempt, failedAttempts, startedAt } = launch;
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
        run: { id: runId, correlation_id: recorder.correlationId },
        workflow: { name: plan.name },
      },
      evaluate: (expression) => evaluateExpression(expression, ctx.scope),
    };
    this.leases.add(runId, cancel);
    const sessionId = this.newId();
    // A final or waiting status is written with the lease released; otherwise it is released here.
    let released = false;
    const done = executeRun(ctx, sessionId)
      .then(async (result) => {
        released = result.status !== "running";
        if (WORK_DIR_REMOVED_AFTER.includes(result.status)) await this.removeWorkDir(runId);
        return result;
      })
      .finally(async () => {
        ctx.output.logs.flush();
        this.active.delete(runId);
        await this.leases.remove(runId, released);
      });
    this.active.set(runId, { cancel, done });
    return { runId, done };
  }
}
