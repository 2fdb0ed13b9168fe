/**
 * Recovery statistics from journaled events (of one run or many): how often each strategy and
 * each error type was tried, and how often recovery worked. `recovery.decided` events are
 * attempts; each `recovery.succeeded` / `recovery.failed` ends one episode (one failed step,
 * however many decisions it took), counted under the episode's final strategy and error type.
 */

/** The recovery success rate the project aims at (error_recovery_success_rate). */
export const RECOVERY_SUCCESS_TARGET = 0.9;

export interface RecoveryStatsRow {
  /** Decisions taken (`recovery.decided` events). */
  attempts: number;
  /** Episodes that ended: successes + failures. */
  episodes: number;
  successes: number;
  failures: number;
  /** successes / episodes; null when no episode ended. */
  successRate: number | null;
  /** Total time spent recovering, over ended episodes. */
  recoveryMs: number;
}

export interface RecoveryStats {
  overall: RecoveryStatsRow;
  /** Keyed by strategy: retry, alternative, degrade, escalate, fail, step_retry, give_up. */
  byStrategy: Record<string, RecoveryStatsRow>;
  /** Keyed by error type. */
  byErrorType: Record<string, RecoveryStatsRow>;
  /** Keyed by pattern id; `(none)` for decisions no pattern made. */
  byPattern: Record<string, RecoveryStatsRow>;
  target: number;
  /** overall.successRate ≥ target; null when no episode ended. */
  meetsTarget: boolean | null;
}

const NO_PATTERN = "(none)";

type Kind = "decided" | "succeeded" | "failed";
interface Fields {
  strategy: string;
  errorType: string;
  pattern: string;
  recoveryMs: number;
}

function emptyRow(): RecoveryStatsRow {
  return { attempts: 0, episodes: 0, successes: 0, failures: 0, successRate: null, recoveryMs: 0 };
}

function fieldsOf(payload: unknown): Fields | null {
  if (typeof payload !== "object" || payload === null) return null;
  const p = payload as Record<string, unknown>;
  if (typeof p.strategy !== "string" || typeof p.errorType !== "string") return null;
  const ms = p.recoveryMs;
  return {
    strategy: p.strategy,
    errorType: p.errorType,
    pattern: typeof p.patternId === "string" ? p.patternId : NO_PATTERN,
    recoveryMs: typeof ms === "number" && Number.isFinite(ms) && ms > 0 ? ms : 0,
  };
}

function count(row: RecoveryStatsRow, kind: Kind, recoveryMs: number): void {
  if (kind === "decided") {
    row.attempts++;
    return;
  }
  row.episodes++;
  row.recoveryMs += recoveryMs;
  if (kind === "succeeded") row.successes++;
  else row.failures++;
}

function rowIn(table: Record<string, RecoveryStatsRow>, key: string): RecoveryStatsRow {
  let row = table[key];
  if (!row) {
    row = emptyRow();
    table[key] = row;
  }
  return row;
}

/** Aggregates `recovery.*` events; other events and malformed payloads are ignored. */
export function recoveryStats(
  events: Iterable<{ type: string; payload: unknown }>,
  target = RECOVERY_SUCCESS_TARGET,
): RecoveryStats {
  const overall = emptyRow();
  const byStrategy: Record<string, RecoveryStatsRow> = {};
  const byErrorType: Record<string, RecoveryStatsRow> = {};
  const byPattern: Record<string, RecoveryStatsRow> = {};
  for (const event of events) {
    const kind = event.type.startsWith("recovery.") ? (event.type.slice(9) as Kind) : null;
    if (kind !== "decided" && kind !== "succeeded" && kind !== "failed") continue;
    const f = fieldsOf(event.payload);
    if (!f) continue;
    for (const row of [
      overall,
      rowIn(byStrategy, f.strategy),
      rowIn(byErrorType, f.errorType),
      rowIn(byPattern, f.pattern),
    ]) {
      count(row, kind, f.recoveryMs);
    }
  }
  for (const row of [
    overall,
    ...Object.values(byStrategy),
    ...Object.values(byErrorType),
    ...Object.values(byPattern),
  ]) {
    row.successRate = row.episodes > 0 ? row.successes / row.episodes : null;
  }
  const meetsTarget = overall.successRate === null ? null : overall.successRate >= target;
  return { overall, byStrategy, byErrorType, byPattern, target, meetsTarget };
}
