import { StageflowError } from "../errors.js";
import type { Journal } from "../journal.js";
import { type Clock, type Logger, startTimer } from "../ports.js";

/**
 * Whether nobody holds the run's lease any more: no owner, an expired lease, or an owner the host
 * knows is dead (`isOwnerAlive` → false; `undefined` means it cannot tell).
 */
export function leaseHolderGone(
  run: { leaseOwner: string | null; leaseExpiresAt: number | null },
  now: number,
  isOwnerAlive?: (owner: string) => boolean | undefined,
): boolean {
  if (run.leaseOwner === null || (run.leaseExpiresAt ?? 0) < now) return true;
  return isOwnerAlive?.(run.leaseOwner) === false;
}

interface Held {
  /** Aborts the run (lease lost, cancel requested elsewhere). */
  cancel: { abort(reason: unknown): void };
}

/** Work repeated every `every` ms on the clock while `wanted()`; re-armed after each round. */
class Repeat {
  /** Cancels the armed timer; null when none is armed (stopped, or a round in progress). */
  private disarm: (() => void) | null = null;
  private busy = false;

  constructor(
    private readonly clock: Clock,
    private readonly every: number,
    private readonly work: () => Promise<void>,
    private readonly wanted: () => boolean,
  ) {}

  start(): void {
    if (!this.disarm && !this.busy) this.arm();
  }

  stop(): void {
    this.disarm?.();
    this.disarm = null;
  }

  private arm(): void {
    this.disarm = startTimer(this.clock, this.every, () => {
      this.disarm = null;
      void this.round();
    });
  }

  private async round(): Promise<void> {
    this.busy = true;
    try {
      await this.work();
    } finally {
      this.busy = false;
    }
    if (this.wanted() && !this.disarm) this.arm();
  }
}

/** What a LeaseKeeper needs: the journal and clock, whose leases it holds, and how often. */
export interface LeaseKeeperOptions {
  journal: Journal;
  clock: Clock;
  logger: Logger;
  /** The owner named in the leases. */
  owner: string;
  /** How long a lease lasts; renewed every third of it. */
  leaseMs: number;
  /** How often the journal is polled for cancel requests and lost leases (default 500 ms). */
  pollMs?: number;
}

/**
 * Keeps the leases of the runs this process executes, and watches them. One timer renews them
 * all every third of the lease time; another polls their lease states every `pollMs` (a cheap
 * read), so a cancel requested from another process aborts the run within `pollMs`
 * (`cancelled`), and a lease another owner took (after it expired) aborts it as `lease_lost`.
 * The timers run only while runs are held (each is re-armed after its round); arming one is a
 * plain timer, so runs that end together and the next ones that start restart it cheaply.
 */
export class LeaseKeeper {
  private readonly held = new Map<string, Held>();
  private readonly renewals: Repeat;
  private readonly polls: Repeat;

  private readonly journal: Journal;
  private readonly clock: Clock;
  private readonly logger: Logger;
  readonly owner: string;
  readonly leaseMs: number;

  constructor(options: LeaseKeeperOptions) {
    const { journal, clock, logger, owner, leaseMs, pollMs = 500 } = options;
    this.journal = journal;
    this.clock = clock;
    this.logger = logger;
    this.owner = owner;
    this.leaseMs = leaseMs;
    const wanted = () => this.held.size > 0;
    this.renewals = new Repeat(clock, Math.max(1, Math.floor(leaseMs / 3)), () => this.renewAll(), wanted);
    this.polls = new Repeat(clock, Math.max(1, pollMs), () => this.poll(), wanted);
  }

  expiry(): number {
    return this.clock.now() + this.leaseMs;
  }

  has(runId: string): boolean {
    return this.held.has(runId);
  }

  add(runId: string, cancel: Held["cancel"]): void {
    this.held.set(runId, { cancel });
    this.renewals.start();
    this.polls.start();
  }

  /** Stops renewing the run's lease and releases it, unless the journal has `released` it already. */
  async remove(runId: string, released = false): Promise<void> {
    if (!this.held.delete(runId)) return;
    if (this.held.size === 0) this.stop();
    if (!released) await this.journal.releaseLease(runId, this.owner);
  }

  stop(): void {
    this.renewals.stop();
    this.polls.stop();
  }

  private async renewAll(): Promise<void> {
    await Promise.all([...this.held.entries()].map(([runId, held]) => this.renew(runId, held)));
  }

  private async renew(runId: string, held: Held): Promise<void> {
    try {
      const r = await this.journal.renewLease(runId, this.owner, this.expiry());
      if (!r.held) this.lost(runId, held);
      else if (r.cancelRequested) held.cancel.abort(cancelledByRequest());
    } catch (error) {
      this.logger.warn("lease renewal failed", { runId, error: String(error) });
    }
  }

  private async poll(): Promise<void> {
    try {
      for (const state of await this.journal.leaseStates([...this.held.keys()])) {
        const held = this.held.get(state.runId);
        if (!held) continue;
        // No owner: this process released the lease with the run's final status a moment ago.
        if (state.leaseOwner !== null && state.leaseOwner !== this.owner) this.lost(state.runId, held);
        else if (state.cancelRequested) held.cancel.abort(cancelledByRequest());
      }
    } catch (error) {
      // Renewals warn about a journal that cannot be used; twice a second would only add noise.
      this.logger.debug("lease poll failed", { error: String(error) });
    }
  }

  private lost(runId: string, held: Held): void {
    held.cancel.abort(new StageflowError("lease_lost", `run ${runId} was taken over by another process`));
  }
}

const cancelledByRequest = () => new StageflowError("cancelled", "cancelled by request");
