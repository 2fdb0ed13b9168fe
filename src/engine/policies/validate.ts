/**
 * Option checks shared by the policies. A bad value throws a TypeError that names the option
 * and the value, so a misconfigured workflow or host fails at construction, not mid-run.
 */
import type { BreakerSnapshot } from "../journal.js";

const BREAKER_STATES: readonly BreakerSnapshot["state"][] = ["closed", "open", "half_open"];

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function fail(name: string, value: unknown, expected: string): never {
  throw new TypeError(`${name} must be ${expected}, got ${show(value)}`);
}

/** An integer ≥ `min`. */
export function checkInteger(name: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    fail(name, value, `an integer ≥ ${min}`);
  }
  return value;
}

/** A finite number of milliseconds ≥ 0, or > 0 when `positive`. */
export function checkMs(name: string, value: unknown, positive = false): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    fail(
      name,
      value,
      positive ? "a finite number of milliseconds > 0" : "a finite number of milliseconds ≥ 0",
    );
  }
  return value;
}

/** One of `allowed`. */
export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    fail(name, value, `one of ${allowed.join(", ")}`);
  }
  return value as T;
}

/** A non-empty string. */
export function checkName(name: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0) fail(name, value, "a non-empty string");
  return value;
}

/** Validates a snapshot (e.g. read back from the journal); throws a TypeError naming the field. */
export function checkSnapshot(snapshot: BreakerSnapshot): BreakerSnapshot {
  const state = checkOneOf("breaker snapshot state", snapshot.state, BREAKER_STATES);
  const consecutiveFailures = checkInteger(
    "breaker snapshot consecutiveFailures",
    snapshot.consecutiveFailures,
    0,
  );
  const openUntil =
    snapshot.openUntil === null ? null : checkMs("breaker snapshot openUntil", snapshot.openUntil);
  const updatedAt = checkMs("breaker snapshot updatedAt", snapshot.updatedAt);
  return { state, consecutiveFailures, openUntil, updatedAt };
}

/** A signal that never aborts, for calls made without one. */
export const neverAborted: AbortSignal = new AbortController().signal;
