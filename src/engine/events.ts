import type { ErrorInfo } from "./errors.js";
import type { ReasonCode } from "./reasons.js";
import type { ErrorType, Severity, Strategy } from "./recovery/types.js";

/**
 * Typed engine events. Every event is journaled (in the same transaction as the state change it
 * describes) and delivered to subscribers (metrics, logs, renderers, alerts) after it is durable.
 */
export interface EventPayloads {
  "run.started": {
    workflow: string;
    inputs: Record<string, unknown>;
    trigger: Trigger;
    /** Given at start (StartOptions), when they were. */
    key?: string;
    metadata?: Record<string, unknown>;
  };
  "run.resumed": { owner: string; takenOverFrom?: string | null; skippedSteps: string[] };
  "run.succeeded": { durationMs: number };
  "run.failed": { reason: ReasonCode; error?: ErrorInfo; failedSteps: string[]; durationMs: number };
  "run.cancel_requested": Record<string, never>;
  "run.cancelled": { durationMs: number };
  "run.blocked": { reason: ReasonCode; message: string };
  "run.interrupted": { owner: string };
  /** A changed definition was accepted on resume (`resume --accept-changes`); ids of steps. */
  "run.changes_accepted": {
    previousHash: string;
    hash: string;
    added: string[];
    removed: string[];
    changed: string[];
    /** Steps whose earlier result (skipped or failed) was dropped: they run under the new definition. */
    rerun: string[];
  };
  "stage.started": { stageId: string };
  "stage.skipped": { stageId: string; reason: ReasonCode };
  "stage.warning": { stageId: string; elapsedMs: number; warnAfterMs: number };
  "stage.timed_out": {
    stageId: string;
    timeoutMs: number;
    unfinished: string[];
    /** The `on_timeout` action taken: retry, degrade, escalate or fail. */
    action: "retry" | "degrade" | "escalate" | "fail";
  };
  "stage.succeeded": { stageId: string; durationMs: number };
  "stage.failed": { stageId: string; reason: ReasonCode; failedSteps: string[]; durationMs: number };
  "step.started": { stageId: string; stepId: string; attempt: number };
  "step.retrying": {
    stageId: string;
    stepId: string;
    attempt: number;
    delayMs: number;
    error: ErrorInfo;
  };
  "step.succeeded": {
    stageId: string;
    stepId: string;
    attempt: number;
    durationMs: number;
    outputs: Record<string, unknown>;
  };
  "step.failed": {
    stageId: string;
    stepId: string;
    attempt: number;
    reason: ReasonCode;
    error: ErrorInfo;
    durationMs: number;
    continued: boolean;
  };
  "step.skipped": { stageId: string; stepId: string; reason: ReasonCode };
  "step.cancelled": {
    stageId: string;
    stepId: string;
    /** The attempt in flight when it was cancelled (0: none was). */
    attempt: number;
    reason: ReasonCode;
    /** How long that attempt had run (ms), when one was in flight. */
    durationMs?: number;
  };
  /** A failed attempt was classified and a recovery strategy chosen. */
  "recovery.decided": {
    stageId: string;
    stepId: string;
    attempt: number;
    /** How long the failed attempt ran (ms; 0 when none did). Absent in journals written before it. */
    durationMs?: number;
    /** The matching pattern, or null when the step's own retry policy decided. */
    patternId: string | null;
    errorType: ErrorType;
    /** The strategy, `step_retry` (no pattern: the step's retry policy) or `give_up`. */
    strategy: Strategy | "step_retry" | "give_up";
    error: ErrorInfo;
    /** retry: the delay before the next attempt. */
    delayMs?: number;
    /** alternative: the index of the alternative tried next. */
    alternative?: number;
    detail?: string;
  };
  /** A step that failed and was recovered (by retry, alternative or degrade). */
  "recovery.succeeded": {
    stageId: string;
    stepId: string;
    patternId: string | null;
    errorType: ErrorType;
    strategy: Strategy | "step_retry";
    attempts: number;
    recoveryMs: number;
  };
  /** Recovery gave up: the step failed, escalated or the run stopped. */
  "recovery.failed": {
    stageId: string;
    stepId: string;
    patternId: string | null;
    errorType: ErrorType;
    strategy: Strategy | "step_retry" | "give_up";
    attempts: number;
    recoveryMs: number;
    reason: ReasonCode;
  };
  /** The dependency's retry budget refused a retry. */
  "recovery.budget_refused": {
    stageId: string;
    stepId: string;
    dependency: string;
    action: "wait" | "escalate";
    waitMs?: number;
  };
  /** The run is parked for a person until the host resumes it. */
  "run.escalated": {
    stageId: string;
    stepId: string | null;
    patternId: string | null;
    severity: Severity;
    notify?: string;
    error: ErrorInfo;
    /** Facts a person needs to act (workflow, inputs, attempts); no instructions: hosts render those. */
    context: Record<string, unknown>;
  };
  /** The run finished with some optional work skipped. */
  "run.degraded": { skipped: string[]; durationMs: number };
  /**
   * The run only waits (for a time or a signal): recorded `waiting` (reason `parked`), its lease
   * released, nothing of it kept in memory but its wake condition; the engine wakes it.
   */
  "run.parked": { wakeAt: number | null; signals: string[] };
  /** The engine woke a parked run: its deadline passed, or a signal it waits for arrived. */
  "run.woken": { by: "timer" | "signal" };
  "breaker.opened": { dependency: string; failures: number; openUntil: number };
  "breaker.half_opened": { dependency: string };
  "breaker.closed": { dependency: string };
}

export type EventType = keyof EventPayloads;

export interface Trigger {
  kind: "cli" | "label" | "command" | "button" | "action" | "api";
  actor?: string;
  /** e.g. the label, the command line, the delivery id. */
  detail?: string;
}

/** An event as the engine writes it. */
export interface NewEvent<T extends EventType = EventType> {
  runId: string;
  correlationId: string;
  type: T;
  at: number;
  payload: EventPayloads[T];
  /**
   * What makes this event unique within its run: the journal ignores an event whose (runId,
   * type, dedupeKey) it already has. Without one, the canonical JSON of the payload is hashed.
   */
  dedupeKey?: string;
  /**
   * Set by the journal when it appends the event (before the write resolves): its place in the
   * journal's one event sequence. An event the journal ignored as a duplicate gets none.
   */
  seq?: number;
}

/** An event as the journal returns it. */
export interface EventRecord<T extends EventType = EventType> extends NewEvent<T> {
  seq: number;
  hash: string;
}

/**
 * What subscribers receive, once the event is durable: a discriminated union on `type`, with the
 * event's `seq` in the journal (a listener that stops remembers the last one and subscribes again
 * with `afterSeq`).
 */
export type EngineEvent = { [K in EventType]: NewEvent<K> & { seq: number } }[EventType];

/**
 * A subscriber. It may return a promise: the next event reaches it only once that settles (its
 * events stay in order), without holding up runs or other subscribers.
 */
export type EventListener = (event: EngineEvent) => unknown;

/** What `Engine.on` delivers: all events, or only those of one run and/or of some types. */
export interface SubscribeOptions {
  runId?: string;
  types?: readonly EventType[];
  /**
   * Catch up first: every journaled event with a greater `seq` (matching the filters) is
   * delivered, read from the journal, then live events, in `seq` order, with no gap and no
   * repeat. Without it, delivery starts with events committed after `on` was called.
   */
  afterSeq?: number;
  /**
   * Live events held for this listener while it is busy; past this the held events are dropped
   * and the subscription reads them from the journal again (nothing is lost). @default 10_000
   */
  maxQueue?: number;
}

/** A listener's subscription (what `Engine.on` returns). */
export interface Subscription {
  /** Stops delivery; an event being delivered finishes. Idempotent. */
  close(): void;
  /** Calling `close()` also works as a disposer: `const off = engine.on(...); off()`. */
  (): void;
  /** Events the listener threw (or rejected) on: each is logged and skipped, never retried. */
  readonly failures: number;
  /** Reads from the journal (catch-up) that failed; retried at the next event. Logged. */
  readonly readFailures: number;
  /** Times the queue overflowed and the subscription fell back to reading the journal. */
  readonly overflows: number;
  /** The seq of the last event delivered (or skipped as failed); `afterSeq` to continue from. */
  readonly lastSeq: number;
  /** Resolves once every event published so far has been delivered to the listener. */
  idle(): Promise<void>;
}
