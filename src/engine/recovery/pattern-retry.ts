import type { Jitter, RetrySpec } from "../definition/plan.js";
import type { RecoveryPattern } from "./types.js";

/**
 * The backoff of a `retry` pattern: its own attempts and delays (defaults 3, 1s and 30s),
 * exponential, with the failed step's jitter. The engine uses it for each retry it decides, and
 * the definition checks build it once per pattern so a file cannot pass them and fail here.
 */
export function patternRetrySpec(pattern: RecoveryPattern, jitter: Jitter): RetrySpec {
  return {
    maxAttempts: pattern.maxAttempts ?? 3,
    backoff: "exponential",
    baseDelayMs: pattern.baseDelayMs ?? 1_000,
    maxDelayMs: pattern.maxDelayMs ?? 30_000,
    jitter,
  };
}
