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

/**
 * Keeps the leases of the runs this process executes: one timer renews them all every third of
 * the lease time. A lease taken by another owner aborts the run (`lease_lost`); a cancellation
 * requested from another process aborts it as cancelled. The timer runs only while runs are held
 * (it is re-armed after each round of renewals), and arming it is a plain timer: runs that end
 * together and the next ones that start restart it cheaply.
 */
export class LeaseKeeper {
  private readonly held = new Map<string, Held>();
  /** Cancels the armed timer; null when none is armed (nothing held, or renewals in progress). */
  private disarm: (() => void) | null = null;
  private renewing = false;

  constructor(
    private readonly journal: Journal,
    private readonly clock: Clock,
    private readonly logger: Logger,
    readonly owner: string,
    readonly leaseMs: number,
  ) {}

  expiry(): number {
    return this.clock.now() + this.leaseMs;
  }

  has(runId: string): boolean {
    return this.held.has(runId);
  }

  add(runId: string, cancel: Held["cancel"]): void {
    this.held.set(runId, { cancel });
    if (!this.disarm && !this.renewing) this.arm();
  }

  /** Stops renewing the run's lease and releases it, unless the journal has `released` it already. */
  async remove(runId: string, released = false): Promise<void> {
    if (!this.held.delete(runId)) return;
    if (this.held.size === 0) this.stop();
    if (!released) await this.journal.releaseLease(runId, this.owner);
  }

  stop(): void {
    this.disarm?.();
    this.disarm = null;
  }

  private arm(): void {
    const every = Math.max(1, Math.floor(this.leaseMs / 3));
    const fire = () => {
      this.disarm = null;
      void this.renewAll();
    };
    this.disarm = startTimer(this.clock, every, fire);
  }

  private async renewAll(): Promise<void> {
    this.renewing = true;
    try {
      await Promise.all([...this.held.entries()].map(([runId, held]) => this.renew(runId, held)));
    } finally {
      this.renewing = false;
    }
    if (this.held.size > 0 && !this.disarm) this.arm();
  }

  private async renew(runId: string, held: Held): Promise<void> {
    try {
      const r = await this.journal.renewLease(runId, this.owner, this.expiry());
      if (!r.held) {
        held.cancel.abort(new StageflowError("lease_lost", `run ${runId} was taken over by another process`));
      } else if (r.cancelRequested) {
        held.cancel.abort(new StageflowError("cancelled", "cancelled by request"));
      }
    } catch (error) {
      this.logger.warn("lease renewal failed", { runId, error: String(error) });
    }
  }
}
