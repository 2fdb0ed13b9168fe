/**
 * Cost budgets per workflow (the alert side of cost tracking): a budget caps one cost unit over a
 * rolling period and alerts when more than `alertAt` of it is used. The cost figures come from a
 * function (the journal's history, the step kinds' reports), so this file only turns budgets
 * into rules and a metric reader.
 */
import type { AlertRule, MetricReader, MetricSample, Severity } from "./types.js";

/** Cost units the step kinds report. */
export const COST_UNITS = ["github_api_calls", "runner_minutes", "http_calls"] as const;
export type CostUnit = (typeof COST_UNITS)[number];

export interface CostBudget {
  /** The workflow's name. */
  workflow: string;
  unit: CostUnit;
  /** Units allowed per period (positive). */
  limit: number;
  /** The rolling period, in ms (e.g. a day). */
  periodMs: number;
  /** Fraction of the limit above which the budget alerts, in (0, 1]. @default 0.8 */
  alertAt?: number;
  /** @default "high" */
  severity?: Severity;
}

/** Units of `unit` that `workflow` used in [from, to). */
export type CostReader = (query: {
  workflow: string;
  unit: CostUnit;
  from: number;
  to: number;
}) => number | Promise<number>;

/** The metric budget rules read: used / limit over the period, labels `workflow` and `unit`. */
export const BUDGET_METRIC = "workflow_cost_budget_used_ratio";

/** Checks budgets; a TypeError names the budget and the field. */
export function checkBudgets(budgets: readonly CostBudget[], where = "alerts.budgets"): CostBudget[] {
  return budgets.map((b, i) => {
    const at = `${where}[${i}]`;
    if (typeof b !== "object" || b === null) throw new TypeError(`${at}: expected a budget object`);
    if (typeof b.workflow !== "string" || b.workflow === "")
      throw new TypeError(`${at}.workflow: expected a workflow name`);
    if (!COST_UNITS.includes(b.unit))
      throw new TypeError(
        `${at}.unit: expected one of ${COST_UNITS.join(", ")}, got ${JSON.stringify(b.unit)}`,
      );
    if (typeof b.limit !== "number" || !(b.limit > 0) || !Number.isFinite(b.limit))
      throw new TypeError(`${at}.limit: expected a positive number, got ${JSON.stringify(b.limit)}`);
    if (!Number.isSafeInteger(b.periodMs) || b.periodMs <= 0)
      throw new TypeError(`${at}.period: expected a positive duration, got ${JSON.stringify(b.periodMs)}`);
    const alertAt = b.alertAt ?? 0.8;
    if (typeof alertAt !== "number" || !(alertAt > 0 && alertAt <= 1))
      throw new TypeError(`${at}.alertAt: expected a fraction in (0, 1], got ${JSON.stringify(b.alertAt)}`);
    return { ...b, alertAt, severity: b.severity ?? "high" };
  });
}

/** One rule per budget: `cost_budget:<workflow>:<unit>` fires when used / limit > alertAt. */
export function budgetRules(budgets: readonly CostBudget[]): AlertRule[] {
  const names = new Set<string>();
  return checkBudgets(budgets).map((b, i) => {
    let name = `cost_budget:${b.workflow.replace(/[^A-Za-z0-9_.-]/g, "_")}:${b.unit}`;
    if (names.has(name)) name = `${name}:${i}`;
    names.add(name);
    const percent = Math.round(b.alertAt! * 100);
    return {
      name,
      metric: BUDGET_METRIC,
      labels: { workflow: b.workflow, unit: b.unit },
      above: b.alertAt!,
      severity: b.severity!,
      windowMs: b.periodMs,
      description: `Workflow '${b.workflow}' used more than ${percent}% of its ${b.unit} budget (${b.limit} per ${formatPeriod(b.periodMs)})`,
    };
  });
}

function formatPeriod(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "m"],
    [1000, "s"],
  ];
  for (const [size, suffix] of units) if (ms % size === 0) return `${ms / size}${suffix}`;
  return `${ms}ms`;
}

/**
 * A reader that answers {@link BUDGET_METRIC} from `costs` (one sample per budget matching the
 * query's labels) and passes every other metric to `next`. Budgets of one workflow and unit over
 * different periods (a daily and a weekly one) share their labels: a query whose window is one of
 * their periods (as each budget's own rule asks) reads only the budgets of that period.
 */
export function budgetReader(
  budgets: readonly CostBudget[],
  costs: CostReader,
  next?: MetricReader,
): MetricReader {
  const checked = checkBudgets(budgets);
  return async (query) => {
    if (query.metric !== BUDGET_METRIC) return next ? next(query) : [];
    const out: MetricSample[] = [];
    const matching = checked.filter((b) => {
      const labels = { workflow: b.workflow, unit: b.unit };
      return Object.entries(query.labels).every(([k, v]) => labels[k as keyof typeof labels] === v);
    });
    const ofWindow = matching.filter((b) => b.periodMs === query.windowMs);
    for (const b of ofWindow.length > 0 ? ofWindow : matching) {
      const labels = { workflow: b.workflow, unit: b.unit };
      const used = await costs({
        workflow: b.workflow,
        unit: b.unit,
        from: query.now - b.periodMs,
        to: query.now,
      });
      out.push({ labels, value: used / b.limit });
    }
    return out;
  };
}
