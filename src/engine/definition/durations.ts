/** Durations as users write them: `500ms`, `30s`, `5m`, `1h`, `1d`, or a number of milliseconds. */
const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;

/**
 * Milliseconds, or undefined when `value` is not a duration. A value too large to be a finite
 * number (`1e400`, 309 digits of `ms`) is not one.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const m = PATTERN.exec(value);
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * (UNITS[m[2] as string] as number));
  return Number.isFinite(ms) ? ms : undefined;
}

/** Like parseDuration, but throws a TypeError naming the value. */
export function durationMs(value: unknown, what = "duration"): number {
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw new TypeError(
      `${what}: expected a duration such as '500ms', '30s', '5m' or '1h', got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/** `1500` → `1.5s`, `90000` → `1m30s`: for reports. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1).replace(/\.?0+$/, "")}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  if (m < 60) return s ? `${m}m${s}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
}
