/**
 * A circuit breaker for one dependency — cockatiel's `src/CircuitBreakerPolicy.ts` with a
 * ConsecutiveBreaker, on the Clock port, with its state as data (`toJSON()` / `initialState`)
 * so the engine can journal it and a new process knows the dependency was failing.
 */
import { formatDuration } from "../definition/durations.js";
import { CircuitOpenError, isAbortError } from "../errors.js";
import type { BreakerSnapshot } from "../journal.js";
import type { Clock } from "../ports.js";
import type { Policy, PolicyContext } from "./policy.js";
import { TimeoutPolicy } from "./timeout.js";
import { checkInteger, checkMs, checkName, checkSnapshot, neverAborted } from "./validate.js";

export type BreakerState = BreakerSnapshot["state"];
export type BreakerTransition = "opened" | "half_opened" | "closed";

/** Settings a BreakerRegistry can share between breakers. */
export interface BreakerSettings {
  /** Consecutive failures that open the circuit. @default 5 */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe is let through, in ms. @default 30_000 */
  resetTimeoutMs?: number;
  /** Time allowed to the probe call, in ms. @default resetTimeoutMs */
  probeTimeoutMs?: number;
  /**
   * Which errors count against the dependency. Cancellations (aborted caller signal, CancelledError,
   * AbortError) never count. A probe answered with a non-failure closes the circuit. @default () => true
   */
  isFailure?(error: unknown): boolean;
}

export interface CircuitBreakerOptions extends BreakerSettings {
  /** The dependency's name, e.g. `api.github.com`; appears in CircuitOpenError. */
  dependency: string;
  clock: Clock;
  /** State to start from, e.g. loaded from the journal. @default closed, no failures */
  initialState?: BreakerSnapshot;
  /** Called after each transition, with the new state. Must not throw. */
  onChange?(snapshot: BreakerSnapshot, transition: BreakerTransition): void;
}

export class CircuitBreaker implements Policy {
  readonly dependency: string;
  private readonly threshold: number;
  private readonly resetTimeoutMs: number;
  private readonly probe: TimeoutPolicy;
  private current: BreakerSnapshot;
  private probeEndsAt: number | null = null;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.dependency = checkName("dependency", options.dependency);
    this.threshold = checkInteger("failureThreshold", options.failureThreshold ?? 5, 1);
    this.resetTimeoutMs = checkMs("resetTimeoutMs", options.resetTimeoutMs ?? 30_000, true);
    const probeMs = checkMs("probeTimeoutMs", options.probeTimeoutMs ?? this.resetTimeoutMs, true);
    this.probe = new TimeoutPolicy({
      ms: probeMs,
      clock: options.clock,
      message: `probe of '${this.dependency}' timed out after ${formatDuration(probeMs)}`,
    });
    this.current = options.initialState
      ? checkSnapshot(options.initialState)
      : { state: "closed", consecutiveFailures: 0, openUntil: null, updatedAt: options.clock.now() };
  }

  get state(): BreakerState {
    return this.current.state;
  }

  toJSON(): BreakerSnapshot {
    return { ...this.current };
  }

  /**
   * Closed: runs `fn`. Open: rejects with CircuitOpenError, without calling `fn`, until the reset
   * timeout passed; then the next call is the one probe (half-open, under the probe timeout) and
   * other calls are rejected while it runs. `retryAfterMs` during a probe: its time left.
   */
  async execute<T>(fn: (ctx: PolicyContext) => Promise<T>, signal: AbortSignal = neverAborted): Promise<T> {
    signal.throwIfAborted();
    const now = this.options.clock.now();
    const { state, openUntil } = this.current;
    if (this.probeEndsAt !== null) {
      throw new CircuitOpenError(this.dependency, Math.max(0, this.probeEndsAt - now));
    }
    if (state === "open" && openUntil !== null && now < openUntil) {
      throw new CircuitOpenError(this.dependency, openUntil - now);
    }
    if (state === "closed") return this.runClosed(fn, signal);
    return this.runProbe(fn, signal, now);
  }

  private async runClosed<T>(fn: (ctx: PolicyContext) => Promise<T>, signal: AbortSignal): Promise<T> {
    try {
      const value = await fn({ signal, attempt: 1 });
      if (this.current.state === "closed") this.setFailures(0);
      return value;
    } catch (error) {
      // An outcome that arrives after another call opened the circuit changes nothing.
      if (this.current.state === "closed" && !cancelled(error, signal) && this.isFailure(error)) {
        const failures = this.current.consecutiveFailures + 1;
        if (failures >= this.threshold) this.open(failures);
        else this.setFailures(failures);
      }
      throw error;
    }
  }

  private async runProbe<T>(
    fn: (ctx: PolicyContext) => Promise<T>,
    signal: AbortSignal,
    now: number,
  ): Promise<T> {
    const { consecutiveFailures, openUntil } = this.current;
    if (this.current.state !== "half_open") {
      this.transition({ state: "half_open", consecutiveFailures, openUntil }, "half_opened");
    }
    this.probeEndsAt = now + this.probe.ms;
    try {
      const value = await this.probe.execute(fn, signal);
      this.probeEndsAt = null;
      this.close();
      return value;
    } catch (error) {
      this.probeEndsAt = null;
      // A cancelled probe says nothing: stay half-open, the next call probes again.
      if (cancelled(error, signal)) throw error;
      if (this.isFailure(error)) this.open(this.current.consecutiveFailures + 1);
      else this.close();
      throw error;
    }
  }

  /** Counting is not a transition: no onChange. */
  private setFailures(consecutiveFailures: number): void {
    if (this.current.consecutiveFailures === consecutiveFailures) return;
    this.current = { ...this.current, consecutiveFailures, updatedAt: this.options.clock.now() };
  }

  private isFailure(error: unknown): boolean {
    return this.options.isFailure ? this.options.isFailure(error) : true;
  }

  private close(): void {
    this.transition({ state: "closed", consecutiveFailures: 0, openUntil: null }, "closed");
  }

  private open(consecutiveFailures: number): void {
    const openUntil = this.options.clock.now() + this.resetTimeoutMs;
    this.transition({ state: "open", consecutiveFailures, openUntil }, "opened");
  }

  private transition(next: Omit<BreakerSnapshot, "updatedAt">, kind: BreakerTransition): void {
    this.current = { ...next, updatedAt: this.options.clock.now() };
    this.options.onChange?.(this.toJSON(), kind);
  }
}

function cancelled(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted || isAbortError(error);
}
