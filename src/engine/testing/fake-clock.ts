import { type Clock, sleepTimer } from "../ports.js";

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/**
 * A Clock for tests: time moves only when the test says so (`advance`, `runNext`), or — with
 * `autoAdvance` — jumps to the earliest pending timer whenever the process is otherwise idle
 * (checked on a macrotask, after every microtask has settled). No real sleeping either way.
 */
export class FakeClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private seq = 0;
  private autoScheduled = false;

  constructor(
    start = Date.UTC(2026, 0, 1),
    private readonly options: { autoAdvance?: boolean } = {},
  ) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer: Timer = {
        at: this.current + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.timers.push(timer);
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      if (this.options.autoAdvance) this.scheduleAuto();
    });
  }

  setTimer(ms: number, fn: () => void): () => void {
    return sleepTimer(this, ms, fn);
  }

  /** Number of sleeps waiting. */
  pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting their callbacks run. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.current = Math.max(this.current, next.at);
      next.resolve();
      await flush();
    }
    this.current = target;
    await flush();
  }

  /** Jumps to the earliest timer and fires it. Returns false when none is pending. */
  async runNext(): Promise<boolean> {
    const next = this.timers[0];
    if (!next) return false;
    await this.advance(next.at - this.current);
    return true;
  }

  private scheduleAuto(): void {
    if (this.autoScheduled) return;
    this.autoScheduled = true;
    setImmediate(() => {
      this.autoScheduled = false;
      const next = this.timers.shift();
      if (!next) return;
      this.current = Math.max(this.current, next.at);
      next.resolve();
      if (this.timers.length > 0) this.scheduleAuto();
    });
  }
}

/** Lets pending promise callbacks run (several microtask turns and one macrotask). */
export async function flush(): Promise<void> {
  await new Promise<void>((r) => setImmediate(r));
}
