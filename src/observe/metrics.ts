/**
 * stageflow's Prometheus metrics: one prom-client Registry per host (never the global default),
 * fed by the engine's events (`follow`: `engine.on`, optionally catching up from the journal) or
 * by a journal's recorded events (`replay`), and by the host for what the engine does not see
 * (webhook deliveries, GitHub API calls, the inbox, the template cache). The engine never calls
 * it. Metric names and labels: metric-set.ts; label bounds: labels.ts.
 */
import { collectDefaultMetrics, Registry } from "prom-client";
import type { Engine } from "../engine/engine-api.js";
import type { EngineEvent, EventRecord, EventType, Subscription } from "../engine/events.js";
import type { Journal } from "../engine/journal.js";
import { type Clock, systemClock } from "../engine/ports.js";
import { BoundedLabel } from "./labels.js";
import { type MetricSet, metricSet } from "./metric-set.js";
import {
  newFacts,
  readDefinition,
  reshape,
  type RunFacts,
  type RunSource,
  slotOf,
  type StepSlot,
  type WorkflowShape,
} from "./run-facts.js";

export type { RunSource } from "./run-facts.js";

/** Bounds of the labels whose values come from outside the code (see labels.ts). */
export interface LabelLimits {
  /** Distinct workflow names. @default 100 */
  workflows?: number;
  /** Distinct step kinds. @default 50 */
  kinds?: number;
  /** Distinct breaker / retry-budget dependencies (`<scope>/<dependency>`). @default 200 */
  dependencies?: number;
  /** Distinct GitHub installations. @default 200 */
  installations?: number;
  /** Distinct webhook event names. @default 100 */
  events?: number;
}

export interface MetricsOptions {
  /** The registry to register on. @default a new Registry of its own */
  registry?: Registry;
  /** Also the process's default metrics (`collectDefaultMetrics` on this registry). @default true */
  defaultMetrics?: boolean;
  /** Where to read a run's workflow and definition (its step kinds) from. @default none: `follow`/`replay` set it */
  runs?: RunSource;
  labels?: LabelLimits;
  /** For the inbox's lag. @default systemClock */
  clock?: Pick<Clock, "now">;
  /** Runs whose facts are kept at once (started and not finished); the oldest are dropped past it. @default 10000 */
  maxTrackedRuns?: number;
  /**
   * Told when a run becomes active (started, resumed, woken: `running`) and when it stops being
   * so (finished, parked, escalated, blocked, interrupted), as the metrics fold the events: the
   * profiler's ResourceSampler (sampler.ts) follows the engine this way, on the metrics'
   * subscription, at no cost per event.
   */
  activity?: RunActivity;
}

/** What follows runs becoming active and inactive (a ResourceSampler is one). */
export interface RunActivity {
  /** `at`: the event's time (a start replayed from old history is older than the clock's now). */
  runStarted(runId: string, at: number): void;
  runStopped(runId: string): void;
}

/** The inbox as the metrics read it at each scrape. */
export interface InboxSnapshot {
  pending: number;
  /** Epoch ms of the oldest pending delivery, or null. */
  oldestPendingAt: number | null;
  retrying?: number;
}

export interface Metrics {
  readonly registry: Registry;
  /** `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string;
  /** The exposition text (what `/metrics` answers). */
  text(): Promise<string>;
  /**
   * Brings the series read from their sources (runs active, the inbox, the template cache) up to
   * date: `text()` does it before each scrape; a reader of the registry (the alert rules'
   * `registryReader`) does it before each read, so those series do not wait for a scrape.
   */
  collect(): Promise<void>;
  /** Folds one event in. Returns a promise only when it must read the run from `runs` first. */
  observe(event: EngineEvent | EventRecord): void | Promise<void>;
  /**
   * Subscribes to the engine's events (`engine.on`). `afterSeq: 0` first replays the journal's
   * whole history (the counters then match `replay` of the same journal). Returns the subscription.
   */
  follow(engine: Pick<Engine, "on">, runs: RunSource, options?: { afterSeq?: number }): Subscription;
  /** Folds every event recorded in the journal, in seq order. Resolves with the last seq read. */
  replay(
    journal: Pick<Journal, "listEventsAfter" | "getRun">,
    options?: { pageSize?: number },
  ): Promise<number>;
  /** A verified webhook delivery: recorded, or a redelivery of one already recorded. */
  webhookReceived(event: string, outcome: "recorded" | "redelivered"): void;
  /** An attempt at handling a delivery ended. */
  webhookHandled(event: string, outcome: "done" | "ignored" | "failed"): void;
  /** A GitHub API request ended: the installation (undefined: the app itself), the status or `error`, x-ratelimit-remaining. */
  githubCall(
    installation: number | string | undefined,
    status: number | "error",
    rateLimitRemaining?: number,
  ): void;
  /** Read at each scrape for the inbox gauges. */
  setInboxSource(read: () => InboxSnapshot | Promise<InboxSnapshot>): void;
  /** Read at each scrape for the template cache counters (a renderer's `stats()`). */
  setTemplateCacheSource(read: () => { hits: number; misses: number }): void;
}

const TERMINAL = {
  "run.succeeded": "succeeded",
  "run.failed": "failed",
  "run.cancelled": "cancelled",
  "run.degraded": "degraded",
} as const;
type ActiveState = "running" | "waiting" | "blocked" | "interrupted";
const ACTIVE_STATES: readonly ActiveState[] = ["running", "waiting", "blocked", "interrupted"];
const BREAKER = { "breaker.closed": 0, "breaker.half_opened": 1, "breaker.opened": 2 } as const;
const BREAKER_STATE = ["closed", "half_open", "open"] as const;
/**
 * The event types `follow` subscribes to: those the fold needs (the rest, stage.started,
 * step.retrying, ..., are never queued nor delivered to it). step.started is not one: the events
 * that end an attempt carry its number and duration. (`replay` reads every event, so the
 * attempts of journals written before they carried durations get one from their step.started.)
 */
export const FOLDED: readonly EventType[] = [
  "run.started",
  "run.resumed",
  "run.woken",
  "run.parked",
  "run.escalated",
  "run.blocked",
  "run.interrupted",
  "run.succeeded",
  "run.failed",
  "run.cancelled",
  "run.degraded",
  "stage.succeeded",
  "step.succeeded",
  "step.failed",
  "step.cancelled",
  "step.skipped",
  "recovery.decided",
  "recovery.succeeded",
  "recovery.failed",
  "recovery.budget_refused",
  "breaker.opened",
  "breaker.half_opened",
  "breaker.closed",
];
/** Events that need nothing of their run (its workflow, its steps' kinds). */
const GLOBAL_ONLY: ReadonlySet<string> = new Set([
  "breaker.opened",
  "breaker.half_opened",
  "breaker.closed",
  "recovery.succeeded",
  "recovery.failed",
  "recovery.budget_refused",
  "stage.started",
  "stage.skipped",
  "stage.warning",
  "stage.timed_out",
  "stage.failed",
]);

/** Creates a host's metrics on a registry of their own. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = options.registry ?? new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const m: MetricSet = metricSet(registry);
  const limits = options.labels ?? {};
  const label = {
    workflow: new BoundedLabel("workflow", limits.workflows ?? 100),
    kind: new BoundedLabel("kind", limits.kinds ?? 50),
    dependency: new BoundedLabel("dependency", limits.dependencies ?? 200),
    installation: new BoundedLabel("installation", limits.installations ?? 200),
    event: new BoundedLabel("event", limits.events ?? 100),
  };
  const maxTracked = options.maxTrackedRuns ?? 10_000;
  const maxShapes = 1_000;
  const clock = options.clock ?? systemClock;
  let runs = options.runs;
  const facts = new Map<string, RunFacts>();
  const active = new Map<string, ActiveState>();
  const activeCounts: Record<ActiveState, number> = { running: 0, waiting: 0, blocked: 0, interrupted: 0 };

  let inbox: (() => InboxSnapshot | Promise<InboxSnapshot>) | undefined;
  let templates: (() => { hits: number; misses: number }) | undefined;
  const seenTemplates = { hits: 0, misses: 0 };

  // Gauges and counters read at scrape time.
  const collectors: (() => Promise<void> | void)[] = [];
  collectors.push(() => {
    for (const state of ACTIVE_STATES) m.runsActive.set({ state }, activeCounts[state]);
  });
  collectors.push(async () => {
    if (!inbox) return;
    const s = await inbox();
    m.inboxPending.set(s.pending);
    m.inboxLag.set(s.oldestPendingAt === null ? 0 : Math.max(0, clock.now() - s.oldestPendingAt));
    m.inboxRetrying.set(s.retrying ?? 0);
  });
  collectors.push(() => {
    if (!templates) return;
    const s = templates();
    for (const key of ["hits", "misses"] as const) {
      // A counter only grows: a smaller figure means a new renderer, whose count starts at 0.
      const delta = s[key] >= seenTemplates[key] ? s[key] - seenTemplates[key] : s[key];
      seenTemplates[key] = s[key];
      if (delta > 0) (key === "hits" ? m.templateHits : m.templateMisses).inc(delta);
    }
  });

  const collectAll = async (): Promise<void> => {
    for (const collect of collectors) await collect();
  };

  const activity = options.activity;
  const setActive = (runId: string, state: ActiveState | null, at: number) => {
    const before = active.get(runId);
    if (before) activeCounts[before]--;
    if (state) {
      active.set(runId, state);
      activeCounts[state]++;
    } else active.delete(runId);
    if (!activity || (before === "running") === (state === "running")) return;
    if (state === "running") activity.runStarted(runId, at);
    else activity.runStopped(runId);
  };

  /**
   * The shape (step kinds, parallel stages) of the last definition read of each workflow name: a
   * run of a workflow seen before takes it without reading the journal (one read per workflow,
   * not per run, keeps the observer off the journal's hot path). A run with a step the shape
   * does not know (its file changed) reads its own definition, which becomes the shape. So a
   * step whose kind changed under the same id keeps its old kind label until such a read.
   */
  const shapes = new Map<string, WorkflowShape>();

  const track = (runId: string, workflow: string): RunFacts => {
    const f = newFacts(label.workflow.of(workflow), shapes.get(workflow));
    facts.set(runId, f);
    if (facts.size > maxTracked) facts.delete(facts.keys().next().value as string);
    return f;
  };

  async function load(runId: string): Promise<RunFacts> {
    const run = await runs?.getRun(runId);
    const workflow = run?.workflow ?? "unknown";
    const f = facts.get(runId) ?? track(runId, workflow);
    const shape = readDefinition(run?.definition);
    reshape(f, shape);
    if (run) {
      shapes.delete(workflow); // re-inserted last: the oldest shapes go first
      shapes.set(workflow, shape);
      if (shapes.size > maxShapes) shapes.delete(shapes.keys().next().value as string);
    }
    return f;
  }

  /**
   * What a step's every attempt updates, cached in its slot: the bounded kind label and the
   * series of a succeeded attempt (the hot path: no label lookup per step). A reset of the
   * metrics (a new generation) drops the cache.
   */
  interface SlotCache {
    generation: number;
    kind: string;
    attempts?: { inc(): void };
    duration?: { observe(value: number): void };
    steps?: { inc(): void };
  }
  const generation = () => m.stepAttempts.generation + m.stepAttemptDuration.generation + m.steps.generation;
  function cached(slot: StepSlot): SlotCache {
    const c = slot.cache as SlotCache | undefined;
    const now = generation();
    if (c?.generation === now) return c;
    const fresh: SlotCache = { generation: now, kind: label.kind.of(slot.kind) };
    slot.cache = fresh;
    return fresh;
  }

  /**
   * A failed or cancelled attempt ended (a succeeded one: inlined in applyRun): counted once
   * (recovery.decided, then step.failed, end the same attempt); attempt 0 is none. Its duration
   * is the event's, or, in journals from before events carried it, from its step.started.
   */
  function endAttempt(f: RunFacts, slot: StepSlot, no: number, outcome: string, e: EngineEvent): void {
    const i = slot.index;
    if (!(no > 0) || f.endedNo[i] === no) return;
    f.endedNo[i] = no;
    const kind = cached(slot).kind;
    m.stepAttempts.child(kind, outcome).inc();
    const ms =
      (e.payload as { durationMs?: number }).durationMs ??
      (f.startedNo[i] === no ? e.at - (f.startedAt[i] as number) : undefined);
    if (ms !== undefined) m.stepAttemptDuration.child(kind, outcome).observe(Math.max(0, ms));
  }

  const stepOutcome = (slot: StepSlot, outcome: "failed" | "cancelled" | "skipped") =>
    m.steps.child(cached(slot).kind, outcome).inc();

  /** Events that need the run's facts; `slot`: the step's, when the caller found it. */
  function applyRun(e: EngineEvent, f: RunFacts, slot?: StepSlot): void {
    switch (e.type) {
      case "step.succeeded": {
        const p = e.payload;
        const s = slot ?? slotOf(f.shape, p.stepId);
        const c = cached(s);
        if (p.attempt > 0 && f.endedNo[s.index] !== p.attempt) {
          // endAttempt's succeeded path, inlined: the most frequent end of all.
          f.endedNo[s.index] = p.attempt;
          (c.attempts ??= m.stepAttempts.child(c.kind, "succeeded")).inc();
          (c.duration ??= m.stepAttemptDuration.child(c.kind, "succeeded")).observe(
            Math.max(0, p.durationMs),
          );
        }
        (c.steps ??= m.steps.child(c.kind, "succeeded")).inc();
        if (s.parallel) f.stepWorkMs[s.index] = (f.stepWorkMs[s.index] ?? 0) + p.durationMs;
        return;
      }
      case "step.started": {
        const i = (slot ?? slotOf(f.shape, e.payload.stepId)).index;
        f.startedNo[i] = e.payload.attempt;
        f.startedAt[i] = e.at;
        return;
      }
      case "run.started":
        m.runsStarted.child(f.workflow).inc();
        setActive(e.runId, "running", e.at);
        return;
      case "run.resumed":
      case "run.woken":
        setActive(e.runId, "running", e.at);
        return;
      case "run.parked":
      case "run.escalated":
        setActive(e.runId, "waiting", e.at);
        return;
      case "run.blocked":
        setActive(e.runId, "blocked", e.at);
        return;
      case "run.interrupted":
        setActive(e.runId, "interrupted", e.at);
        return;
      case "run.succeeded":
      case "run.failed":
      case "run.cancelled":
      case "run.degraded": {
        const status = TERMINAL[e.type];
        m.runsFinished.child(f.workflow, status).inc();
        m.workflowDuration.child(f.workflow, status).observe(Math.max(0, e.payload.durationMs));
        if (f.spanMs > 0 && (status === "succeeded" || status === "degraded"))
          m.speedup.set(f.workMs / f.spanMs);
        setActive(e.runId, null, e.at);
        facts.delete(e.runId);
        return;
      }
      case "stage.succeeded": {
        const slots = f.shape.parallel.get(e.payload.stageId);
        if (!slots) return;
        for (const k of slots) {
          f.workMs += f.stepWorkMs[k] ?? 0;
          f.stepWorkMs[k] = 0;
        }
        f.spanMs += e.payload.durationMs;
        return;
      }
      case "recovery.decided":
        endAttempt(f, slot ?? slotOf(f.shape, e.payload.stepId), e.payload.attempt, "failed", e);
        return;
      case "step.failed": {
        const s = slot ?? slotOf(f.shape, e.payload.stepId);
        endAttempt(f, s, e.payload.attempt, "failed", e);
        stepOutcome(s, "failed");
        return;
      }
      case "step.cancelled": {
        const s = slot ?? slotOf(f.shape, e.payload.stepId);
        endAttempt(f, s, e.payload.attempt, "cancelled", e);
        stepOutcome(s, "cancelled");
        return;
      }
      case "step.skipped":
        stepOutcome(slot ?? slotOf(f.shape, e.payload.stepId), "skipped");
        return;
      default:
        return;
    }
  }

  /** Events that need nothing of the run. */
  function applyGlobal(e: EngineEvent): void {
    switch (e.type) {
      case "recovery.decided":
        m.recoveryAttempts.inc({ strategy: e.payload.strategy, error_type: e.payload.errorType });
        return;
      case "recovery.succeeded":
        m.recoverySuccess.inc({ strategy: e.payload.strategy });
        m.recoveryDuration.observe({ strategy: e.payload.strategy }, Math.max(0, e.payload.recoveryMs));
        return;
      case "recovery.failed":
        m.recoveryFailures.inc({ strategy: e.payload.strategy });
        m.recoveryDuration.observe({ strategy: e.payload.strategy }, Math.max(0, e.payload.recoveryMs));
        return;
      case "recovery.budget_refused":
        m.budgetRefusals.inc({
          dependency: label.dependency.of(e.payload.dependency),
          action: e.payload.action,
        });
        return;
      case "breaker.opened":
      case "breaker.half_opened":
      case "breaker.closed": {
        const dependency = label.dependency.of(e.payload.dependency);
        const value = BREAKER[e.type];
        m.breakerState.set({ dependency }, value);
        m.breakerTransitions.inc({ dependency, state: BREAKER_STATE[value] });
        return;
      }
      default:
        return;
    }
  }

  const needsRun = (type: string) => !GLOBAL_ONLY.has(type);

  function observe(event: EngineEvent | EventRecord): void | Promise<void> {
    const e = event as EngineEvent;
    // The most frequent events first: they need the run, and nothing global.
    if (e.type !== "step.succeeded" && e.type !== "stage.succeeded" && e.type !== "step.started") {
      applyGlobal(e);
      if (!needsRun(e.type)) return;
    }
    let f = facts.get(e.runId);
    if (e.type === "run.started") {
      f ??= track(e.runId, e.payload.workflow);
      // Nothing recorded yet needs the definition: it is read at the first step event.
      return applyRun(e, f);
    }
    if (f?.shape.known) {
      const stepId = (e.payload as { stepId?: unknown }).stepId;
      if (typeof stepId !== "string") return applyRun(e, f);
      const slot = f.shape.steps.get(stepId);
      if (slot || !runs) return applyRun(e, f, slot);
    }
    if (!runs) return applyRun(e, f ?? track(e.runId, "unknown"));
    return load(e.runId).then(
      (loaded) => applyRun(e, loaded),
      () => applyRun(e, f ?? track(e.runId, "unknown")),
    );
  }

  return {
    registry,
    contentType: registry.contentType,
    collect: collectAll,
    async text() {
      await collectAll();
      return registry.metrics();
    },
    observe,
    follow(engine, source, followOptions = {}) {
      runs = source;
      return engine.on(
        observe,
        followOptions.afterSeq === undefined
          ? { types: FOLDED }
          : { types: FOLDED, afterSeq: followOptions.afterSeq },
      );
    },
    async replay(journal, replayOptions = {}) {
      runs = journal;
      const limit = replayOptions.pageSize ?? 1000;
      let seq = 0;
      for (;;) {
        const page = await journal.listEventsAfter(seq, { limit });
        for (const event of page) await observe(event);
        if (page.length < limit) return page.at(-1)?.seq ?? seq;
        seq = (page.at(-1) as EventRecord).seq;
      }
    },
    webhookReceived(event, outcome) {
      m.deliveriesReceived.inc({ event: label.event.of(event), outcome });
    },
    webhookHandled(event, outcome) {
      m.deliveriesHandled.inc({ event: label.event.of(event), outcome });
    },
    githubCall(installation, status, remaining) {
      const id = installation === undefined ? "app" : label.installation.of(installation);
      m.githubCalls.inc({ installation: id, status: String(status) });
      if (remaining !== undefined && Number.isFinite(remaining))
        m.githubRateLimit.set({ installation: id }, remaining);
    },
    setInboxSource(read) {
      inbox = read;
    },
    setTemplateCacheSource(read) {
      templates = read;
    },
  };
}
