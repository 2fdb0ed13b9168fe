import { formatDuration } from "./definition/durations.js";
import type { ReasonCode } from "./reasons.js";

/** A serialisable description of an error, as journaled with attempts and events. */
export interface ErrorInfo {
  name: string;
  message: string;
  code?: string;
  /** HTTP status, for errors that came from an HTTP answer. */
  status?: number;
  /** Response headers (lower-cased names), for errors that came from an HTTP answer. */
  headers?: Record<string, string>;
  reason?: ReasonCode;
}

/** Base class of every error the engine raises on purpose. */
export class StageflowError extends Error {
  readonly reason: ReasonCode;
  constructor(reason: ReasonCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.reason = reason;
  }
}

export class TimeoutError extends StageflowError {
  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super("timed_out", message);
  }
}

export class CircuitOpenError extends StageflowError {
  constructor(
    readonly dependency: string,
    readonly retryAfterMs: number,
  ) {
    super(
      "circuit_open",
      `circuit for '${dependency}' is open; next probe in ${formatDuration(retryAfterMs)}`,
    );
  }
}

export class CancelledError extends StageflowError {
  constructor(message = "cancelled") {
    super("cancelled", message);
  }
}

export class RetriesExhaustedError extends StageflowError {
  constructor(
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super("retries_exhausted", `gave up after ${attempts} attempt(s): ${errorMessage(lastError)}`, {
      cause: lastError,
    });
  }
}

/** A problem with user input: a workflow file, an input value, a checkpoint, a database path. */
export class InputError extends StageflowError {
  constructor(
    reason: ReasonCode,
    message: string,
    readonly issues: readonly string[] = [message],
  ) {
    super(reason, message);
  }
}

/**
 * Why the engine's host API refused a call: a host switches on `error.code` (see RefusedError).
 * `storage_unavailable` and `storage_corrupt` are the Journal port's storage codes.
 */
export const REFUSALS = [
  "run_not_found",
  "run_busy",
  "run_finished",
  "definition_invalid",
  "definition_changed",
  "storage_unavailable",
  "storage_corrupt",
  "signal_unknown",
] as const;
export type RefusalCode = (typeof REFUSALS)[number];

/**
 * A host API call refused for a reason the host can switch on (`code`, the same as `reason`);
 * nothing was recorded.
 * - `run_not_found`: no run with that id (resume, cancel, report, ...);
 * - `run_busy`: another live owner executes the run (RunBusyError);
 * - `run_finished`: the run already finished (resume of a succeeded/degraded/cancelled run,
 *   cancel of any finished run);
 * - `definition_invalid`: a workflow that does not parse or validate (WorkflowError, from
 *   parseWorkflow/compileWorkflow, and a recorded definition that no longer compiles);
 * - `definition_changed`: not thrown: a resume with a changed plan and no `acceptChanges` ends
 *   the run `blocked` and its handle's result says `reason: "definition_changed"`;
 * - `storage_unavailable` / `storage_corrupt`: the journal failed for a storage reason (the
 *   journal's error is the `cause`, see the Journal interface);
 * - `signal_unknown`: see `signal`.
 */
export class RefusedError extends InputError {
  constructor(
    readonly code: RefusalCode,
    message: string,
    readonly runId?: string,
    options: { issues?: readonly string[]; cause?: unknown } = {},
  ) {
    super(code, message, options.issues);
    if (options.cause !== undefined) Object.defineProperty(this, "cause", { value: options.cause });
  }
}

/** Whether `e` is a refusal, with one of `codes` when given. */
export const isRefused = (e: unknown, ...codes: RefusalCode[]): e is RefusedError =>
  e instanceof RefusedError && (codes.length === 0 || codes.includes(e.code));

/**
 * The run is executed by another owner that is alive (its lease is renewed, or its pid lives):
 * it is not taken over. `owner` is the holder, `expiresAt` when its lease ends unless renewed.
 */
export class RunBusyError extends RefusedError {
  declare readonly runId: string;
  constructor(
    runId: string,
    readonly owner: string,
    readonly expiresAt: number,
    message = `run ${runId} is being executed by ${owner} (lease until ${new Date(expiresAt).toISOString()})`,
  ) {
    super("run_busy", message, runId);
  }
}

/** The engine was closed (`engine.close`): it starts, resumes, signals and wakes nothing any more. */
export class EngineClosedError extends StageflowError {
  constructor(what: string) {
    super("interrupted", `the engine is closed: cannot ${what} (create a new engine)`);
  }
}

export const isEngineClosed = (e: unknown): e is EngineClosedError => e instanceof EngineClosedError;

/** A resumed run no longer matches what the journal recorded. Never resumed silently. */
export class DeterminismError extends StageflowError {}

export const isStageflowError = (e: unknown): e is StageflowError => e instanceof StageflowError;
export const isTimeout = (e: unknown): e is TimeoutError => e instanceof TimeoutError;
export const isCircuitOpen = (e: unknown): e is CircuitOpenError => e instanceof CircuitOpenError;
export const isCancelled = (e: unknown): e is CancelledError => e instanceof CancelledError;
export const isInputError = (e: unknown): e is InputError => e instanceof InputError;
export const isRunBusy = (e: unknown): e is RunBusyError => e instanceof RunBusyError;

export function isAbortError(e: unknown): boolean {
  return (
    e instanceof CancelledError ||
    (typeof e === "object" && e !== null && (e as { name?: unknown }).name === "AbortError")
  );
}

/** The reason code an abort carries: a StageflowError's reason, else `cancelled`. */
export function reasonOfAbort(reason: unknown): ReasonCode {
  return reason instanceof StageflowError ? reason.reason : "cancelled";
}

/** The reason code of an aborted signal or Cancel (see reasonOfAbort). */
export function abortReason(aborted: { readonly reason: unknown }): ReasonCode {
  return reasonOfAbort(aborted.reason);
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === "string" ? e : JSON.stringify(e);
}

/** Turns anything thrown into a journal-safe ErrorInfo. */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (!(e instanceof Error)) return { name: "Error", message: errorMessage(e) };
  const info: ErrorInfo = { name: e.name, message: e.message };
  const any = e as unknown as Record<string, unknown>;
  if (typeof any.code === "string") info.code = any.code;
  if (typeof any.status === "number") info.status = any.status;
  if (any.headers && typeof any.headers === "object") {
    info.headers = Object.fromEntries(
      Object.entries(any.headers as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );
  }
  if (e instanceof StageflowError) info.reason = e.reason;
  return info;
}
