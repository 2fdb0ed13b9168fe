import type { BreakerSnapshot } from "../journal.js";
import type { BreakerTransition, CircuitBreaker } from "../policies/index.js";
import type { EngineServices, RunContext } from "./context.js";

/**
 * Runs `fn` (a call through `breaker`), noting `ctx` as the dependency's current caller, so that
 * the transitions the call causes (a half-open probe, opening, closing) are journaled as events
 * of that run — `stageflow history` then shows why later calls were refused.
 */
export function watchBreaker<T>(
  ctx: RunContext,
  _breaker: CircuitBreaker,
  dependency: string,
  fn: () => Promise<T>,
): Promise<T> {
  ctx.services.breakerCallers.set(dependency, ctx);
  return fn();
}

/** The registry's onChange: every transition, exactly once, as an event of the calling run. */
export function recordTransition(
  services: EngineServices,
  dependency: string,
  snapshot: BreakerSnapshot,
  transition: BreakerTransition,
): void {
  const ctx = services.breakerCallers.get(dependency);
  if (!ctx) return;
  const r = ctx.recorder;
  const at = `${dependency}/${snapshot.updatedAt}/${transition}`;
  const event =
    transition === "opened"
      ? r.event(
          "breaker.opened",
          { dependency, failures: snapshot.consecutiveFailures, openUntil: snapshot.openUntil ?? 0 },
          at,
        )
      : transition === "half_opened"
        ? r.event("breaker.half_opened", { dependency }, at)
        : r.event("breaker.closed", { dependency }, at);
  r.note([event]).catch((error) => {
    services.logger.warn("could not record breaker transition", { dependency, error: String(error) });
  });
}
