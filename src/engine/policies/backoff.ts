/**
 * Backoff and jitter as immutable values built from a RetrySpec — the role of cockatiel's
 * `src/backoff/` (ExponentialBackoff and its generators), as pure functions over an injected
 * Random so that tests with `seededRandom` see the same delays every time.
 */
import type { Backoff, Jitter, RetrySpec } from "../definition/plan.js";
import type { Random } from "../ports.js";
import { checkInteger, checkMs, checkOneOf } from "./validate.js";

const BACKOFFS: readonly Backoff[] = ["exponential", "linear", "constant"];
const JITTERS: readonly Jitter[] = ["full", "equal", "decorrelated", "none"];

export interface BackoffSchedule {
  readonly spec: Readonly<RetrySpec>;
  /**
   * Milliseconds to wait after failed attempt `attempt` (1-based) before the next one, an
   * integer in [0, maxDelayMs]. `previousDelay` (the last delay used) feeds decorrelated jitter.
   */
  delayFor(attempt: number, random: Random, previousDelay?: number): number;
}

/** Validates a RetrySpec; throws a TypeError naming the bad field and value. */
export function checkRetrySpec(spec: RetrySpec): Readonly<RetrySpec> {
  return Object.freeze({
    maxAttempts: checkInteger("retry.maxAttempts", spec.maxAttempts, 1),
    backoff: checkOneOf("retry.backoff", spec.backoff, BACKOFFS),
    baseDelayMs: checkMs("retry.baseDelayMs", spec.baseDelayMs),
    maxDelayMs: checkMs("retry.maxDelayMs", spec.maxDelayMs),
    jitter: checkOneOf("retry.jitter", spec.jitter, JITTERS),
  });
}

/** The delay before jitter: base·2^(n-1), base·n or base, capped at maxDelayMs. */
export function baseDelay(spec: RetrySpec, attempt: number): number {
  const { baseDelayMs: base, maxDelayMs: max } = spec;
  if (base === 0) return 0;
  const n = Math.max(1, attempt);
  const raw =
    spec.backoff === "exponential" ? base * 2 ** (n - 1) : spec.backoff === "linear" ? base * n : base;
  return Math.min(max, raw);
}

/** The delay after jitter, rounded to whole milliseconds and capped at maxDelayMs. */
export function jitteredDelay(
  spec: RetrySpec,
  attempt: number,
  random: Random,
  previousDelay?: number,
): number {
  const d = baseDelay(spec, attempt);
  switch (spec.jitter) {
    case "none":
      return Math.round(d);
    case "full":
      return Math.round(random.next() * d);
    case "equal":
      return Math.round(d / 2 + (random.next() * d) / 2);
    case "decorrelated": {
      // AWS "decorrelated jitter": min(cap, random between base and previous·3).
      const base = Math.min(spec.baseDelayMs, spec.maxDelayMs);
      const upper = Math.max(base, (previousDelay ?? base) * 3);
      return Math.min(spec.maxDelayMs, Math.round(base + random.next() * (upper - base)));
    }
  }
}

/** A frozen schedule for `spec` (validated). */
export function backoffFrom(spec: RetrySpec): BackoffSchedule {
  const checked = checkRetrySpec(spec);
  return Object.freeze({
    spec: checked,
    delayFor: (attempt: number, random: Random, previousDelay?: number) =>
      jitteredDelay(checked, attempt, random, previousDelay),
  });
}
