export {
  checkBudgetSettings,
  RetryBudget,
  type RetryBudgetOptions,
  type RetryBudgetSettings,
  type RetryBudgetUsage,
} from "./budget.js";
export { RetryBudgets } from "./budgets.js";
export {
  type CompiledPattern,
  classify,
  compilePatterns,
  errorText,
  guessType,
  rateLimitExhausted,
} from "./classify.js";
export { DEFAULT_PATTERNS, DEFAULT_WORKFLOW_PRIORITY, mergePatterns } from "./defaults.js";
export { compileMatch, type Matcher, matchError } from "./match.js";
export { patternRetrySpec } from "./pattern-retry.js";
export { retryAfterMs } from "./retry-after.js";
export {
  RECOVERY_SUCCESS_TARGET,
  type RecoveryStats,
  type RecoveryStatsRow,
  recoveryStats,
} from "./stats.js";
export * from "./types.js";
