/**
 * The alert rules' MetricReader over a host's prom-client registry. Counters and histograms are
 * cumulative, so a rule's window is read as the difference between now and the snapshot taken
 * closest to `now - windowMs` (snapshots are taken at each evaluation and kept for the longest
 * window asked for); before any snapshot that old exists, since the process started.
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

async function read(registry: Registry): Promise<Values> {
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
}

/** A MetricReader over `registry` (see the module's comment for the derived series). */
export function registryReader(registry: Registry, options: RegistryReaderOptions): MetricReader {
  const snapshots: Snapshot[] = [];
  let longest = 0;

  /** The registry's values now, kept as a snapshot for later windows. */
  const current = async (now: number): Promise<Values> => {
    const values = await read(registry);
    snapshots.push({ at: now, values });
    while (snapshots.length > 1 && snapshots[1]!.at <= now - longest) snapshots.shift();
    return values;
  };
  /** The snapshot closest to `since` from after it, or none (then: since the start). */
  const base = (since: number): Values | undefined => snapshots.find((s) => s.at >= since)?.values;

  const matches = (k: string, name: string, labels: Record<string, string>) =>
    nameOf(k) === name && Object.entries(labels).every(([l, v]) => labelsOf(k)[l] === v);

  /** The change over the window of the sum of `name`'s series matching the query's labels. */
  const delta = (now: Values, before: Values | undefined, name: string, q: MetricQuery): number => {
    let sum = 0;
    for (const [k, v] of now) if (matches(k, name, q.labels)) sum += v - (before?.get(k) ?? 0);
    return sum;
  };

  return async (q: MetricQuery): Promise<readonly MetricSample[]> => {
    longest = Math.max(longest, q.windowMs);
    const before = base(q.now - q.windowMs);
    const now = await current(q.now);
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

  function bucketsOf(now: Values, before: Values | undefined, name: string, labels: Record<string, string>) {
    const byLe = new Map<number, number>();
    for (const [k, v] of now) {
      if (!matches(k, `${name}_bucket`, labels)) continue;
      const le = labelsOf(k).le;
      const bound = le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
      byLe.set(bound, (byLe.get(bound) ?? 0) + v - (before?.get(k) ?? 0));
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
