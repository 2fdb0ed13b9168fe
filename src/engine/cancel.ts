/**
 * Cancellation inside the engine: a stage round and each step attempt have one, following the
 * one around it. Making one and listening to it are plain object and Set operations; an
 * AbortSignal is made only when something needs one — a handler that reads `ctx.signal`, a
 * sleep, a circuit breaker. (An AbortController with its signal and listeners costs more than a
 * whole no-op step: see bench/README.md.)
 */

/** What can cancel work: a Cancel, or an AbortSignal seen through `cancelOf`. */
export interface Cancellation {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Calls `fn` once, with the reason, when this aborts (at once if it already has). Returns an unsubscribe. */
  onAbort(fn: (reason: unknown) => void): () => void;
}

const noop = () => {};

export class Cancel implements Cancellation {
  aborted = false;
  reason: unknown = undefined;
  private listeners: Set<(reason: unknown) => void> | null = null;
  private controller: AbortController | null = null;
  private unlink: () => void = noop;

  /** A Cancel that aborts, with the same reason, when `parent` does. */
  static following(parent: Cancellation | AbortSignal): Cancel {
    const cancel = new Cancel();
    cancel.unlink = cancelOf(parent).onAbort((reason) => cancel.abort(reason));
    return cancel;
  }

  /** An AbortSignal that follows this Cancel, made on first read. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.unlink();
    this.unlink = noop;
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = null;
    if (listeners) for (const fn of listeners) fn(reason);
  }

  onAbort(fn: (reason: unknown) => void): () => void {
    if (this.aborted) {
      fn(this.reason);
      return noop;
    }
    const listeners = (this.listeners ??= new Set());
    listeners.add(fn);
    return () => listeners.delete(fn);
  }

  /** Stops following the parent: the work this Cancel was for is over. */
  dispose(): void {
    this.unlink();
    this.unlink = noop;
  }
}

/** `c` as a Cancellation: a Cancel as it is, an AbortSignal through its abort event. */
export function cancelOf(c: Cancellation | AbortSignal): Cancellation {
  if (!(c instanceof AbortSignal)) return c;
  return {
    get aborted() {
      return c.aborted;
    },
    get reason() {
      return c.reason;
    },
    onAbort(fn) {
      if (c.aborted) {
        fn(c.reason);
        return noop;
      }
      const listener = () => fn(c.reason);
      c.addEventListener("abort", listener, { once: true });
      return () => c.removeEventListener("abort", listener);
    },
  };
}
