/**
 * Ports: the small interfaces through which the engine talks to the outside world.
 * Hosts (cli/, app/, action/) wire real implementations; tests wire fakes.
 */

/** Time source. All engine time goes through it, so tests drive a fake clock. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds. Rejects with the signal's reason (an AbortError)
   * as soon as `signal` aborts; a non-positive `ms` resolves on the next macrotask.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fn` after `ms` milliseconds unless the returned canceller is called first. Optional:
   * hot paths (per-attempt timeouts) use it when present — a plain timer is much cheaper than a
   * sleep with its own AbortController — and fall back to `sleep` otherwise.
   */
  setTimer?(ms: number, fn: () => void): () => void;
}

/** Random source in [0, 1). Jitter and ids that must be reproducible in tests use it. */
export interface Random {
  next(): number;
}

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted", "AbortError");
}

/**
 * The reason to abort with when cancelling internal work (a timer, a sleep, a round's timers):
 * a plain value, because `abort()` without one builds a DOMException with a stack each time.
 */
const QUIET_ABORT: unknown = Object.freeze({ name: "Cancelled" });

/**
 * Calls `fn` after `ms` milliseconds on `clock` unless the returned canceller is called first:
 * the clock's own `setTimer` when it has one, else `sleepTimer`.
 */
export function startTimer(clock: Clock, ms: number, fn: () => void): () => void {
  return clock.setTimer ? clock.setTimer(ms, fn) : sleepTimer(clock, ms, fn);
}

/** A cancellable timer made of `clock.sleep` and an AbortController of its own. */
export function sleepTimer(clock: Pick<Clock, "sleep">, ms: number, fn: () => void): () => void {
  const controller = new AbortController();
  clock.sleep(ms, controller.signal).then(fn, () => {}); // rejected: cancelled
  return () => controller.abort(QUIET_ABORT);
}

/** setTimeout fires at once for delays above 2^31-1 ms (~24.8 days): longer sleeps are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The real clock: Date.now and setTimeout. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    if (ms > MAX_TIMER_MS) return sleepTimer(systemClock, ms, fn);
    const timer = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
  async sleep(ms, signal) {
    let left = ms;
    while (left > MAX_TIMER_MS) {
      await sleepOnce(MAX_TIMER_MS, signal);
      left -= MAX_TIMER_MS;
    }
    return sleepOnce(left, signal);
  },
};

function sleepOnce(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export const mathRandom: Random = { next: () => Math.random() };

/** Seeded PRNG (mulberry32): reproducible jitter and fault injection. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
