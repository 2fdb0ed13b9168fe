import { StageflowError } from "../errors.js";
import type { WaitFor } from "../handler.js";
import type { Journal, RunWake, SignalRecord } from "../journal.js";
import { type Clock, startTimer } from "../ports.js";

/** The reason a parked step's attempt (and the steps its stage had not started) ends with. */
export const parkedReason = (): StageflowError =>
  new StageflowError("parked", "the run parks until its timer or signal: the step runs again then");

interface Waiter {
  stepId: string;
  deadline: number | undefined;
  signal: string | undefined;
  /** Looks in the journal for this waiter's signal (again). */
  poll(): void;
}

export interface RunWaitsDeps {
  journal: Journal;
  clock: Clock;
  runId: string;
  /** Waits shorter than this stay in memory instead of parking the run. */
  parkAfterMs: number;
  /** The engine is draining: any wait parks, however short. */
  draining(): boolean;
}

/**
 * One run's waiting steps while it executes in this process (the `wait` and `signal` kinds, via
 * StepContext.deadline/waitFor). It counts the steps in flight in the current stage round; when
 * every one of them is waiting (and the earliest deadline is at least `parkAfterMs` away, or the
 * engine drains), it ends the round as parked and remembers the run's wake condition. A waiting
 * step next to a step that still works waits here, in memory, until that step ends.
 */
export class RunWaits {
  private inFlight = 0;
  private readonly waiters = new Set<Waiter>();
  private park: (() => void) | null = null;
  private checkQueued = false;
  /** The wake condition the run parked with (set when a round parks). */
  parked: RunWake | null = null;

  constructor(private readonly deps: RunWaitsDeps) {}

  /** A stage round begins: `park` ends it (aborting its steps with `parkedReason`). */
  round(park: () => void): () => void {
    this.park = park;
    return () => {
      if (this.park === park) this.park = null;
    };
  }
  /** A step of the round starts. */
  enter(): void {
    this.inFlight++;
  }
  /** A step of the round ends. */
  leave(): void {
    this.inFlight--;
    // Only a round with waiting steps can park: the common case schedules nothing.
    if (this.waiters.size > 0) this.check();
  }

  /** A signal named `name` was journaled for the run: waiters for it look again. */
  notify(name: string): void {
    for (const w of this.waiters) if (w.signal === name) w.poll();
  }

  /**
   * Decides, once every pending callback has run (a queued step starts when a slot frees), whether
   * the run parks now.
   */
  check(): void {
    if (this.checkQueued) return;
    this.checkQueued = true;
    setImmediate(() => {
      this.checkQueued = false;
      this.parkIfOnlyWaiting();
    });
  }

  private parkIfOnlyWaiting(): void {
    const park = this.park;
    if (!park || this.inFlight === 0 || this.waiters.size < this.inFlight) return;
    let at: number | null = null;
    const signals = new Set<string>();
    for (const w of this.waiters) {
      if (w.deadline !== undefined) at = Math.min(at ?? w.deadline, w.deadline);
      if (w.signal !== undefined) signals.add(w.signal);
    }
    if (at !== null && at - this.deps.clock.now() < this.deps.parkAfterMs && !this.deps.draining()) return;
    this.parked = { at, signals: [...signals] };
    this.park = null;
    park();
  }

  /** The step's durable deadline: fixed by its first call (see StepContext.deadline). */
  deadline(stepId: string, ms: number): Promise<number> {
    const { journal, clock, runId } = this.deps;
    return journal.fixDeadline(runId, stepId, clock.now() + Math.max(0, ms));
  }

  /** See StepContext.waitFor. */
  wait(stepId: string, what: WaitFor, abort: AbortSignal): Promise<SignalRecord | null> {
    const { journal, clock, runId } = this.deps;
    if (what.deadline === undefined && what.signal === undefined) {
      return Promise.reject(new TypeError("waitFor needs a deadline, a signal or both"));
    }
    if (abort.aborted) return Promise.reject(abort.reason);
    return new Promise<SignalRecord | null>((resolve, reject) => {
      let done = false;
      let stopTimer: (() => void) | null = null;
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        this.waiters.delete(waiter);
        stopTimer?.();
        abort.removeEventListener("abort", onAbort);
        settle();
      };
      const onAbort = () => finish(() => reject(abort.reason));
      const take = (): Promise<SignalRecord | undefined> =>
        what.signal === undefined
          ? Promise.resolve(undefined)
          : journal.consumeSignal(runId, what.signal, stepId, clock.now());
      const waiter: Waiter = {
        stepId,
        deadline: what.deadline,
        signal: what.signal,
        poll: () => {
          if (what.signal === undefined) return;
          take().then(
            (got) => {
              if (got) finish(() => resolve(got));
            },
            (error: unknown) => finish(() => reject(error)),
          );
        },
      };
      abort.addEventListener("abort", onAbort, { once: true });
      // Registered before the first look, so a signal journaled meanwhile is seen by one of them.
      this.waiters.add(waiter);
      waiter.poll();
      if (what.deadline !== undefined) {
        stopTimer = startTimer(clock, what.deadline - clock.now(), () => {
          // A last look: a signal that came with the deadline still counts.
          take().then(
            (got) => finish(() => resolve(got ?? null)),
            (error: unknown) => finish(() => reject(error)),
          );
        });
      }
      this.check();
    });
  }
}
