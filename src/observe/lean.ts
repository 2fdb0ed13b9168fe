/**
 * A counter and a histogram for the metrics updated on every step (attempts, their durations,
 * step outcomes), cheaper per update than prom-client's: a child per label combination is kept
 * (no label object hashed per update) and a histogram counts its own bucket, summing the buckets
 * only when scraped. Both are prom-client metrics as a Registry sees them (`get()`, `reset()`),
 * so they are exposed, as JSON too, exactly as prom-client's own are.
 */
import type { MetricValue, Registry } from "prom-client";

/** What a Registry reads from a metric (prom-client's MetricObjectWithValues without `collect`). */
interface LeanValues {
  name: string;
  help: string;
  type: string;
  values: MetricValue<string>[];
  aggregator: "sum";
}

interface LeanMetric {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "histogram";
  readonly aggregator: "sum";
  get(): Promise<LeanValues>;
  reset(): void;
}

type Labels = Record<string, string>;

const labelsOf = (names: readonly string[], values: readonly string[]): Labels =>
  Object.fromEntries(names.map((name, i) => [name, values[i] as string]));

/** A counter with two labels. `child(a, b).inc()`. */
export class LeanCounter2 implements LeanMetric {
  readonly type = "counter";
  readonly aggregator = "sum";
  private readonly children = new Map<string, { labels: Labels; value: number; inc(n?: number): void }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly [string, string],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** First label value → second → child: two lookups of the values as they are, no key built. */
  private readonly byValue = new Map<string, Map<string, { inc(n?: number): void }>>();

  child(a: string, b: string): { inc(n?: number): void } {
    const found = this.byValue.get(a)?.get(b);
    if (found) return found;
    const key = `${a}\u0000${b}`;
    let c = this.children.get(key);
    if (!c) {
      const entry = {
        labels: labelsOf(this.labelNames, [a, b]),
        value: 0,
        inc(n = 1) {
          entry.value += n;
        },
      };
      c = entry;
      this.children.set(key, c);
    }
    let inner = this.byValue.get(a);
    if (!inner) this.byValue.set(a, (inner = new Map()));
    inner.set(b, c);
    return c;
  }

  async get(): Promise<LeanValues> {
    const values = [...this.children.values()].map((c) => ({ labels: { ...c.labels }, value: c.value }));
    return {
      name: this.name,
      help: this.help,
      type: this.type as never,
      values,
      aggregator: this.aggregator,
    };
  }

  reset(): void {
    this.children.clear();
    this.byValue.clear();
  }
}

interface HistogramChild {
  labels: Labels;
  /** Observations per bucket (not cumulative); the last is above every bound. */
  counts: Float64Array;
  sum: number;
  count: number;
  observe(value: number): void;
}

/** A histogram with two labels. `child(a, b).observe(v)`. */
export class LeanHistogram2 implements LeanMetric {
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly children = new Map<string, HistogramChild>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly [string, string],
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** First label value → second → child: two lookups of the values as they are, no key built. */
  private readonly byValue = new Map<string, Map<string, { observe(value: number): void }>>();

  child(a: string, b: string): { observe(value: number): void } {
    const found = this.byValue.get(a)?.get(b);
    if (found) return found;
    const key = `${a}\u0000${b}`;
    let c = this.children.get(key);
    if (!c) {
      const bounds = this.buckets;
      const entry: HistogramChild = {
        labels: labelsOf(this.labelNames, [a, b]),
        counts: new Float64Array(bounds.length + 1),
        sum: 0,
        count: 0,
        observe(value) {
          let i = 0;
          while (i < bounds.length && value > (bounds[i] as number)) i++;
          entry.counts[i] = (entry.counts[i] as number) + 1;
          entry.sum += value;
          entry.count++;
        },
      };
      c = entry;
      this.children.set(key, c);
    }
    let inner = this.byValue.get(a);
    if (!inner) this.byValue.set(a, (inner = new Map()));
    inner.set(b, c);
    return c;
  }

  async get(): Promise<LeanValues> {
    const values: MetricValue<string>[] = [];
    for (const c of this.children.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += c.counts[i] as number;
        values.push({
          labels: { ...c.labels, le },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        } as never);
      });
      values.push({
        labels: { ...c.labels, le: "+Inf" },
        value: c.count,
        metricName: `${this.name}_bucket`,
      } as never);
      values.push({ labels: { ...c.labels }, value: c.sum, metricName: `${this.name}_sum` } as never);
      values.push({ labels: { ...c.labels }, value: c.count, metricName: `${this.name}_count` } as never);
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type as never,
      values,
      aggregator: this.aggregator,
    };
  }

  reset(): void {
    this.children.clear();
    this.byValue.clear();
  }
}
