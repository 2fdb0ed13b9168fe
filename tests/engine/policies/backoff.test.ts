import { describe, expect, it } from "vitest";
import type { RetrySpec } from "../../../src/engine/definition/plan.js";
import { backoffFrom } from "../../../src/engine/policies/index.js";
import { type Random, seededRandom } from "../../../src/engine/ports.js";

const spec = (over: Partial<RetrySpec> = {}): RetrySpec => ({
  maxAttempts: 5,
  backoff: "exponential",
  baseDelayMs: 100,
  maxDelayMs: 10_000,
  jitter: "none",
  ...over,
});

const noRandom: Random = {
  next() {
    throw new Error("jitter 'none' must not draw a random number");
  },
};

const delays = (s: RetrySpec, n: number, random: Random = noRandom): number[] => {
  const b = backoffFrom(s);
  return Array.from({ length: n }, (_, i) => b.delayFor(i + 1, random));
};

describe("backoff kinds without jitter", () => {
  it("exponential doubles from the base: base·2^(n-1)", () => {
    expect(delays(spec(), 5)).toEqual([100, 200, 400, 800, 1600]);
  });

  it("linear grows by the base: base·n", () => {
    expect(delays(spec({ backoff: "linear" }), 4)).toEqual([100, 200, 300, 400]);
  });

  it("constant stays at the base", () => {
    expect(delays(spec({ backoff: "constant" }), 3)).toEqual([100, 100, 100]);
  });

  it("caps every kind at maxDelayMs", () => {
    expect(delays(spec({ maxDelayMs: 500 }), 5)).toEqual([100, 200, 400, 500, 500]);
    expect(delays(spec({ backoff: "linear", maxDelayMs: 250 }), 4)).toEqual([100, 200, 250, 250]);
    expect(delays(spec({ backoff: "constant", baseDelayMs: 900, maxDelayMs: 300 }), 2)).toEqual([300, 300]);
  });

  it("stays finite for huge attempt numbers and a zero base", () => {
    expect(backoffFrom(spec()).delayFor(5000, noRandom)).toBe(10_000);
    expect(backoffFrom(spec({ baseDelayMs: 0 })).delayFor(5000, noRandom)).toBe(0);
  });
});

describe("jitter with a seeded random source", () => {
  it("full: round(random · d), in [0, d], reproducible", () => {
    const s = spec({ jitter: "full" });
    const expected = [100, 200, 400, 800, 1600].map((d, i) => Math.round(seededRandom(7 + i).next() * d));
    const b = backoffFrom(s);
    expect([1, 2, 3, 4, 5].map((n, i) => b.delayFor(n, seededRandom(7 + i)))).toEqual(expected);
    const r = seededRandom(1);
    for (let i = 0; i < 200; i++) {
      const d = b.delayFor(3, r);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(400);
    }
  });

  it("equal: d/2 + random · d/2, in [d/2, d]", () => {
    const b = backoffFrom(spec({ jitter: "equal" }));
    const r = seededRandom(3);
    const expected = 200 + Math.round(seededRandom(3).next() * 200);
    expect(b.delayFor(3, r)).toBe(expected);
    for (let i = 0; i < 200; i++) {
      const d = b.delayFor(3, r);
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
  });

  it("decorrelated: min(max, random between base and previous·3), same seed, same sequence", () => {
    const b = backoffFrom(spec({ jitter: "decorrelated", maxDelayMs: 2000 }));
    const run = (seed: number) => {
      const r = seededRandom(seed);
      const out: number[] = [];
      let prev: number | undefined;
      for (let n = 1; n <= 12; n++) {
        const d = b.delayFor(n, r, prev);
        const upper = Math.min(2000, Math.max(100, (prev ?? 100) * 3));
        expect(d).toBeGreaterThanOrEqual(100);
        expect(d).toBeLessThanOrEqual(upper);
        out.push(d);
        prev = d;
      }
      return out;
    };
    const first = run(42);
    expect(run(42)).toEqual(first);
    expect(run(43)).not.toEqual(first);
    // The first delay has no previous one: it lies between base and base·3.
    const firstValue = 100 + seededRandom(42).next() * 200;
    expect(first[0]).toBe(Math.round(firstValue));
  });

  it("decorrelated never exceeds the cap even from a huge previous delay", () => {
    const b = backoffFrom(spec({ jitter: "decorrelated", maxDelayMs: 500 }));
    expect(b.delayFor(2, { next: () => 0.999 }, 1_000_000)).toBe(500);
  });
});

describe("backoff values", () => {
  it("are frozen and keep a frozen copy of the spec", () => {
    const s = spec();
    const b = backoffFrom(s);
    expect(Object.isFrozen(b)).toBe(true);
    expect(Object.isFrozen(b.spec)).toBe(true);
    s.baseDelayMs = 1;
    expect(b.delayFor(1, noRandom)).toBe(100);
  });

  it("rejects a bad spec with a TypeError naming the value", () => {
    expect(() => backoffFrom(spec({ maxAttempts: 0 }))).toThrow(TypeError);
    expect(() => backoffFrom(spec({ maxAttempts: 0 }))).toThrow(/maxAttempts.*0/);
    expect(() => backoffFrom(spec({ maxAttempts: 1.5 }))).toThrow(/maxAttempts.*1\.5/);
    expect(() => backoffFrom(spec({ baseDelayMs: -1 }))).toThrow(/baseDelayMs.*-1/);
    expect(() => backoffFrom(spec({ maxDelayMs: Number.NaN }))).toThrow(/maxDelayMs.*NaN/);
    expect(() => backoffFrom(spec({ jitter: "wild" as never }))).toThrow(/jitter.*"wild"/);
    expect(() => backoffFrom(spec({ backoff: "fibonacci" as never }))).toThrow(/backoff.*"fibonacci"/);
  });
});
