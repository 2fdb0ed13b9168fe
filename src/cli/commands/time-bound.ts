import { InvalidArgumentError } from "commander";
import { parseDuration, type RunStatus } from "../../index.js";

/** A point in time given on the command line: a duration ago (`2h`, `30d`) or a date. */
export type TimeBound = { ago: number } | { at: number };

/** Commander parser for `--since` / `--older-than`: `90m`, `2h`, `30d`, `2024-05-01`, ISO times. */
export function timeBound(value: string): TimeBound {
  const ms = parseDuration(value);
  if (ms !== undefined && typeof value === "string" && /[a-z]$/i.test(value.trim())) return { ago: ms };
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) {
    const at = Date.parse(value.trim());
    if (Number.isFinite(at)) return { at };
  }
  throw new InvalidArgumentError(
    `expected a duration such as '2h' or '30d', or a date such as '2024-05-01', got '${value}'`,
  );
}

/** The bound as epoch milliseconds, as of `now`. */
export function boundAt(bound: TimeBound, now: number): number {
  return "at" in bound ? bound.at : now - bound.ago;
}

export const RUN_STATUSES: readonly RunStatus[] = [
  "running",
  "waiting",
  "blocked",
  "succeeded",
  "degraded",
  "failed",
  "cancelled",
];

/** Commander parser for `--status failed,blocked` (repeatable; the lists add up). */
export function statusList(value: string, previous: RunStatus[] = []): RunStatus[] {
  const out = [...previous];
  for (const part of value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!(RUN_STATUSES as readonly string[]).includes(part)) {
      throw new InvalidArgumentError(`unknown status '${part}' (one of: ${RUN_STATUSES.join(", ")})`);
    }
    if (!out.includes(part as RunStatus)) out.push(part as RunStatus);
  }
  return out;
}
