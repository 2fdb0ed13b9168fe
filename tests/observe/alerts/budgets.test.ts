import { describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/engine/testing/fake-clock.js";
import {
  AlertManager,
  type AlertNotification,
  type AlertRule,
  BUDGET_METRIC,
  budgetReader,
  budgetRules,
  type CostBudget,
  type MetricReader,
} from "../../../src/observe/alerts/index.js";

const DAY = 86_400_000;

/** A manager of `rules` whose notifications are kept in `sent`, every channel answering ok. */
function managerOn(rules: AlertRule[], read: MetricReader, clock: FakeClock) {
  const sent: AlertNotification[] = [];
  const manager = new AlertManager({
    rules,
    read,
    clock,
    sink: {
      deliver: async (n, channels) => (
        sent.push(n),
        channels.map((channel) => ({ channel, ok: true, attempts: 1 }))
      ),
    },
  });
  return { manager, sent };
}

describe("cost budgets", () => {
  const budgets: CostBudget[] = [
    { workflow: "release", unit: "github_api_calls", limit: 1000, periodMs: DAY, alertAt: 0.8 },
    { workflow: "release", unit: "runner_minutes", limit: 600, periodMs: DAY, severity: "critical" },
    { workflow: "nightly build", unit: "http_calls", limit: 50, periodMs: 7 * DAY, alertAt: 0.5 },
  ];

  it("makes one rule per budget, on the used fraction", () => {
    expect(budgetRules(budgets)).toEqual([
      {
        name: "cost_budget:release:github_api_calls",
        metric: BUDGET_METRIC,
        labels: { workflow: "release", unit: "github_api_calls" },
        above: 0.8,
        severity: "high",
        windowMs: DAY,
        description: "Workflow 'release' used more than 80% of its github_api_calls budget (1000 per 1d)",
      },
      expect.objectContaining({
        name: "cost_budget:release:runner_minutes",
        severity: "critical",
        above: 0.8,
      }),
      expect.objectContaining({
        name: "cost_budget:nightly_build:http_calls",
        above: 0.5,
        windowMs: 7 * DAY,
      }),
    ]);
  });

  it("alerts when a workflow's usage over its period passes the threshold, and resolves when it falls back", async () => {
    const clock = new FakeClock(Date.UTC(2026, 11, 6));
    const usage: Record<string, number> = {
      "release/github_api_calls": 500,
      "release/runner_minutes": 100,
      "nightly build/http_calls": 10,
    };
    const asked: Array<{ from: number; to: number }> = [];
    const read = budgetReader(budgets, ({ workflow, unit, from, to }) => {
      asked.push({ from, to });
      return usage[`${workflow}/${unit}`] ?? 0;
    });
    const { manager, sent } = managerOn(budgetRules(budgets), read, clock);
    await manager.evaluate();
    expect(sent).toEqual([]);
    expect(asked[0]).toEqual({ from: clock.now() - DAY, to: clock.now() });

    usage["release/github_api_calls"] = 850;
    await clock.advance(60_000);
    await manager.evaluate();
    expect(sent.map((n) => [n.status, n.rule, n.alerts[0]!.value])).toEqual([
      ["firing", "cost_budget:release:github_api_calls", 0.85],
    ]);
    expect(sent[0]!.labels).toEqual({ workflow: "release", unit: "github_api_calls" });

    usage["release/github_api_calls"] = 300;
    await clock.advance(60_000);
    await manager.evaluate();
    expect(sent.map((n) => n.status)).toEqual(["firing", "resolved"]);
  });

  it("keeps a daily and a weekly budget of one workflow and unit apart", async () => {
    const clock = new FakeClock(Date.UTC(2026, 11, 6));
    const two: CostBudget[] = [
      { workflow: "release", unit: "github_api_calls", limit: 1000, periodMs: DAY },
      { workflow: "release", unit: "github_api_calls", limit: 3000, periodMs: 7 * DAY },
    ];
    // 100 calls today (10 % of the daily budget), 2,900 this week (97 % of the weekly one).
    const read = budgetReader(two, ({ from, to }) => (to - from === DAY ? 100 : 2900));
    const { manager, sent } = managerOn(budgetRules(two), read, clock);
    await manager.evaluate();
    expect(sent.map((n) => [n.rule, n.alerts.map((a) => Math.round(a.value * 1000) / 1000)])).toEqual([
      ["cost_budget:release:github_api_calls:1", [0.967]],
    ]);
    expect(sent[0]!.description).toContain("3000 per 7d");
    // A rule of its own on the metric, over another window, reads both.
    const both = await read({
      metric: BUDGET_METRIC,
      labels: { workflow: "release" },
      windowMs: 60_000,
      now: 0,
    });
    expect(both.map((s) => s.value)).toEqual([0.1, 2900 / 3000]);
  });

  it("passes other metrics to the next reader", async () => {
    const read = budgetReader(
      budgets,
      () => 0,
      () => [{ labels: {}, value: 42 }],
    );
    expect(await read({ metric: "process_memory_mb", labels: {}, windowMs: 1, now: 0 })).toEqual([
      { labels: {}, value: 42 },
    ]);
  });

  it("rejects a bad budget naming the field", () => {
    expect(() => budgetRules([{ ...budgets[0]!, alertAt: 1.5 }])).toThrow(
      "alerts.budgets[0].alertAt: expected a fraction in (0, 1], got 1.5",
    );
    expect(() => budgetRules([{ ...budgets[0]!, limit: 0 }])).toThrow(
      "alerts.budgets[0].limit: expected a positive number, got 0",
    );
  });
});
