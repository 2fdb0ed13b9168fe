/**
 * The inbox worker: takes pending deliveries oldest first and runs the app's handler on each,
 * outside any request. `startDelivery` counts the attempt before the handler runs, so a crash
 * mid-handler leaves the delivery pending and it runs again at the next start (at least once;
 * the handlers make that safe: a run's start key is its delivery id). A delivery whose handler
 * threw stays `pending` (its error noted) while its retry waits, and becomes `failed` only when
 * the attempts are used up: a process that dies during the backoff retries it at its next start.
 * A pending delivery whose attempts are already used up — each counted, the last never finished
 * (the process died in the handler: a poison delivery) — is marked `failed` without being handled
 * again, so it cannot crash every start.
 */
import { type Clock, type Logger, startTimer } from "../../engine/ports.js";
import type { AppStore, InboxEntry } from "../state/types.js";

/** What the worker does with one delivery: `done`, or `ignored` when nothing was for it. */
export type DeliveryHandler = (entry: InboxEntry) => Promise<"done" | "ignored">;

export interface InboxWorkerOptions {
  store: AppStore;
  handle: DeliveryHandler;
  clock: Clock;
  log: Logger;
  /** Deliveries handled at once. 1 keeps them strictly in order of arrival. @default 1 */
  concurrency?: number;
  /**
   * Attempts at a delivery (each counted before its handler runs), the first included; then it
   * stays failed, whether the last one threw or never finished. @default 5
   */
  maxAttempts?: number;
  /** Wait before attempt `n + 1` after attempt `n` failed. @default 1 s, doubling, at most 5 min */
  backoffMs?: (attempt: number) => number;
  /**
   * Test hook (crash tests): called after the attempt at a delivery is counted and before the
   * handler runs, i.e. between recording a delivery and starting its work. A test blocks there
   * and kills the process. Off unless given.
   */
  beforeHandle?: (entry: InboxEntry) => void | Promise<void>;
}

export interface InboxWorker {
  /** Looks for pending deliveries now (the server calls it after recording one). */
  kick(): void;
  /**
   * Resolves when no delivery is pending or being handled (retries waiting for their backoff are
   * not waited for).
   */
  drain(): Promise<void>;
  /** Stops taking deliveries, cancels waiting retries, and waits for those being handled. */
  stop(): Promise<void>;
  /** Deliveries waiting for a retry. */
  retrying(): number;
}

export const defaultBackoff = (attempt: number): number => Math.min(1000 * 2 ** (attempt - 1), 5 * 60_000);

/** Creates the worker and starts it: deliveries already pending (recorded before a crash) run first. */
export function createInboxWorker(options: InboxWorkerOptions): InboxWorker {
  const { store, handle, clock, log } = options;
  const concurrency = options.concurrency ?? 1;
  const maxAttempts = options.maxAttempts ?? 5;
  const backoffMs = options.backoffMs ?? defaultBackoff;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new TypeError(`concurrency must be a positive integer, got ${String(concurrency)}`);
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new TypeError(`maxAttempts must be a positive integer, got ${String(maxAttempts)}`);
  }

  /** Deliveries being handled, by id. */
  const active = new Map<string, Promise<void>>();
  /** Retries waiting for their backoff: their cancellers. */
  const timers = new Map<string, () => void>();
  /** Retries whose backoff is over, waiting for a free slot. */
  const due: InboxEntry[] = [];
  let stopped = false;
  let pumping: Promise<void> | null = null;
  let again = false;
  let idleWaiters: (() => void)[] = [];

  async function attempt(entry: InboxEntry): Promise<void> {
    if (entry.attempts >= maxAttempts) {
      // Every attempt was counted and none came back (no throw reached us): the process died while
      // handling it — a poison delivery. Handling it again would crash this start too.
      const error =
        `never finished: the process stopped during its last attempt (${entry.attempts} of ${maxAttempts})` +
        (entry.error ? `; the last error noted: ${entry.error}` : "");
      await store.finishDelivery(entry.id, { status: "failed", error, at: clock.now() });
      log.error("delivery failed; giving up", {
        delivery: entry.id,
        event: entry.name,
        attempts: entry.attempts,
        error,
      });
      return;
    }
    let outcome: "done" | "ignored";
    try {
      await store.startDelivery(entry.id);
      await options.beforeHandle?.(entry);
      outcome = await handle(entry);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      const attempts = (await store.getDelivery(entry.id))?.attempts ?? entry.attempts + 1;
      if (attempts >= maxAttempts) {
        await store.finishDelivery(entry.id, { status: "failed", error, at: clock.now() });
      } else {
        await store.noteFailedAttempt(entry.id, { error, at: clock.now() });
      }
      if (attempts < maxAttempts && !stopped) {
        const wait = backoffMs(attempts);
        log.warn("delivery failed; retrying", {
          delivery: entry.id,
          event: entry.name,
          attempts,
          error,
          retryInMs: wait,
        });
        timers.set(
          entry.id,
          startTimer(clock, wait, () => {
            timers.delete(entry.id);
            due.push({ ...entry, attempts, error });
            kick();
          }),
        );
      } else if (attempts >= maxAttempts) {
        log.error("delivery failed; giving up", { delivery: entry.id, event: entry.name, attempts, error });
      }
      return;
    }
    await store.finishDelivery(entry.id, { status: outcome, at: clock.now() });
    log.debug("delivery handled", { delivery: entry.id, event: entry.name, outcome });
  }

  /** Handles `entry` in the background; wakes the pump when it is over. */
  function run(entry: InboxEntry): void {
    const work = attempt(entry)
      .catch((e: unknown) => {
        // The store failed: the delivery stays as recorded (pending ones run again at the next start).
        log.error("inbox store failed", {
          delivery: entry.id,
          error: e instanceof Error ? e.message : String(e),
        });
      })
      .finally(() => {
        active.delete(entry.id);
        kick();
      });
    active.set(entry.id, work);
  }

  async function pump(): Promise<void> {
    do {
      again = false;
      while (!stopped && active.size < concurrency && due.length > 0) run(due.shift() as InboxEntry);
      while (!stopped && active.size < concurrency) {
        const free = concurrency - active.size;
        // Deliveries being handled or waiting for a retry are pending too: skip them.
        const waiting = waitingIds();
        const pending = (await store.pendingDeliveries(free + active.size + waiting.size)).filter(
          (e) => !active.has(e.id) && !waiting.has(e.id),
        );
        if (pending.length === 0) break;
        for (const entry of pending.slice(0, free)) run(entry);
      }
    } while (again && !stopped);
  }

  /** Pending deliveries this worker holds back: retries waiting for their backoff or a slot. */
  function waitingIds(): Set<string> {
    return new Set([...timers.keys(), ...due.map((e) => e.id)]);
  }

  function kick(): void {
    if (stopped) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = pump()
      .catch((e: unknown) => {
        log.error("inbox store failed", { error: e instanceof Error ? e.message : String(e) });
      })
      .finally(() => {
        pumping = null;
        if (again) kick();
        else if (active.size === 0) notifyIdle();
      });
  }

  function notifyIdle(): void {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  kick();
  return {
    kick,
    async drain() {
      for (;;) {
        if (stopped) return;
        if (!pumping && active.size === 0) {
          const waiting = waitingIds();
          const left = (await store.pendingDeliveries(1 + waiting.size)).filter((e) => !waiting.has(e.id));
          if (left.length === 0 && !pumping && active.size === 0) return;
          kick();
        }
        await new Promise<void>((resolve) => idleWaiters.push(resolve));
      }
    },
    async stop() {
      stopped = true;
      for (const cancel of timers.values()) cancel();
      timers.clear();
      due.length = 0;
      await pumping;
      await Promise.all(active.values());
      notifyIdle();
    },
    retrying: () => timers.size + due.length,
  };
}
