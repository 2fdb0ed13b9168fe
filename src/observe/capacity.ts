/**
 * The capacity forecast: runs per day, queue depth and journal size as daily series over the last
 * `days` days (24-hour buckets ending now), each with its linear trend and a prediction interval
 * for the next `horizonDays` days (forecast.ts; method in docs/operations.md, "Capacity").
 * `capacitySeries` and `forecastSeries` are pure; `loadCapacity` (capacity-load.ts) reads the
 * Journal port.
 */
import { linearFit, predict } from "./forecast.js";

export const DAY_MS = 86_400_000;

export interface SeriesPoint {
  /** The end of the day bucket (epoch ms). */
  at: number;
  value: number;
}

export interface ForecastPoint {
  /** Days after the last point (1 = a day after now). */
  day: number;
  at: number;
  /** The trend's value, at least 0. */
  value: number;
  /** The prediction interval, clamped at 0; null with fewer than 3 points. */
  low: number | null;
  high: number | null;
}

export interface SeriesForecast {
  /** The last point's value (now), or null without history. */
  current: number | null;
  /** The trend's slope per day, or null with fewer than 2 points. */
  slopePerDay: number | null;
  history: SeriesPoint[];
  forecast: ForecastPoint[];
}

export interface ForecastOptions {
  /** Days to forecast (a positive integer). @default 7 */
  horizonDays?: number;
  /** The prediction interval's confidence, in (0, 1). @default 0.95 */
  confidence?: number;
}

/** The linear trend of a daily series and its forecast for the next `horizonDays` days (pure). */
export function forecastSeries(
  history: readonly SeriesPoint[],
  options: ForecastOptions = {},
): SeriesForecast {
  const horizon = options.horizonDays ?? 7;
  if (!Number.isInteger(horizon) || horizon < 1)
    throw new TypeError(`horizonDays: expected a positive integer, got ${horizon}`);
  const last = history[history.length - 1];
  const points = history.map((p) => ({ x: (p.at - (last?.at ?? 0)) / DAY_MS, y: p.value }));
  const distinct = new Set(points.map((p) => p.x)).size;
  if (!last || distinct < 2)
    return { current: last?.value ?? null, slopePerDay: null, history: [...history], forecast: [] };
  const fit = linearFit(points);
  const clamp = (v: number | null) => (v === null ? null : Math.max(0, v));
  const forecast: ForecastPoint[] = [];
  for (let day = 1; day <= horizon; day++) {
    const p = predict(fit, day, options.confidence ?? 0.95);
    forecast.push({
      day,
      at: last.at + day * DAY_MS,
      value: Math.max(0, p.value),
      low: clamp(p.low),
      high: clamp(p.high),
    });
  }
  return { current: last.value, slopePerDay: fit.slope, history: [...history], forecast };
}

/** A run as the capacity series see it. */
export interface RunSpan {
  createdAt: number;
  /** When it ended (finishedAt, else its last update for a finished run); null while open. */
  endedAt: number | null;
}

export interface CapacityInput {
  now: number;
  /** Days of history (a positive integer). */
  days: number;
  runs: readonly RunSpan[];
  /** The times of the journal's events (any order): the growth of its records. */
  eventTimes: readonly number[];
  /** The journal's size now, in bytes; undefined when unknown (no size series then). */
  sizeBytes?: number;
  /** Instants per day at which the queue depth is sampled (its daily value is their mean). @default 24 */
  samplesPerDay?: number;
}

export interface CapacitySeries {
  runsPerDay: SeriesPoint[];
  queueDepth: SeriesPoint[];
  journalBytes: SeriesPoint[];
}

/**
 * The daily series (pure). Bucket i covers [now − (days − i)·DAY, now − (days − i − 1)·DAY):
 * - runs per day: runs created in it;
 * - queue depth: the mean, over `samplesPerDay` evenly spaced instants ending at the bucket's end,
 *   of the runs open (created, not yet ended: running, waiting or blocked) at that instant;
 * - journal bytes at its end: sizeBytes × (events up to then) / (all events), i.e. the size grows
 *   with the events recorded (a constant size when there are none).
 */
export function capacitySeries(input: CapacityInput): CapacitySeries {
  const { now, days } = input;
  if (!Number.isInteger(days) || days < 1)
    throw new TypeError(`days: expected a positive integer, got ${days}`);
  const samples = input.samplesPerDay ?? 24;
  const times = [...input.eventTimes].sort((a, b) => a - b);
  const out: CapacitySeries = { runsPerDay: [], queueDepth: [], journalBytes: [] };
  for (let i = 0; i < days; i++) {
    const end = now - (days - i - 1) * DAY_MS;
    const start = end - DAY_MS;
    out.runsPerDay.push({
      at: end,
      value: input.runs.filter((r) => r.createdAt >= start && r.createdAt < end).length,
    });
    let open = 0;
    for (let k = 1; k <= samples; k++) {
      const t = start + (k * DAY_MS) / samples;
      open += input.runs.filter((r) => r.createdAt <= t && (r.endedAt === null || r.endedAt > t)).length;
    }
    out.queueDepth.push({ at: end, value: open / samples });
    if (input.sizeBytes !== undefined) {
      const share = times.length === 0 ? 1 : countAtOrBefore(times, end) / times.length;
      out.journalBytes.push({ at: end, value: Math.round(input.sizeBytes * share) });
    }
  }
  return out;
}

/** How many of ascending `sorted` are ≤ t (binary search). */
function countAtOrBefore(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface CapacityForecast {
  now: number;
  days: number;
  horizonDays: number;
  confidence: number;
  runsPerDay: SeriesForecast;
  queueDepth: SeriesForecast;
  /** Empty history and forecast when the journal's size is unknown. */
  journalBytes: SeriesForecast;
  /** Runs open now, by status. */
  open: { running: number; waiting: number; blocked: number };
}

/** The forecast of each capacity series (pure). */
export function capacityForecast(
  input: CapacityInput & ForecastOptions & { open?: CapacityForecast["open"] },
): CapacityForecast {
  const series = capacitySeries(input);
  const options: ForecastOptions = {
    horizonDays: input.horizonDays ?? 7,
    confidence: input.confidence ?? 0.95,
  };
  return {
    now: input.now,
    days: input.days,
    horizonDays: options.horizonDays as number,
    confidence: options.confidence as number,
    runsPerDay: forecastSeries(series.runsPerDay, options),
    queueDepth: forecastSeries(series.queueDepth, options),
    journalBytes: forecastSeries(series.journalBytes, options),
    open: input.open ?? { running: 0, waiting: 0, blocked: 0 },
  };
}
