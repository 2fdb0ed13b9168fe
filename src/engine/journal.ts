import type { ErrorInfo } from "./errors.js";
import type { EventRecord, EventType, NewEvent, Trigger } from "./events.js";
import type { ReasonCode } from "./reasons.js";

/**
 * Journal: the engine's durable state. `store/` implements it on SQLite; a PostgreSQL
 * implementation must be addable without touching the engine. Every write method is one
 * transaction: what it records, and the events that describe it, become durable together or not
 * at all. A promise returned by a write resolves only after the write is durable (an
 * implementation may group several callers' writes into one commit — group commit — but it never
 * resolves a caller before the commit that holds its write).
 *
 * All times are epoch milliseconds from the engine's Clock.
 *
 * **Storage failures.** A method that fails because of the storage itself rejects with an error
 * whose `reason` is one of the port's storage codes, so that the engine (and a host) can tell them
 * from everything else without knowing the implementation:
 * - `storage_corrupt`: the stored data is damaged or is not a journal (e.g. SQLite's
 *   SQLITE_CORRUPT / SQLITE_NOTADB); retrying does not help, a person must restore it;
 * - `storage_unavailable`: the storage cannot be used now or here (closed journal, read-only,
 *   locked too long, disk full, I/O error, unusable path, schema of another version, ...).
 * Other rejections (an unknown run or attempt, a duplicate id) are not storage failures: they keep
 * their own reason. See STORAGE_REFUSALS and storageRefusalOf().
 */
export interface Journal {
  /**
   * Records a new run (status `running`, leased to `lease.owner`) with its first events. A run
   * whose `key` another run already has is not recorded (nor its events): the outcome names that
   * run, decided in the same transaction as the insert, so of two processes starting one key at
   * once exactly one records a run. A duplicate `id` throws (`duplicate`).
   */
  createRun(run: NewRun, events: NewEvent[]): Promise<CreateRunOutcome>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  listRuns(query?: RunQuery): Promise<RunRecord[]>;
  /**
   * Deletes a finished run (status in TERMINAL_RUN_STATUSES) and everything recorded for it, in
   * one transaction. Returns false and deletes nothing when the run is unknown or not finished
   * (running, waiting or blocked: someone may still act on it), so a run resumed meanwhile stays.
   */
  deleteRun(runId: string): Promise<boolean>;

  /**
   * Takes the run's lease for `owner` until `expiresAt`: one compare-and-set. It succeeds when
   * the lease is free, expired (before `now`), already `owner`'s, or still held by exactly
   * `takeOverFrom` (the holder the caller established is dead, e.g. its pid is gone on this
   * host). A lease that a live holder renews is never taken: the refusal says `run_busy` and
   * names the holder.
   */
  acquireLease(
    runId: string,
    owner: string,
    expiresAt: number,
    now: number,
    options?: { takeOverFrom?: string },
  ): Promise<LeaseOutcome>;
  /** Extends `owner`'s lease. `held: false` when another owner took it. */
  renewLease(
    runId: string,
    owner: string,
    expiresAt: number,
  ): Promise<{ held: boolean; cancelRequested: boolean }>;
  releaseLease(runId: string, owner: string): Promise<void>;

  /** Changes the run's status (and reason/error/finishedAt) together with its events. */
  updateRun(runId: string, patch: RunPatch, events: NewEvent[]): Promise<void>;
  /**
   * The lease holder and cancel flag of each of these runs (unknown ids are left out): a cheap
   * read that the runs' owner polls, so a cancel from another process takes effect quickly.
   */
  leaseStates(runIds: readonly string[]): Promise<LeaseState[]>;
  /** Marks the run for cancellation; its owner sees it within its next poll (`leaseStates`). */
  requestCancel(runId: string, events: NewEvent[]): Promise<void>;

  /** Records that an attempt started. */
  startAttempt(attempt: AttemptStart, events: NewEvent[]): Promise<void>;
  /**
   * Records an attempt's end; when the step is finished for good (succeeded, skipped, or failed
   * and not retried), also its checkpoint. One transaction: output, checkpoint and events.
   */
  finishAttempt(attempt: AttemptFinish, checkpoint: NewCheckpoint | null, events: NewEvent[]): Promise<void>;
  /** Records a checkpoint that has no attempt (a step skipped by its condition or degradation). */
  putCheckpoint(checkpoint: NewCheckpoint, events: NewEvent[]): Promise<void>;
  /**
   * A change of the run's definition accepted on resume: the run takes the new definition (and
   * its inputs under it), the checkpoints of `dropCheckpoints` are deleted (their steps changed or
   * are gone; their attempts stay), and the events are appended, in one transaction.
   */
  replaceDefinition(runId: string, replacement: DefinitionReplacement, events: NewEvent[]): Promise<void>;
  /** Deletes a run's non-succeeded checkpoints, so that a re-run of a failed run retries them. */
  clearFailedCheckpoints(runId: string): Promise<void>;
  /**
   * Every write that takes events sets `seq` on each event it stores (NewEvent.seq) before it
   * resolves; an event ignored as a duplicate keeps none. The engine delivers events to
   * subscribers by it.
   */
  appendEvents(events: NewEvent[]): Promise<void>;

  /**
   * Records an OS process (or group) a step's handler started for an attempt, before the handler
   * lets it do any work: a resume stops what a dead owner left running (see ProcessRecord).
   * Durable when the promise resolves. One record per attempt: recording the same attempt again
   * replaces it. The run must exist.
   */
  recordProcess(record: ProcessRecord): Promise<void>;
  /** The processes recorded for the run's attempts, in the order they were recorded. */
  listProcesses(runId: string): Promise<ProcessRecord[]>;

  listAttempts(runId: string): Promise<AttemptRecord[]>;
  listCheckpoints(runId: string): Promise<CheckpointRecord[]>;
  /** In sequence order; `afterSeq` for tailing. */
  listEvents(runId: string, afterSeq?: number): Promise<EventRecord[]>;
  /**
   * Events of every run (or of `query.runId`) whose `seq` is greater than `afterSeq`, in `seq`
   * order, at most `query.limit` of them (all when absent): a page of the journal's one event
   * sequence, for catching up from a sequence number. `query.types` keeps only those types.
   * `seq` increases across the whole journal in commit order, so reading pages after the last
   * seq seen misses nothing committed and repeats nothing.
   */
  listEventsAfter(afterSeq: number, query?: EventQuery): Promise<EventRecord[]>;
  /** The highest `seq` any event has had in this journal (0 when none): where live events begin. */
  lastEventSeq(): Promise<number>;

  /**
   * Appends lines of steps' output, already masked and bounded by the engine (see
   * executor/step-logs.ts). Throws `unknown_run` for a run that does not exist.
   */
  appendStepLog(lines: NewStepLogLine[]): Promise<void>;
  /** A run's step output in the order it was appended; `stepId` filters, `afterSeq` tails. */
  listStepLog(runId: string, query?: StepLogQuery): Promise<StepLogLine[]>;

  /**
   * Journals a signal sent to the run (`engine.signal`). Durable when the promise resolves, which
   * resolves with the signal as stored (its `seq` increases across the whole journal). Throws
   * `unknown_run` for a run that does not exist. Signals are deleted with their run.
   */
  recordSignal(signal: NewSignal, events: NewEvent[]): Promise<SignalRecord>;
  /** The run's signals in the order they were recorded. */
  listSignals(runId: string): Promise<SignalRecord[]>;
  /**
   * Takes a signal named `name` for `consumer` (a step id), in one transaction: the signal this
   * consumer took before, if any (so a step that runs again gets the same signal: idempotent),
   * else the oldest one of that name nobody took, which is marked taken by `consumer` at `at`.
   * Undefined, changing nothing, when there is none.
   */
  consumeSignal(runId: string, name: string, consumer: string, at: number): Promise<SignalRecord | undefined>;
  /**
   * The deadline of `key` (a step id) in the run, in one transaction: the one recorded before,
   * or else `deadline`, recorded now. A durable timer: the first execution of a waiting step
   * fixes it, every later one (after a restart or a wake) reads it back. Throws `unknown_run`.
   */
  fixDeadline(runId: string, key: string, deadline: number): Promise<number>;
  /**
   * Parked runs: status `waiting` with a wake condition (see RunPatch.wake), in no fixed order.
   * Runs waiting for a person (escalated) have none and are not listed.
   */
  listParked(): Promise<ParkedRun[]>;

  saveBreaker(dependency: string, state: BreakerSnapshot): Promise<void>;
  loadBreakers(): Promise<Record<string, BreakerSnapshot>>;

  /** Storage-level integrity (e.g. SQLite's integrity_check and foreign keys). */
  verify(): Promise<{ ok: boolean; problems: string[] }>;
  close(): Promise<void>;
}

/** Filters of `listEventsAfter`. */
export interface EventQuery {
  runId?: string;
  types?: readonly EventType[];
  /** At most this many events (a page). A positive integer. */
  limit?: number;
}

/** The Journal port's storage codes (see the Journal interface). */
export const STORAGE_REFUSALS = ["storage_unavailable", "storage_corrupt"] as const;
export type StorageRefusal = (typeof STORAGE_REFUSALS)[number];

/** The storage code a journal's error carries (its `reason`), or undefined when it is none. */
export function storageRefusalOf(e: unknown): StorageRefusal | undefined {
  const reason = (e as { reason?: unknown } | null)?.reason;
  return typeof reason === "string" && (STORAGE_REFUSALS as readonly string[]).includes(reason)
    ? (reason as StorageRefusal)
    : undefined;
}

/** What `acquireLease` answers: the lease taken (and from whom), or refused with the holder. */
export type LeaseOutcome =
  | { acquired: true; previousOwner: string | null }
  | { acquired: false; reason: "run_busy"; owner: string; expiresAt: number };

export interface LeaseState {
  runId: string;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  cancelRequested: boolean;
}

/** What `createRun` did: recorded the run, or found another run with its key (`existing`). */
export type CreateRunOutcome =
  { created: true } | { created: false; reason: "duplicate_key"; existing: string };

/**
 * A run's metadata: a small plain JSON object the host gives at start (repository, installation,
 * issue or PR, head SHA, actor, trigger...). Not secret. `{}` when none was given.
 */
export type RunMetadata = Record<string, unknown>;

export type RunStatus = "running" | "waiting" | "succeeded" | "failed" | "cancelled" | "degraded" | "blocked";

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "cancelled", "degraded"];

export interface NewRun {
  id: string;
  workflow: string;
  /** The normalised definition (plain JSON). */
  definition: unknown;
  definitionHash: string;
  /** Where the definition came from, e.g. a file path. */
  source?: string;
  trigger: Trigger;
  correlationId: string;
  inputs: Record<string, unknown>;
  /** The run's idempotency key: unique among the journal's runs. @default null */
  key?: string | null;
  /** Plain JSON, validated by the engine. @default {} */
  metadata?: RunMetadata;
  createdAt: number;
  lease: { owner: string; expiresAt: number };
}

export interface RunRecord {
  id: string;
  workflow: string;
  definition: unknown;
  definitionHash: string;
  source: string | null;
  trigger: Trigger;
  correlationId: string;
  inputs: Record<string, unknown>;
  /** The key it was started with (unique among the journal's runs), or null. */
  key: string | null;
  /** What the host gave at start; `{}` when nothing. */
  metadata: RunMetadata;
  status: RunStatus;
  reason: ReasonCode | null;
  error: ErrorInfo | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  cancelRequested: boolean;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface RunQuery {
  status?: RunStatus[];
  workflow?: string;
  /** Only runs created at or after this time (epoch ms). */
  createdSince?: number;
  /** Only the run started with this key (at most one). */
  key?: string;
  /**
   * Only runs whose metadata has every one of these top-level keys, each equal to the given value
   * (same JSON type and value: `1` does not match `"1"` or `true`; `null` matches only a key set to
   * null, not a missing one).
   */
  metadata?: Record<string, string | number | boolean | null>;
  limit?: number;
}

export interface RunPatch {
  status?: RunStatus;
  reason?: ReasonCode | null;
  error?: ErrorInfo | null;
  finishedAt?: number | null;
  updatedAt: number;
  /**
   * Releases the run's lease in the same write when this owner holds it: a run that ends (or
   * parks, `waiting`) gives up its lease with its final status, without a write of its own.
   */
  releaseLeaseOf?: string;
  /**
   * A parked run's wake condition, written with its `waiting` status. It is kept only while the
   * run is `waiting`: a patch that sets any other status drops it; `null` drops it too.
   */
  wake?: RunWake | null;
}

/** When a parked run is to be woken: at a time, or when one of these signals arrives. */
export interface RunWake {
  /** Epoch ms, or null when only a signal wakes it. */
  at: number | null;
  /** Names of the signals its waiting steps wait for. */
  signals: string[];
}

export interface ParkedRun {
  runId: string;
  wake: RunWake;
}

export interface NewSignal {
  runId: string;
  name: string;
  /** Plain JSON, or null. */
  payload: unknown;
  /** Who sent it, as the host names them (e.g. a GitHub login), or null. */
  sender: string | null;
  at: number;
}

export interface SignalRecord extends NewSignal {
  /** Increases in the order signals are recorded, across the whole journal. */
  seq: number;
  /** The step that took it (Journal.consumeSignal), or null while nobody did. */
  consumedBy: string | null;
  consumedAt: number | null;
}

export interface DefinitionReplacement {
  workflow: string;
  /** The normalised definition (plain JSON) and its hash. */
  definition: unknown;
  definitionHash: string;
  inputs: Record<string, unknown>;
  /** Steps whose checkpoints no longer hold. */
  dropCheckpoints: string[];
  updatedAt: number;
}

export type AttemptStatus = "running" | "succeeded" | "failed" | "cancelled";

export interface AttemptStart {
  runId: string;
  stageId: string;
  stepId: string;
  /** 1-based, counting every attempt of this step in this run (across resumes). */
  attempt: number;
  startedAt: number;
}

export interface AttemptFinish {
  runId: string;
  stepId: string;
  attempt: number;
  status: Exclude<AttemptStatus, "running">;
  reason: ReasonCode;
  finishedAt: number;
  outputs?: Record<string, unknown>;
  error?: ErrorInfo;
  /** What the engine decided after this attempt: `retry in 400ms`, `give up`, ... */
  decision?: string;
}

export interface AttemptRecord {
  runId: string;
  stageId: string;
  stepId: string;
  attempt: number;
  status: AttemptStatus;
  reason: ReasonCode | null;
  startedAt: number;
  finishedAt: number | null;
  outputs: Record<string, unknown> | null;
  error: ErrorInfo | null;
  decision: string | null;
}

/**
 * What a step handler started outside the engine for one attempt (e.g. the `run` kind's process
 * group). The engine stores `process` without reading it: only the kind that recorded it knows
 * what it means (its `stopOrphan` is handed it back on resume). Plain JSON.
 */
export interface ProcessRecord {
  runId: string;
  stepId: string;
  attempt: number;
  /** The step kind whose handler recorded it. */
  kind: string;
  process: unknown;
  recordedAt: number;
}

export type CheckpointStatus = "succeeded" | "skipped" | "failed";

export interface NewCheckpoint {
  runId: string;
  stageId: string;
  stepId: string;
  /** The step's identity hash when it ran (StepPlan.identity). */
  identity: string;
  status: CheckpointStatus;
  reason: ReasonCode;
  outputs: Record<string, unknown>;
  attempts: number;
  /** First attempt's start (or the skip time) and the final end. */
  startedAt: number;
  finishedAt: number;
  /** A hash of (runId, stepId, identity, status, outputs): see checkpointChecksum(). */
  checksum: string;
}

export type CheckpointRecord = NewCheckpoint;

/** A circuit breaker's state as data, so a new process knows a dependency was failing. */
export interface BreakerSnapshot {
  state: "closed" | "open" | "half_open";
  consecutiveFailures: number;
  /** When an open breaker lets its probe through (epoch ms). */
  openUntil: number | null;
  updatedAt: number;
}

/** `note`: a line stageflow adds, e.g. the marker of output that was not kept. */
export type StepLogStream = "stdout" | "stderr" | "note";

export interface NewStepLogLine {
  runId: string;
  stepId: string;
  attempt: number;
  stream: StepLogStream;
  at: number;
  text: string;
}

export interface StepLogLine extends NewStepLogLine {
  /** Increases in append order across the whole journal. */
  seq: number;
}

export interface StepLogQuery {
  stepId?: string;
  afterSeq?: number;
}
