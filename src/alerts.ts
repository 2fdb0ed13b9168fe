/**
 * `stageflow/alerts`: alert rules, channels (Slack, e-mail, PagerDuty, webhook, GitHub issue),
 * escalation, silences and cost budgets — what a host wires to raise alerts, and what the CLI's
 * `alert` command uses.
 */
export * from "./observe/alerts/index.js";
