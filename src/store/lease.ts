/**
 * Lease rules shared by every Journal implementation, so they cannot drift apart.
 * A lease is (owner, expiresAt); a run with no owner, or whose lease expired, is free.
 */
export interface LeaseHolder {
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
}

/** Whether `owner` may take the lease at `now`: free, expired, already its own, or forced. */
export function mayAcquire(current: LeaseHolder, owner: string, now: number, force = false): boolean {
  return force || current.leaseOwner === owner || isExpired(current, now);
}

/** A lease that nobody holds, or that expired before `now` (its holder stopped renewing). */
export function isExpired(current: LeaseHolder, now: number): boolean {
  return current.leaseOwner === null || current.leaseExpiresAt === null || current.leaseExpiresAt < now;
}
