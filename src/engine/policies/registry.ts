/**
 * One shared CircuitBreaker per dependency name. The engine restores the breakers from the
 * journal at start-up (`initial`) and persists every transition through `onChange`.
 */
import type { BreakerSnapshot } from "../journal.js";
import type { Clock } from "../ports.js";
import { type BreakerSettings, type BreakerTransition, CircuitBreaker } from "./breaker.js";
import { checkInteger, checkMs, checkName, checkSnapshot } from "./validate.js";

export interface BreakerRegistryOptions {
  clock: Clock;
  /** Settings of every breaker the registry creates. @default {} (the CircuitBreaker defaults) */
  defaults?: BreakerSettings;
  /** Snapshots to restore, by dependency (e.g. `journal.loadBreakers()`). @default {} */
  initial?: Record<string, BreakerSnapshot>;
  /** Called after each transition of any breaker. Must not throw. */
  onChange?(dependency: string, snapshot: BreakerSnapshot, transition: BreakerTransition): void;
}

export class BreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly initial: Map<string, BreakerSnapshot>;

  constructor(private readonly options: BreakerRegistryOptions) {
    const d = options.defaults ?? {};
    if (d.failureThreshold !== undefined) checkInteger("failureThreshold", d.failureThreshold, 1);
    if (d.resetTimeoutMs !== undefined) checkMs("resetTimeoutMs", d.resetTimeoutMs, true);
    if (d.probeTimeoutMs !== undefined) checkMs("probeTimeoutMs", d.probeTimeoutMs, true);
    this.initial = new Map(
      Object.entries(options.initial ?? {}).map(([dependency, snap]) => [dependency, checkSnapshot(snap)]),
    );
  }

  /** The breaker of `dependency`, created on first use (restored from `initial` when present). */
  get(dependency: string): CircuitBreaker {
    checkName("dependency", dependency);
    let breaker = this.breakers.get(dependency);
    if (!breaker) {
      const { onChange } = this.options;
      breaker = new CircuitBreaker({
        ...this.options.defaults,
        dependency,
        clock: this.options.clock,
        initialState: this.initial.get(dependency),
        onChange: onChange && ((snapshot, transition) => onChange(dependency, snapshot, transition)),
      });
      this.breakers.set(dependency, breaker);
      this.initial.delete(dependency);
    }
    return breaker;
  }

  /** Every breaker's state, including restored ones not used yet in this process. */
  snapshot(): Record<string, BreakerSnapshot> {
    const out: Record<string, BreakerSnapshot> = Object.fromEntries(
      [...this.initial].map(([dependency, snap]) => [dependency, { ...snap }]),
    );
    for (const [dependency, breaker] of this.breakers) out[dependency] = breaker.toJSON();
    return out;
  }
}
