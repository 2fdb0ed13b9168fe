import type { Alternative, RecoveryPattern } from "../recovery/types.js";
import { ms } from "./normalise.js";
import type { AlternativeFile, RecoveryPatternFile } from "./recovery-schema.js";

/**
 * The `recovery:` patterns of a validated file as the engine uses them: camelCase, durations in
 * milliseconds, `source: "workflow"`. Keys the file does not set are absent (the engine applies
 * the strategy defaults: 3 attempts, 1s, 30s, `wait`, severity `error`).
 */
export function compileRecovery(patterns: readonly RecoveryPatternFile[]): RecoveryPattern[] {
  return patterns.map((p) =>
    defined<RecoveryPattern>({
      id: p.id,
      match: p.match,
      type: p.type,
      strategy: p.strategy,
      priority: p.priority,
      maxAttempts: p.max_attempts,
      baseDelayMs: ms(p.base_delay),
      maxDelayMs: ms(p.max_delay),
      onBudgetExhausted: p.on_budget_exhausted,
      alternatives: p.alternatives?.map(alternative),
      skip: p.skip && [...p.skip],
      variant: p.variant,
      severity: p.severity,
      notify: p.notify,
      source: "workflow",
    }),
  );
}

function alternative(a: AlternativeFile): Alternative {
  return defined<Alternative>({ step: a.step, with: a.with && structuredClone(a.with) });
}

/** The object without its undefined properties. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
