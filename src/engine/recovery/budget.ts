/**
 * Retry budgets, per dependency — gRPC's retry throttling and Finagle's RetryBudget in their
 * simplest form: within a sliding window, retries may make up at most `ratio` of the calls (with
 * a floor of `minRetries`), so that a dependency that is down gets a trickle of retries instead
 * of every run's every step retrying at once. The window is a ring of buckets: O(1) memory.
 */
import { checkInteger, checkMs } from "../policies/validate.js";
import type { Clock } from "../ports.js";

export interface RetryBudgetSettings {
  /** Retries allowed per call (first attempts and retries both count as calls). @default 0.2 */
  ratio?: number;
  /** The sliding window, in ms. @default 10_000 */
  windowMs?: number;
  /** Retries allowed in a window however few calls it saw. @default 3 */
  minRetries?: number;
  /** Buckets the window is split into; the window slides one bucket at a time. @default 10 */
  buckets?: number;
}

export interface RetryBudgetOptions extends RetryBudgetSettings {
  clock: Clock;
}

/** A budget's current window. */
export interface RetryBudgetUsage {
  calls: number;
  retries: number;
  /** Retries the window allows: max(minRetries, ⌊ratio × calls⌋). */
  allowed: number;
}

interface Checked {
  ratio: number;
  windowMs: number;
  minRetries: number;
  buckets: number;
}

/** Validates the settings; a bad value throws a TypeError naming it. */
export function checkBudgetSettings(settings: RetryBudgetSettings): Checked {
  const ratio = settings.ratio ?? 0.2;
  if (typeof ratio !== "number" || !(ratio >= 0 && ratio <= 1)) {
    throw new TypeError(`ratio must be a number in [0, 1], got ${String(ratio)}`);
  }
  return {
    ratio,
    windowMs: checkMs("windowMs", settings.windowMs ?? 10_000, true),
    minRetries: checkInteger("minRetries", settings.minRetries ?? 3, 0),
    buckets: checkInteger("buckets", settings.buckets ?? 10, 1),
  };
}

export class RetryBudget {
  private readonly settings: Checked;
  /** Bucket number (time / bucket length) each slot holds, -1 for never used. */
  private readonly slots: number[];
  private readonly calls: number[];
  private readonly retries: number[];

  constructor(private readonly options: RetryBudgetOptions) {
    this.settings = checkBudgetSettings(options);
    const n = this.settings.buckets;
    this.slots = new Array<number>(n).fill(-1);
    this.calls = new Array<number>(n).fill(0);
    this.retries = new Array<number>(n).fill(0);
  }

  /** Counts one attempt (a first attempt or a retry) against the dependency. */
  recordCall(): void {
    const i = this.current();
    this.calls[i] = (this.calls[i] ?? 0) + 1;
  }

  /** Takes a retry from the budget; `false` (and nothing recorded) when none is left. */
  tryRetry(): boolean {
    if (!this.allowed()) return false;
    const i = this.current();
    this.retries[i] = (this.retries[i] ?? 0) + 1;
    return true;
  }

  /**
   * Milliseconds until the oldest retry in the window leaves it; 0 when a retry is allowed now.
   * When the window holds no retry, `windowMs` (only new calls can raise the allowance).
   */
  waitMs(): number {
    if (this.allowed()) return 0;
    const now = this.options.clock.now();
    const bucket = this.bucketAt(now);
    const { buckets, windowMs } = this.settings;
    let oldest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < buckets; i++) {
      const b = this.slots[i] ?? -1;
      if (this.inWindow(b, bucket) && (this.retries[i] ?? 0) > 0) oldest = Math.min(oldest, b);
    }
    if (oldest === Number.POSITIVE_INFINITY) return windowMs;
    return Math.max(0, Math.ceil(((oldest + buckets) * windowMs) / buckets) - now);
  }

  /** Calls, retries and the retries allowed in the current window. */
  usage(): RetryBudgetUsage {
    const bucket = this.bucketAt(this.options.clock.now());
    let calls = 0;
    let retries = 0;
    for (let i = 0; i < this.settings.buckets; i++) {
      if (!this.inWindow(this.slots[i] ?? -1, bucket)) continue;
      calls += this.calls[i] ?? 0;
      retries += this.retries[i] ?? 0;
    }
    const { ratio, minRetries } = this.settings;
    // The epsilon keeps 0.7 × 10 = 7.000000000000001 from allowing an 8th retry.
    return { calls, retries, allowed: Math.max(minRetries, Math.floor(ratio * calls + 1e-9)) };
  }

  private allowed(): boolean {
    const { retries, allowed } = this.usage();
    return retries < allowed;
  }

  private bucketAt(now: number): number {
    return Math.floor((now * this.settings.buckets) / this.settings.windowMs);
  }

  private inWindow(bucket: number, current: number): boolean {
    return bucket >= 0 && bucket > current - this.settings.buckets && bucket <= current;
  }

  /** The slot of the current bucket, emptied first when it last held an older bucket. */
  private current(): number {
    const bucket = this.bucketAt(this.options.clock.now());
    const i = bucket % this.settings.buckets;
    if (this.slots[i] !== bucket) {
      this.slots[i] = bucket;
      this.calls[i] = 0;
      this.retries[i] = 0;
    }
    return i;
  }
}
