import { describe, expect, it } from "vitest";
import { RetryBudget, type RetryBudgetSettings, RetryBudgets } from "../../../src/engine/recovery/index.js";
import { FakeClock } from "../../../src/engine/testing/fake-clock.js";

function setup(settings: RetryBudgetSettings = {}) {
  const clock = new FakeClock();
  return { clock, budget: new RetryBudget({ clock, ...settings }) };
}

function calls(budget: RetryBudget, n: number): void {
  for (let i = 0; i < n; i++) budget.recordCall();
}

function retries(budget: RetryBudget, n: number): number {
  let allowed = 0;
  for (let i = 0; i < n; i++) if (budget.tryRetry()) allowed++;
  return allowed;
}

describe("RetryBudget", () => {
  it("allows retries up to ratio × calls in the window", () => {
    const { budget } = setup({ ratio: 0.2 });
    calls(budget, 100);
    expect(retries(budget, 30)).toBe(20);
    expect(budget.tryRetry()).toBe(false);
    expect(budget.usage()).toEqual({ calls: 100, retries: 20, allowed: 20 });
  });

  it("allows minRetries however few calls there were", () => {
    const { budget } = setup({ ratio: 0.2, minRetries: 3 });
    expect(retries(budget, 10)).toBe(3);
    const other = setup({ ratio: 0.2, minRetries: 3 }).budget;
    calls(other, 10); // 0.2 × 10 = 2, below the floor
    expect(retries(other, 10)).toBe(3);
    const none = setup({ ratio: 0, minRetries: 0 }).budget;
    calls(none, 1000);
    expect(none.tryRetry()).toBe(false);
  });

  it("does not let floating point allow an extra retry", () => {
    const { budget } = setup({ ratio: 0.7, minRetries: 0 });
    calls(budget, 10);
    expect(retries(budget, 10)).toBe(7);
  });

  it("slides: calls and retries leave the window after windowMs", async () => {
    const { clock, budget } = setup({ ratio: 0.2, windowMs: 10_000, minRetries: 0 });
    calls(budget, 50);
    expect(retries(budget, 20)).toBe(10);
    await clock.advance(3_000);
    expect(budget.tryRetry()).toBe(false);
    expect(budget.waitMs()).toBe(7_000);
    await clock.advance(6_999);
    expect(budget.tryRetry()).toBe(false);
    expect(budget.waitMs()).toBe(1);
    await clock.advance(1);
    expect(budget.usage()).toEqual({ calls: 0, retries: 0, allowed: 0 });
    calls(budget, 10);
    expect(retries(budget, 5)).toBe(2);
  });

  it("counts new calls in the window towards the allowance", async () => {
    const { clock, budget } = setup({ ratio: 0.2, minRetries: 3 });
    calls(budget, 100);
    expect(retries(budget, 20)).toBe(20);
    await clock.advance(5_000);
    expect(budget.tryRetry()).toBe(false);
    calls(budget, 50); // 150 calls in the window: 30 retries
    expect(retries(budget, 20)).toBe(10);
    await clock.advance(5_000); // the first 100 calls and 20 retries leave
    expect(budget.usage()).toEqual({ calls: 50, retries: 10, allowed: 10 });
    expect(budget.tryRetry()).toBe(false);
    expect(budget.waitMs()).toBe(5_000);
  });

  it("waitMs is 0 when a retry is allowed, and the window when no retry is in it", () => {
    const { budget } = setup();
    expect(budget.waitMs()).toBe(0);
    const { budget: never } = setup({ ratio: 0, minRetries: 0, windowMs: 4_000 });
    expect(never.waitMs()).toBe(4_000);
  });

  it("forgets everything after a long idle time (ring slots are reused)", async () => {
    const { clock, budget } = setup({ ratio: 0.5, minRetries: 0, windowMs: 1_000, buckets: 4 });
    calls(budget, 8);
    expect(retries(budget, 8)).toBe(4);
    await clock.advance(25_000);
    expect(budget.usage()).toEqual({ calls: 0, retries: 0, allowed: 0 });
    calls(budget, 2);
    expect(retries(budget, 3)).toBe(1);
  });

  it.each<[RetryBudgetSettings, RegExp]>([
    [{ ratio: 1.5 }, /ratio must be a number in \[0, 1\], got 1.5/],
    [{ ratio: -0.1 }, /ratio.*-0.1/],
    [{ ratio: Number.NaN }, /ratio.*NaN/],
    [{ windowMs: 0 }, /windowMs.*> 0, got 0/],
    [{ windowMs: -5 }, /windowMs.*-5/],
    [{ minRetries: 1.5 }, /minRetries.*1.5/],
    [{ buckets: 0 }, /buckets.*0/],
  ])("rejects %j with a TypeError naming the value", (settings, message) => {
    expect(() => setup(settings)).toThrow(TypeError);
    expect(() => setup(settings)).toThrow(message);
    expect(() => new RetryBudgets({ clock: new FakeClock(), ...settings })).toThrow(message);
  });
});

describe("RetryBudgets", () => {
  it("keeps one budget per dependency", () => {
    const budgets = new RetryBudgets({ clock: new FakeClock(), minRetries: 1, ratio: 0 });
    const github = budgets.get("api.github.com");
    expect(budgets.get("api.github.com")).toBe(github);
    expect(github.tryRetry()).toBe(true);
    expect(github.tryRetry()).toBe(false);
    expect(budgets.get("hooks.example.com").tryRetry()).toBe(true);
    expect(budgets.dependencies()).toEqual(["api.github.com", "hooks.example.com"]);
  });

  it("rejects an empty dependency name", () => {
    const budgets = new RetryBudgets({ clock: new FakeClock() });
    expect(() => budgets.get("")).toThrow(TypeError);
  });
});
