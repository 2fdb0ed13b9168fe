import type { CircuitBreaker } from "../policies/index.js";
import type { RunContext } from "./context.js";

/**
 * Runs `fn` (a call through `breaker`) and records a breaker transition it caused as an event of
 * the run whose call caused it, so `stageflow history` shows why later calls were refused.
 */
export async function watchBreaker<T>(
  ctx: RunContext,
  breaker: CircuitBreaker,
  dependency: string,
  fn: () => Promise<T>,
): Promise<T> {
  const before = breaker.toJSON();
  try {
    return await fn();
  } finally {
    const after = breaker.toJSON();
    if (after.state !== before.state) {
      const r = ctx.recorder;
      const event =
        after.state === "open"
          ? r.event("breaker.opened", {
              dependency,
              failures: after.consecutiveFailures,
              openUntil: after.openUntil ?? 0,
            })
          : after.state === "half_open"
            ? r.event("breaker.half_opened", { dependency })
            : r.event("breaker.closed", { dependency });
      await r.emit([event]).catch((error) => {
        ctx.services.logger.warn("could not record breaker transition", { dependency, error: String(error) });
      });
    }
  }
}
