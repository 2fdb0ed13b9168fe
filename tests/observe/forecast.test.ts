import { describe, expect, it } from "vitest";
import {
  capacitySeries,
  DAY_MS,
  forecastSeries,
  linearFit,
  predict,
  type SeriesPoint,
  studentTQuantile,
} from "../../src/observe/index.js";

const NOW = Date.UTC(2026, 11, 6, 4);

/** A daily series ending at NOW: values[i] on day i. */
const daily = (values: readonly number[]): SeriesPoint[] =>
  values.map((value, i) => ({ at: NOW - (values.length - 1 - i) * DAY_MS, value }));

describe("Student's t quantile", () => {
  // Reference values from the usual t tables (two-sided 95% and 99%).
  it.each([
    [0.975, 1, 12.706],
    [0.975, 2, 4.303],
    [0.975, 5, 2.571],
    [0.975, 10, 2.228],
    [0.975, 28, 2.048],
    [0.975, 1000, 1.962],
    [0.995, 3, 5.841],
    [0.9, 20, 1.325],
    [0.025, 10, -2.228],
  ])("t(%s, df %s) = %s", (p, df, expected) => {
    expect(studentTQuantile(p, df)).toBeCloseTo(expected, 3);
  });

  it("refuses p outside (0, 1) and a df that is not positive", () => {
    expect(() => studentTQuantile(1, 3)).toThrow(/p must be in \(0, 1\)/);
    expect(() => studentTQuantile(0.9, 0)).toThrow(/df must be positive/);
  });
});

describe("least squares and the prediction interval", () => {
  it.each([
    {
      name: "an exact line: no spread, a zero-width interval",
      ys: [1, 3, 5, 7, 9],
      slope: 2,
      intercept: 1,
      sd: 0,
    },
    { name: "a flat series", ys: [4, 4, 4], slope: 0, intercept: 4, sd: 0 },
    // ys = 2x + (+1, −1, +1, −1): fit slope 1.6, intercept 0.6 (worked by hand).
    { name: "a noisy line", ys: [1, 1, 5, 5], slope: 1.6, intercept: 0.6, sd: Math.sqrt(3.2 / 2) },
  ])("$name", ({ ys, slope, intercept, sd }) => {
    const fit = linearFit(ys.map((y, x) => ({ x, y })));
    expect(fit.slope).toBeCloseTo(slope, 10);
    expect(fit.intercept).toBeCloseTo(intercept, 10);
    expect(fit.residualSd).toBeCloseTo(sd, 10);
  });

  it("widens with the distance from the data: ŷ ± t·s·√(1 + 1/n + (x − x̄)²/Sxx)", () => {
    const fit = linearFit([1, 1, 5, 5].map((y, x) => ({ x, y })));
    // n = 4, x̄ = 1.5, Sxx = 5, s = √1.6, t(0.975, 2) = 4.303.
    const at = (x: number) => 4.3027 * Math.sqrt(1.6) * Math.sqrt(1 + 1 / 4 + (x - 1.5) ** 2 / 5);
    const p5 = predict(fit, 5);
    expect(p5.value).toBeCloseTo(8.6, 10);
    expect(p5.high! - p5.value).toBeCloseTo(at(5), 3);
    expect(p5.value - p5.low!).toBeCloseTo(at(5), 3);
    expect(predict(fit, 10).high! - predict(fit, 10).value).toBeGreaterThan(at(5));
    // 99% is wider than 95%.
    expect(predict(fit, 5, 0.99).high!).toBeGreaterThan(p5.high!);
  });

  it("has no interval with two points, and refuses fewer or a single x", () => {
    expect(
      predict(
        linearFit([
          { x: 0, y: 1 },
          { x: 1, y: 2 },
        ]),
        2,
      ),
    ).toEqual({ x: 2, value: 3, low: null, high: null });
    expect(() => linearFit([{ x: 0, y: 1 }])).toThrow(/at least 2 points/);
    expect(() =>
      linearFit([
        { x: 1, y: 1 },
        { x: 1, y: 2 },
      ]),
    ).toThrow(/same x/);
    expect(() =>
      predict(
        linearFit([
          { x: 0, y: 1 },
          { x: 1, y: 2 },
        ]),
        2,
        1.5,
      ),
    ).toThrow(/confidence/);
  });
});

describe("forecastSeries (daily series → the next days)", () => {
  it.each([
    {
      name: "runs growing by 3 a day: forecast on the line, exact",
      values: [10, 13, 16, 19, 22, 25, 28],
      slope: 3,
      next: [31, 34, 37],
    },
    { name: "a flat series stays flat", values: [5, 5, 5, 5], slope: 0, next: [5, 5, 5] },
    { name: "a falling series is clamped at 0", values: [6, 4, 2], slope: -2, next: [0, 0, 0] },
  ])("$name", ({ values, slope, next }) => {
    const f = forecastSeries(daily(values), { horizonDays: 3 });
    expect(f.current).toBe(values[values.length - 1]);
    expect(f.slopePerDay).toBeCloseTo(slope, 10);
    expect(f.forecast.map((p) => p.day)).toEqual([1, 2, 3]);
    expect(f.forecast.map((p) => p.at)).toEqual([1, 2, 3].map((d) => NOW + d * DAY_MS));
    f.forecast.forEach((p, i) => expect(p.value).toBeCloseTo(next[i]!, 10));
    for (const p of f.forecast) expect(p.low).toBeCloseTo(p.value, 10); // no spread: no width
  });

  it("gives a noisy series an interval that contains the trend and widens with the horizon", () => {
    // 2 a day plus alternating noise of ±1.
    const f = forecastSeries(daily([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => 2 * d + (d % 2 ? -1 : 1))), {
      horizonDays: 14,
    });
    expect(f.slopePerDay).toBeCloseTo(2, 0);
    const widths = f.forecast.map((p) => p.high! - p.low!);
    for (const p of f.forecast) expect(p.low!).toBeLessThan(p.value);
    for (let i = 1; i < widths.length; i++) expect(widths[i]!).toBeGreaterThan(widths[i - 1]!);
  });

  it("has no trend without two days of history", () => {
    expect(forecastSeries([])).toEqual({ current: null, slopePerDay: null, history: [], forecast: [] });
    expect(forecastSeries(daily([4])).forecast).toEqual([]);
    expect(() => forecastSeries(daily([1, 2]), { horizonDays: 0 })).toThrow(/horizonDays/);
  });
});

describe("capacitySeries (runs, queue depth and journal size per day)", () => {
  const H = 3_600_000;
  it("buckets runs by creation, samples open runs, and spreads the size over the events", () => {
    const day = (i: number) => NOW - (3 - i) * DAY_MS; // start of bucket i of 3
    const series = capacitySeries({
      now: NOW,
      days: 3,
      samplesPerDay: 4,
      runs: [
        // Bucket 0: one run open for its whole second half (samples at 6h, 12h, 18h, 24h: 3 of 4).
        { createdAt: day(0) + 5 * H, endedAt: day(1) + 1 },
        // Bucket 1: two short runs (closed before any sample) and one open now.
        { createdAt: day(1) + H, endedAt: day(1) + 2 * H },
        { createdAt: day(1) + 3 * H, endedAt: day(1) + 4 * H },
        { createdAt: day(1) + 20 * H, endedAt: null },
        // Before the window: not counted per day, but open in bucket 0 until 7h.
        { createdAt: day(0) - DAY_MS, endedAt: day(0) + 7 * H },
      ],
      eventTimes: [day(0) + H, day(1) + H, day(1) + 2 * H, day(2) + H],
      sizeBytes: 4096,
    });
    expect(series.runsPerDay.map((p) => p.value)).toEqual([1, 3, 0]);
    expect(series.runsPerDay.map((p) => p.at)).toEqual([day(1), day(2), NOW]);
    // Bucket 0: 6h → 2 open, 12h, 18h → 1, 24h → 1: 5/4. Bucket 1: the open run at 24h: 1/4. Bucket 2: 4/4.
    expect(series.queueDepth.map((p) => p.value)).toEqual([1.25, 0.25, 1]);
    expect(series.journalBytes.map((p) => p.value)).toEqual([1024, 3072, 4096]);
  });

  it("keeps the size constant without events, and has no size series without a size", () => {
    const base = { now: NOW, days: 2, runs: [], eventTimes: [] };
    expect(capacitySeries({ ...base, sizeBytes: 100 }).journalBytes.map((p) => p.value)).toEqual([100, 100]);
    expect(capacitySeries(base).journalBytes).toEqual([]);
    expect(() => capacitySeries({ ...base, days: 0 })).toThrow(/days: expected a positive integer/);
  });
});
