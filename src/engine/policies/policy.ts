/**
 * One policy shape. Retry, timeout and circuit breaker each implement `Policy`, and `wrap`
 * composes them, outermost first — the shape of cockatiel's `IPolicy` and `wrap()`
 * (connor4312/cockatiel `src/Policy.ts`).
 */
import { neverAborted } from "./validate.js";

/** What a policy hands to the function it runs. */
export interface PolicyContext {
  /**
   * Aborted when the call should stop: the caller's signal aborted, or a policy gave up on
   * this attempt (a timeout). The function is expected to honour it.
   */
  signal: AbortSignal;
  /** 1-based attempt number. Only a RetryPolicy counts attempts; other policies report 1. */
  attempt: number;
}

export interface Policy {
  /** Runs `fn` under this policy. `signal` is the caller's cancellation. */
  execute<T>(fn: (ctx: PolicyContext) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/**
 * Composes policies: the first is the outermost. `wrap(retry, breaker, timeout)` retries calls
 * that each pass the breaker and each get their own timeout. Each layer receives the signal of
 * the layer around it; `fn` sees the innermost signal and the attempt number of the retry layer
 * (the highest attempt any layer reports — with one retry layer, its count). `wrap()` with no
 * policies runs `fn` as is.
 */
export function wrap(...policies: Policy[]): Policy {
  return {
    execute<T>(fn: (ctx: PolicyContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
      const run = (index: number, layerSignal: AbortSignal | undefined, attempt: number): Promise<T> => {
        const policy = policies[index];
        if (!policy) return fn({ signal: layerSignal ?? neverAborted, attempt });
        return policy.execute(
          (ctx) => run(index + 1, ctx.signal, Math.max(attempt, ctx.attempt)),
          layerSignal,
        );
      };
      return run(0, signal, 1);
    },
  };
}
