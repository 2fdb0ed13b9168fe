export { type BackoffSchedule, backoffFrom, baseDelay, checkRetrySpec, jitteredDelay } from "./backoff.js";
export {
  type BreakerSettings,
  type BreakerState,
  type BreakerTransition,
  CircuitBreaker,
  type CircuitBreakerOptions,
} from "./breaker.js";
export type { Policy, PolicyContext } from "./policy.js";
export { BreakerRegistry, type BreakerRegistryOptions } from "./registry.js";
export { type TimeoutOptions, TimeoutPolicy } from "./timeout.js";
export { checkSnapshot } from "./validate.js";
