/**
 * Bounds a call in time — cockatiel's `src/TimeoutPolicy.ts` in its "aggressive" strategy, on
 * the Clock port. The policy rejects as soon as the time is up, whether or not `fn` stops: `fn`
 * is expected to honour `ctx.signal` (aborted with the TimeoutError as reason), otherwise its
 * work goes on in the background and its late result is dropped.
 */
import { Cancel, type Cancellation, cancelOf } from "../cancel.js";
import { formatDuration } from "../definition/durations.js";
import { TimeoutError } from "../errors.js";
import { type Clock, startTimer } from "../ports.js";
import type { Policy, PolicyContext } from "./policy.js";
import { checkMs } from "./validate.js";

export interface TimeoutOptions {
  /** Time allowed for one call, in ms (> 0, finite). */
  ms: number;
  clock: Clock;
  /** Message of the TimeoutError. @default `timed out after ${formatDuration(ms)}`, e.g. `timed out after 5m` */
  message?: string;
}

export class TimeoutPolicy implements Policy {
  readonly ms: number;

  constructor(private readonly options: TimeoutOptions) {
    this.ms = checkMs("timeout ms", options.ms, true);
  }

  /**
   * Runs `fn` with a signal that aborts when the time is up (reason: a TimeoutError) or when
   * `signal` aborts (reason: `signal.reason`). Rejects at once in either case. When `fn`
   * settles first, the timer is cancelled, so no sleep stays pending. The signal is made only
   * when `fn` reads `ctx.signal` (an AbortController costs more than a no-op step's whole
   * attempt); read after an abort, it is already aborted.
   */
  execute<T>(fn: (ctx: PolicyContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.within(fn, signal && cancelOf(signal));
  }

  /** `execute` under any Cancellation (the executor's are not AbortSignals). */
  within<T>(fn: (ctx: PolicyContext) => Promise<T>, parent?: Cancellation): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (parent?.aborted) throw parent.reason;
      const inner = new Cancel();
      let settled = false;
      let cancelTimer: () => void = () => {};
      let unlink: () => void = () => {};
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        cancelTimer();
        unlink();
        outcome();
      };
      if (parent) {
        unlink = parent.onAbort((reason) => {
          inner.abort(reason);
          settle(() => reject(reason));
        });
      }

      const onTimeout = () => {
        if (settled) return;
        const error = new TimeoutError(
          this.options.message ?? `timed out after ${formatDuration(this.ms)}`,
          this.ms,
        );
        inner.abort(error);
        settle(() => reject(error));
      };
      cancelTimer = startTimer(this.options.clock, this.ms, onTimeout);

      new Promise<T>((r) => r(fn(new AttemptContext(inner)))).then(
        (value) => settle(() => resolve(value)),
        (error: unknown) => settle(() => reject(error)),
      );
    });
  }
}

/** A PolicyContext whose signal is made on first read. */
class AttemptContext implements PolicyContext {
  readonly attempt = 1;
  constructor(private readonly cancel: Cancel) {}
  get signal(): AbortSignal {
    return this.cancel.signal;
  }
}
