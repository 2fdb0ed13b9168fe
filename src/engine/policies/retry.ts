/**
 * Retries a call with backoff — the shape of cockatiel's `src/RetryPolicy.ts`, with time and
 * randomness from the Clock and Random ports. The "retrying in N ms" event (`onRetry`) is
 * emitted and awaited before the backoff sleep starts.
 */
import type { RetrySpec } from "../definition/plan.js";
import { isAbortError, RetriesExhaustedError } from "../errors.js";
import type { Clock, Random } from "../ports.js";
import { type BackoffSchedule, backoffFrom } from "./backoff.js";
import type { Policy, PolicyContext } from "./policy.js";
import { checkInteger, checkMs, neverAborted } from "./validate.js";

export interface RetryInfo {
  /** The attempt that just failed (1-based). The next attempt is `attempt + 1`. */
  attempt: number;
  /** How long the policy is about to wait before that next attempt. */
  delayMs: number;
  error: unknown;
}

export interface RetryOptions {
  /** Attempts, backoff and jitter. Validated at construction. */
  spec: RetrySpec;
  clock: Clock;
  random: Random;
  /**
   * Whether `error` (thrown by attempt `attempt`) may be retried. Cancellation (CancelledError,
   * AbortError, an aborted caller signal) is never retried, whatever this says.
   * @default () => true
   */
  shouldRetry?(error: unknown, attempt: number): boolean;
  /**
   * A delay the error asks for (e.g. from a Retry-After header), in ms. When it returns a number
   * it replaces the backoff delay (capped by `maxOverrideMs`).
   * @default () => undefined
   */
  delayOverride?(error: unknown): number | undefined;
  /** Upper bound for a `delayOverride` delay. @default no bound */
  maxOverrideMs?: number;
  /** Called and awaited before each backoff sleep: the "retrying in N ms" event. */
  onRetry?(info: RetryInfo): void | Promise<void>;
  /**
   * Number of the first attempt this policy makes, for a step resumed after attempts were
   * already journaled. Attempts continue up to `spec.maxAttempts`; at least one is always made.
   * @default 1
   */
  firstAttempt?: number;
}

/**
 * Runs `fn` up to `spec.maxAttempts` times; `ctx.attempt` tells `fn` which attempt it is.
 * A non-retryable error is rethrown as is. When a retryable error ends the last allowed
 * attempt, throws RetriesExhaustedError(attempt, lastError) — `attempts` is the number of the
 * last attempt, so it counts journaled attempts too when `firstAttempt` > 1. With
 * `maxAttempts: 1` (no retry) the error is rethrown as is: there was nothing to exhaust.
 */
export class RetryPolicy implements Policy {
  private readonly backoff: BackoffSchedule;
  private readonly firstAttempt: number;

  constructor(private readonly options: RetryOptions) {
    this.backoff = backoffFrom(options.spec);
    if (options.maxOverrideMs !== undefined) checkMs("maxOverrideMs", options.maxOverrideMs);
    this.firstAttempt = checkInteger("firstAttempt", options.firstAttempt ?? 1, 1);
  }

  async execute<T>(fn: (ctx: PolicyContext) => Promise<T>, signal: AbortSignal = neverAborted): Promise<T> {
    const { clock, shouldRetry, onRetry } = this.options;
    const { maxAttempts } = this.backoff.spec;
    let previousDelay: number | undefined;
    for (let attempt = this.firstAttempt; ; attempt++) {
      signal.throwIfAborted();
      try {
        return await fn({ signal, attempt });
      } catch (error) {
        if (signal.aborted || isAbortError(error) || (shouldRetry && !shouldRetry(error, attempt)))
          throw error;
        if (attempt >= maxAttempts) {
          if (maxAttempts === 1) throw error;
          throw new RetriesExhaustedError(attempt, error);
        }
        const delayMs = this.delayAfter(error, attempt, previousDelay);
        previousDelay = delayMs;
        await onRetry?.({ attempt, delayMs, error });
        await clock.sleep(delayMs, signal);
      }
    }
  }

  private delayAfter(error: unknown, attempt: number, previousDelay: number | undefined): number {
    const override = this.options.delayOverride?.(error);
    if (typeof override === "number" && Number.isFinite(override) && override >= 0) {
      const cap = this.options.maxOverrideMs;
      return Math.round(cap === undefined ? override : Math.min(override, cap));
    }
    return this.backoff.delayFor(attempt, this.options.random, previousDelay);
  }
}
