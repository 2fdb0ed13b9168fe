import type { LeaseOutcome } from "../engine/journal.js";

/**
 * Lease rules shared by every Journal implementation, so they cannot drift apart.
 * A lease is (owner, expiresAt); a run with no owner, or whose lease expired, is free.
 */
export interface LeaseHolder {
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
}

/**
 * Whether `owner` may take the lease at `now`: it is free, expired, already `owner`'s, or held
 * by exactly `takeOverFrom` — the holder the caller established is dead (a pid gone on this host).
 * Never by force: a live holder that renewed its lease keeps it.
 */
export function mayAcquire(current: LeaseHolder, owner: string, now: number, takeOverFrom?: string): boolean {
  if (current.leaseOwner === owner || isExpired(current, now)) return true;
  return takeOverFrom !== undefined && current.leaseOwner === takeOverFrom;
}

/** A lease that nobody holds, or that expired before `now` (its holder stopped renewing). */
export function isExpired(current: LeaseHolder, now: number): boolean {
  return current.leaseOwner === null || current.leaseExpiresAt === null || current.leaseExpiresAt < now;
}

/**
 * The compare-and-set both journals run inside one write: takes the lease when `mayAcquire`
 * allows it (through `set`), else refuses with `run_busy` and the holder.
 */
export function acquire(
  current: LeaseHolder,
  request: { owner: string; expiresAt: number; now: number; takeOverFrom?: string | undefined },
  set: (owner: string, expiresAt: number) => void,
): LeaseOutcome {
  if (!mayAcquire(current, request.owner, request.now, request.takeOverFrom)) {
    return {
      acquired: false,
      reason: "run_busy",
      owner: current.leaseOwner ?? "",
      expiresAt: current.leaseExpiresAt ?? 0,
    };
  }
  const previousOwner = current.leaseOwner;
  set(request.owner, request.expiresAt);
  return { acquired: true, previousOwner };
}
