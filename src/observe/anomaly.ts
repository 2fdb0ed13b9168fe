/**
 * Anomaly detection over a stage's learned history: an exponentially weighted moving average
 * (EWMA) of its durations and their exponentially weighted variance, and the z-score of a new
 * duration against them. Pure functions; see docs/operations.md ("Anomalies").
 */

export interface AnomalyOptions {
  /** Weight of the newest sample in the EWMA, in (0, 1]. @default 0.3 */
  alpha?: number;
  /** |z| at or above which a duration is an anomaly. @default 3 */
  threshold?: number;
  /** Fewer samples than this learn nothing: no verdict. @default 5 */
  minSamples?: number;
  /**
   * The standard deviation is at least this fraction of the EWMA (and at least 1 ms), so that a
   * perfectly steady history does not flag a few milliseconds of jitter. @default 0.05
   */
  minRelativeSpread?: number;
}

export const ANOMALY_DEFAULTS: Readonly<Required<AnomalyOptions>> = {
  alpha: 0.3,
  threshold: 3,
  minSamples: 5,
  minRelativeSpread: 0.05,
};

export interface Ewma {
  /** The exponentially weighted mean. */
  mean: number;
  /** The exponentially weighted variance. */
  variance: number;
  samples: number;
}

/** What `detectAnomaly` says of one duration. */
export interface AnomalyVerdict {
  anomaly: boolean;
  /** `slow` above the EWMA, `fast` below it; null when not an anomaly. */
  direction: "slow" | "fast" | null;
  ewmaMs: number;
  /** The standard deviation used (after its floor). */
  stdDevMs: number;
  zScore: number;
  samples: number;
}

/**
 * The EWMA and exponentially weighted variance of `samples` (oldest first): starting at the
 * first sample with variance 0, each next sample x does `d = x - mean; mean += alpha·d;
 * variance = (1 - alpha)·(variance + alpha·d²)`. Undefined for no samples.
 */
export function ewma(samples: readonly number[], alpha = ANOMALY_DEFAULTS.alpha): Ewma | undefined {
  checkAlpha(alpha);
  const [first, ...rest] = samples;
  if (first === undefined) return undefined;
  let mean = first;
  let variance = 0;
  for (const x of rest) {
    const d = x - mean;
    mean += alpha * d;
    variance = (1 - alpha) * (variance + alpha * d * d);
  }
  return { mean, variance, samples: samples.length };
}

/**
 * Whether `valueMs` departs from `history` (durations, oldest first): |z| ≥ threshold, where
 * z = (value − EWMA) / max(σ, minRelativeSpread·EWMA, 1 ms). Undefined when the history has fewer
 * than `minSamples` samples.
 */
export function detectAnomaly(
  history: readonly number[],
  valueMs: number,
  options: AnomalyOptions = {},
): AnomalyVerdict | undefined {
  const o = { ...ANOMALY_DEFAULTS, ...options };
  if (!(o.threshold > 0))
    throw new TypeError(`anomaly threshold: expected a positive number, got ${o.threshold}`);
  if (history.length < Math.max(1, o.minSamples)) return undefined;
  const stats = ewma(history, o.alpha) as Ewma;
  const stdDevMs = Math.max(Math.sqrt(stats.variance), o.minRelativeSpread * Math.abs(stats.mean), 1);
  const zScore = (valueMs - stats.mean) / stdDevMs;
  const anomaly = Math.abs(zScore) >= o.threshold;
  return {
    anomaly,
    direction: anomaly ? (zScore > 0 ? "slow" : "fast") : null,
    ewmaMs: stats.mean,
    stdDevMs,
    zScore,
    samples: stats.samples,
  };
}

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha <= 1))
    throw new TypeError(`EWMA alpha: expected a number in (0, 1], got ${alpha}`);
}
