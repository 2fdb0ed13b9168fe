import type { BreakerSnapshot } from "../journal.js";
import type { BreakerTransition } from "../policies/index.js";
import type { EngineServices } from "./context.js";

/**
 * The breaker registry's onChange: every transition, exactly once, journaled as an event of the
 * run whose call caused it (the dependency's last caller), so `stageflow history` shows why later
 * calls were refused.
 */
export function recordTransition(
  services: EngineServices,
  dependency: string,
  snapshot: BreakerSnapshot,
  transition: BreakerTransition,
): void {
  const ctx = services.breakerCallers.get(dependency);
  if (!ctx) return;
  const r = ctx.output.recorder;
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
