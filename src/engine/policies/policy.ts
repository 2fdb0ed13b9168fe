/**
 * One policy shape: the timeout and the circuit breaker implement `Policy` — the shape of
 * cockatiel's `IPolicy` (connor4312/cockatiel `src/Policy.ts`). Retries are not a policy: the
 * step's attempt loop (executor/attempts.ts) decides them (see docs/decisions/0003).
 */

/** What a policy hands to the function it runs. */
export interface PolicyContext {
  /**
   * Aborted when the call should stop: the caller's signal aborted, or a policy gave up on
   * this attempt (a timeout). The function is expected to honour it.
   */
  signal: AbortSignal;
  /** 1-based attempt number: the policies here run one attempt and report 1. */
  attempt: number;
}

export interface Policy {
  /** Runs `fn` under this policy. `signal` is the caller's cancellation. */
  execute<T>(fn: (ctx: PolicyContext) => Promise<T>, signal?: AbortSignal): Promise<T>;
}
