/**
 * The alert rules' MetricReader over a host's prom-client registry. Counters and histograms are
 * cumulative, so a rule's window is read as the change between two snapshots of the registry:
 * - one snapshot per evaluation time (`query.now`), taken when the first rule of that evaluation
 *   asks and reused by the others, so every rule of one evaluation sees the same values;
 * - a baseline snapshot, read as the reader is made, or once `after` settles: the host's counters
 *   then hold their replayed history (the app passes its metrics feed's `idle()`), so what
 *   happened before the process started is never in a window;
 * - a window starts at the newest snapshot taken at or before `now - windowMs`, or, when none is
 *   that old (the process is younger than the window), at the oldest one kept (the baseline at
 *   first). A window shorter than the evaluation interval thus spans one interval.
 * Snapshots older than the one the longest window asked for starts at are dropped.
 *
 * The derived series the built-in rules (DEFAULT_RULES) read, with the same formulas as
 * deploy/prometheus/stageflow-rules.yml:
 * - `error_recovery_success_rate`: recovery successes / recovery attempts (the seed's formula: a
 *   step recovered at its third retry counts 1 of 3);
 * - `workflow_duration_p95_ms`: the 95th percentile of `workflow_duration_ms`, interpolated in its
 *   buckets as PromQL's histogram_quantile does;
 * - `template_cache_hit_rate`: hits / (hits + misses);
 * - `process_memory_mb`: resident memory.
 * Any other name is the registry's current value of that series (gauges, counters), filtered by
 * the query's labels. No data (an empty denominator) is an empty answer: the rule does not fire.
 */
import type { Registry } from "prom-client";
import type { Clock } from "../index.js";
import type { MetricQuery, MetricReader, MetricSample } from "./alerts/types.js";

type Values = Map<string, number>; // "name{k=v,...}" -> value

interface Snapshot {
  at: number;
  values: Values;
}

const key = (name: string, labels: Record<string, string | number>) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${String(v)}`)
    .sort()
    .join(",")}}`;

function labelsOf(k: string): Record<string, string> {
  const inner = k.slice(k.indexOf("{") + 1, -1);
  if (!inner) return {};
  return Object.fromEntries(
    inner.split(",").map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)]),
  );
}

const nameOf = (k: string) => k.slice(0, k.indexOf("{"));

async function read(registry: Registry, collect?: () => Promise<void> | void): Promise<Values> {
  await collect?.();
  const values: Values = new Map();
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const v of metric.values as {
      value: number;
      labels: Record<string, string | number>;
      metricName?: string;
    }[]) {
      values.set(key(v.metricName ?? metric.name, v.labels), v.value);
    }
  }
  return values;
}

export interface RegistryReaderOptions {
  clock: Pick<Clock, "now">;
  /** Resident memory in bytes when the registry has no `process_resident_memory_bytes`. */
  rss?: () => number;
  /**
   * Called before each read of the registry: the host's series read from their sources at scrape
   * time (`Metrics.collect`), so a rule on them does not depend on Prometheus scraping `/metrics`.
   */
  collect?: () => Promise<void> | void;
  /**
   * The baseline snapshot is read once this settles (the host's replay of its history into the
   * counters); evaluations before then wait for it. @default at once
   */
  after?: Promise<unknown>;
}

/** A MetricReader over `registry` (see the module's comment for the derived series). */
export function registryReader(registry: Registry, options: RegistryReaderOptions): MetricReader {
  /** Oldest first: the baseline, then one per evaluation time. */
  const snapshots: Snapshot[] = [];
  // A baseline that cannot be read: the first evaluation's snapshot is the oldest instead.
  const baseline: Promise<void> = Promise.resolve(options.after)
    .catch(() => {})
    .then(async () => {
      const at = options.clock.now();
      snapshots.unshift({ at, values: await read(registry, options.collect) });
    })
    .catch(() => {});
  /** The snapshot of the latest evaluation time (the rules of one evaluation share it). */
  let latest: { at: number; snapshot: Promise<Snapshot> } | undefined;
  let longest = 0;

  /** The registry's values at evaluation time `now`: read once, then reused. */
  const current = (now: number): Promise<Snapshot> => {
    if (latest?.at === now) return latest.snapshot;
    const snapshot = baseline.then(async () => {
      const taken = { at: now, values: await read(registry, options.collect) };
      // Kept for later windows, unless time went backwards (then read, not kept).
      if (now >= (snapshots.at(-1)?.at ?? now)) snapshots.push(taken);
      return taken;
    });
    latest = { at: now, snapshot };
    return snapshot;
  };
  /** The window's start: the newest snapshot older than `taken` at or before `since`, else the oldest. */
  const base = (since: number, taken: Snapshot): Values => {
    let start = snapshots[0] ?? taken;
    for (const s of snapshots) {
      if (s === taken || s.at > since) break;
      start = s;
    }
    return start.values;
  };
  /** Drops the snapshots older than the one the longest window starts at. */
  const prune = (now: number) => {
    while (snapshots.length > 1 && snapshots[1]!.at <= now - longest) snapshots.shift();
  };

  const matches = (k: string, name: string, labels: Record<string, string>) =>
    nameOf(k) === name && Object.entries(labels).every(([l, v]) => labelsOf(k)[l] === v);

  /** The change over the window of the sum of `name`'s series matching the query's labels. */
  const delta = (now: Values, before: Values, name: string, q: MetricQuery): number => {
    let sum = 0;
    for (const [k, v] of now) if (matches(k, name, q.labels)) sum += v - (before.get(k) ?? 0);
    return sum;
  };

  return async (q: MetricQuery): Promise<readonly MetricSample[]> => {
    longest = Math.max(longest, q.windowMs);
    const taken = await current(q.now);
    prune(q.now);
    const before = base(q.now - q.windowMs, taken);
    const now = taken.values;
    const ratio = (num: number, den: number): MetricSample[] =>
      den > 0 ? [{ labels: q.labels, value: num / den }] : [];
    switch (q.metric) {
      case "error_recovery_success_rate": {
        const ok = delta(now, before, "error_recovery_success_total", q);
        return ratio(ok, delta(now, before, "error_recovery_attempts_total", q));
      }
      case "template_cache_hit_rate": {
        const hits = delta(now, before, "template_cache_hits_total", q);
        const misses = delta(now, before, "template_cache_misses_total", q);
        return ratio(hits, hits + misses);
      }
      case "workflow_duration_p95_ms": {
        const p95 = quantile(0.95, bucketsOf(now, before, "workflow_duration_ms", q.labels));
        return p95 === null ? [] : [{ labels: q.labels, value: p95 }];
      }
      case "process_memory_mb": {
        const rss =
          now.get(key("process_resident_memory_bytes", {})) ?? options.rss?.() ?? process.memoryUsage().rss;
        return [{ labels: q.labels, value: rss / (1024 * 1024) }];
      }
      default: {
        const out: MetricSample[] = [];
        for (const [k, v] of now)
          if (matches(k, q.metric, q.labels)) out.push({ labels: labelsOf(k), value: v });
        return out;
      }
    }
  };

  function bucketsOf(now: Values, before: Values, name: string, labels: Record<string, string>) {
    const byLe = new Map<number, number>();
    for (const [k, v] of now) {
      if (!matches(k, `${name}_bucket`, labels)) continue;
      const le = labelsOf(k).le;
      const bound = le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
      byLe.set(bound, (byLe.get(bound) ?? 0) + v - (before.get(k) ?? 0));
    }
    return [...byLe.entries()].sort((a, b) => a[0] - b[0]);
  }
}

/**
 * PromQL's histogram_quantile over cumulative buckets [(le, count)], sorted by le: linear within
 * the bucket that holds the rank; the highest finite bound when it falls in +Inf; null when empty.
 */
export function quantile(q: number, buckets: readonly (readonly [number, number])[]): number | null {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return prevLe;
      if (count === prevCount) return le;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / (count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}
