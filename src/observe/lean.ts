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

type Labels = Record<string, string>;

const labelsOf = (names: readonly string[], values: readonly string[]): Labels =>
  Object.fromEntries(names.map((name, i) => [name, values[i] as string]));

/**
 * A metric with two labels (or one: the second value is then always ""): a child per pair of
 * values, found by two lookups (no key built).
 */
abstract class LeanMetric2<C extends { labels: Labels }> {
  abstract readonly type: "counter" | "histogram";
  readonly aggregator = "sum";
  /** The children, in the order they were made (scraped in that order). */
  protected readonly children: C[] = [];
  /** First label value → second → child. */
  private readonly byValue = new Map<string, Map<string, C>>();
  /** Counts resets: a child kept by a caller is only this metric's while it is unchanged. */
  generation = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly [string, string] | readonly [string],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  protected abstract make(labels: Labels): C;
  protected abstract values(): MetricValue<string>[];

  protected lookup(a: string, b: string): C {
    let inner = this.byValue.get(a);
    if (!inner) this.byValue.set(a, (inner = new Map()));
    let c = inner.get(b);
    if (!c) {
      c = this.make(labelsOf(this.labelNames, [a, b]));
      inner.set(b, c);
      this.children.push(c);
    }
    return c;
  }

  async get(): Promise<LeanValues> {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values: this.values(),
      aggregator: this.aggregator,
    };
  }

  reset(): void {
    this.generation++;
    this.children.length = 0;
    this.byValue.clear();
  }
}

interface CounterChild {
  labels: Labels;
  value: number;
  inc(n?: number): void;
}

/** A counter with two labels. `child(a, b).inc()`. */
export class LeanCounter2 extends LeanMetric2<CounterChild> {
  readonly type = "counter";

  constructor(
    name: string,
    help: string,
    labelNames: readonly [string, string] | readonly [string],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
  }

  child(a: string, b: string): { inc(n?: number): void } {
    return this.lookup(a, b);
  }

  protected make(labels: Labels): CounterChild {
    const entry: CounterChild = {
      labels,
      value: 0,
      inc(n = 1) {
        entry.value += n;
      },
    };
    return entry;
  }

  protected values(): MetricValue<string>[] {
    return this.children.map((c) => ({ labels: { ...c.labels }, value: c.value }));
  }
}

/** A counter with one label. `child(a).inc()`. */
export class LeanCounter1 extends LeanCounter2 {
  constructor(name: string, help: string, labelName: string, registry: Registry) {
    super(name, help, [labelName], registry);
  }

  override child(a: string): { inc(n?: number): void } {
    return this.lookup(a, "");
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
export class LeanHistogram2 extends LeanMetric2<HistogramChild> {
  readonly type = "histogram";

  constructor(
    name: string,
    help: string,
    labelNames: readonly [string, string],
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
  }

  child(a: string, b: string): { observe(value: number): void } {
    return this.lookup(a, b);
  }

  protected make(labels: Labels): HistogramChild {
    const bounds = this.buckets;
    const entry: HistogramChild = {
      labels,
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
    return entry;
  }

  protected values(): MetricValue<string>[] {
    const values: MetricValue<string>[] = [];
    for (const c of this.children) {
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
    return values;
  }
}
