/**
 * A linear trend with a prediction interval: ordinary least squares over (x, y) points and, for a
 * new x, ŷ ± t(1 − α/2, n − 2) · s · √(1 + 1/n + (x − x̄)² / Sxx), where s is the residuals'
 * standard deviation (n − 2 degrees of freedom) and t Student's quantile (see docs/operations.md,
 * "Capacity"). Pure; the capacity forecast (capacity.ts) applies it to daily series.
 */

export interface Point {
  x: number;
  y: number;
}

export interface LinearFit {
  n: number;
  slope: number;
  intercept: number;
  meanX: number;
  /** Σ (x − x̄)². */
  sxx: number;
  /** The residuals' standard deviation, √(SSE / (n − 2)); null with fewer than 3 points. */
  residualSd: number | null;
}

/** The least-squares line through `points` (at least 2, with at least two distinct x). */
export function linearFit(points: readonly Point[]): LinearFit {
  const n = points.length;
  if (n < 2) throw new TypeError(`linearFit: expected at least 2 points, got ${n}`);
  for (const p of points)
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y))
      throw new TypeError(`linearFit: expected finite numbers, got (${p.x}, ${p.y})`);
  const meanX = points.reduce((s, p) => s + p.x, 0) / n;
  const meanY = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - meanX) ** 2;
    sxy += (p.x - meanX) * (p.y - meanY);
  }
  if (sxx === 0) throw new TypeError("linearFit: every point has the same x");
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  let sse = 0;
  for (const p of points) sse += (p.y - (intercept + slope * p.x)) ** 2;
  return { n, slope, intercept, meanX, sxx, residualSd: n > 2 ? Math.sqrt(sse / (n - 2)) : null };
}

export interface Prediction {
  x: number;
  value: number;
  /** The prediction interval's bounds; null with fewer than 3 points (no degrees of freedom). */
  low: number | null;
  high: number | null;
}

/** The fit's value at `x` and its prediction interval at `confidence` (in (0, 1)). */
export function predict(fit: LinearFit, x: number, confidence = 0.95): Prediction {
  if (!(confidence > 0 && confidence < 1))
    throw new TypeError(`predict: confidence must be in (0, 1), got ${confidence}`);
  const value = fit.intercept + fit.slope * x;
  if (fit.residualSd === null) return { x, value, low: null, high: null };
  const t = studentTQuantile(1 - (1 - confidence) / 2, fit.n - 2);
  const half = t * fit.residualSd * Math.sqrt(1 + 1 / fit.n + (x - fit.meanX) ** 2 / fit.sxx);
  return { x, value, low: value - half, high: value + half };
}

/** The p-quantile of Student's t distribution with `df` degrees of freedom (bisection on its CDF). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new TypeError(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new TypeError(`studentTQuantile: df must be positive, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The regularized incomplete beta function I_x(a, b) (continued fraction, Lentz's method). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    for (const aa of [
      (m * (b - m) * x) / ((a + m2 - 1) * (a + m2)),
      (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1)),
    ]) {
      d = 1 + aa * d;
      if (Math.abs(d) < tiny) d = tiny;
      c = 1 + aa / c;
      if (Math.abs(c) < tiny) c = tiny;
      d = 1 / d;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

const LANCZOS = [
  676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(z) for z > 0 (Lanczos, g = 7). */
function logGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const zz = z - 1;
  let x = 0.99999999999980993;
  LANCZOS.forEach((c, i) => (x += c / (zz + i + 1)));
  const t = zz + LANCZOS.length - 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (zz + 0.5) * Math.log(t) - t + Math.log(x);
}
