/**
 * The retry budgets of a process: one per dependency, created on first use with shared settings
 * (validated once, up front).
 */
import { checkName } from "../policies/validate.js";
import { checkBudgetSettings, RetryBudget, type RetryBudgetOptions } from "./budget.js";

/** One RetryBudget per dependency (e.g. `api.github.com`), created on first use. */
export class RetryBudgets {
  private readonly budgets = new Map<string, RetryBudget>();

  constructor(private readonly options: RetryBudgetOptions) {
    checkBudgetSettings(options);
  }

  get(dependency: string): RetryBudget {
    const name = checkName("dependency", dependency);
    let budget = this.budgets.get(name);
    if (!budget) {
      budget = new RetryBudget(this.options);
      this.budgets.set(name, budget);
    }
    return budget;
  }

  /** The dependencies that have a budget, in creation order. */
  dependencies(): string[] {
    return [...this.budgets.keys()];
  }
}
