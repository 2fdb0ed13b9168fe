/** Alerts: rules over metrics, grouping, silences, escalation, channels, budgets. */
export * from "./types.js";
export { breaches, checkRules, conditionOf, DEFAULT_RULES, labelKey } from "./rules.js";
export {
  checkEscalation,
  DEFAULT_ESCALATION,
  type EscalationPolicy,
  type EscalationTier,
} from "./escalation.js";
export { type Silence, Silences, type StoredSilence } from "./silences.js";
export {
  type AlertGroupView,
  AlertManager,
  type AlertManagerOptions,
  type DeliveryResult,
  type NotificationSink,
  type SentNotification,
} from "./manager.js";
export {
  ALERT_RETRY_WITHIN_MS,
  AlertDispatcher,
  type AlertDispatcherOptions,
  CHANNEL_RETRY,
} from "./dispatch.js";
export { bodyOf, subjectOf, testNotification } from "./format.js";
export * from "./channels/index.js";
export {
  BUDGET_METRIC,
  budgetReader,
  budgetRules,
  checkBudgets,
  COST_UNITS,
  type CostBudget,
  type CostReader,
  type CostUnit,
} from "./budgets.js";
export {
  ALERT_ENV,
  type AlertChannelsConfig,
  AlertConfigError,
  type AlertsConfig,
  loadAlertsConfig,
} from "./config.js";
export {
  type AlertChannelDeps,
  createAlertChannels,
  createAlerting,
  type CreateAlertingOptions,
} from "./build.js";
