/**
 * Alert configuration: the `alerts:` section of the configuration file and STAGEFLOW_* variables
 * (a variable wins over the file, field by field). Every problem is reported at once, each naming
 * the file's field (`stageflow.config.yaml: alerts.channels.email.to`) or the variable.
 * docs/configuration.md, "Alerts", is the reference.
 */
import { InputError, parseDuration } from "../../engine/index.js";
import type { RepoRef } from "../../github/index.js";
import { type CostBudget, checkBudgets } from "./budgets.js";
import { checkEscalation, type EscalationPolicy } from "./escalation.js";
import { checkRules, DEFAULT_RULES } from "./rules.js";
import type { AlertRule } from "./types.js";

export interface AlertChannelsConfig {
  slack?: { webhookUrl: string };
  email?: { url: string; user?: string; password?: string; from: string; to: string[] };
  pagerduty?: { routingKey: string; url?: string };
  webhook?: { url: string; headers?: Record<string, string> };
  github?: { repo: RepoRef; token?: string; apiUrl?: string; label?: string };
}

export interface AlertsConfig {
  channels: AlertChannelsConfig;
  /** The built-in rules (unless `defaultRules: false`), then the file's; a file rule with a built-in's name replaces it. */
  rules: readonly AlertRule[];
  escalation: EscalationPolicy;
  budgets: CostBudget[];
  /** Every secret value configured (to mask wherever anything is logged or shown). */
  secrets: string[];
}

/** The variables read, by channel. */
export const ALERT_ENV = {
  slack: { webhookUrl: "STAGEFLOW_SLACK_WEBHOOK_URL" },
  email: {
    url: "STAGEFLOW_SMTP_URL",
    user: "STAGEFLOW_SMTP_USER",
    password: "STAGEFLOW_SMTP_PASSWORD",
    from: "STAGEFLOW_ALERT_EMAIL_FROM",
    to: "STAGEFLOW_ALERT_EMAIL_TO",
  },
  pagerduty: { routingKey: "STAGEFLOW_PAGERDUTY_ROUTING_KEY" },
  webhook: { url: "STAGEFLOW_ALERT_WEBHOOK_URL", authorization: "STAGEFLOW_ALERT_WEBHOOK_AUTHORIZATION" },
  github: {
    repo: "STAGEFLOW_ALERT_GITHUB_REPO",
    token: "STAGEFLOW_ALERT_GITHUB_TOKEN",
    apiUrl: "STAGEFLOW_ALERT_GITHUB_API_URL",
  },
} as const;

/** Bad alert configuration; `issues` lists every problem, each naming its field or variable. */
export class AlertConfigError extends InputError {
  constructor(problems: readonly string[]) {
    super("invalid_input", problems.join("\n"), problems);
    this.name = "AlertConfigError";
  }
}

type Raw = Record<string, unknown>;
type Env = Readonly<Record<string, string | undefined>>;

const CHANNEL_KEYS: Record<keyof AlertChannelsConfig, readonly string[]> = {
  slack: ["webhookUrl"],
  email: ["url", "user", "password", "from", "to"],
  pagerduty: ["routingKey", "url"],
  webhook: ["url", "headers"],
  github: ["repo", "token", "apiUrl", "label"],
};
const TOP_KEYS = ["channels", "rules", "defaultRules", "escalation", "budgets"];
const RULE_KEYS = [
  "name",
  "metric",
  "labels",
  "above",
  "below",
  "severity",
  "window",
  "for",
  "groupBy",
  "description",
];
const BUDGET_KEYS = ["workflow", "unit", "limit", "period", "alertAt", "severity"];

/**
 * Reads the configuration. `file` is the `alerts` value of the configuration file (undefined when
 * absent) and its name for messages; `env` the process's environment. Throws AlertConfigError.
 */
export function loadAlertsConfig(opts: { file?: { name: string; value: unknown }; env: Env }): AlertsConfig {
  const problems: string[] = [];
  const fileName = opts.file?.name ?? "configuration file";
  const at = (path: string) => `${fileName}: alerts.${path}`;
  const raw = opts.file?.value ?? {};
  if (!isObject(raw)) throw new AlertConfigError([`${fileName}: alerts: expected a mapping`]);
  unknownKeys(raw, TOP_KEYS, at(""), problems);
  const fileChannels = raw.channels ?? {};
  if (!isObject(fileChannels)) problems.push(`${at("channels")}: expected a mapping of channel names`);
  const chans = isObject(fileChannels) ? fileChannels : {};
  for (const name of Object.keys(chans))
    if (!(name in CHANNEL_KEYS))
      problems.push(
        `${at(`channels.${name}`)}: unknown channel (known: ${Object.keys(CHANNEL_KEYS).join(", ")})`,
      );

  // Each field: the variable when set (non-empty), else the file's value; the label says which.
  const field = (channel: keyof AlertChannelsConfig, key: string, variable?: string) => {
    const fromEnv = variable ? opts.env[variable] : undefined;
    if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv as unknown, label: variable! };
    const section = chans[channel];
    const value = isObject(section) ? section[key] : undefined;
    const label = at(`channels.${channel}.${key}`);
    // Nothing set: name both places it can be set.
    return { value, label: value === undefined && variable ? `${variable} (or ${label})` : label };
  };
  const sectionOf = (channel: keyof AlertChannelsConfig) => {
    const section = chans[channel];
    if (section === undefined || section === null) return undefined;
    if (!isObject(section)) {
      problems.push(`${at(`channels.${channel}`)}: expected a mapping`);
      return undefined;
    }
    unknownKeys(section, CHANNEL_KEYS[channel], at(`channels.${channel}.`), problems);
    return section;
  };
  const str = (f: { value: unknown; label: string }, required: boolean): string | undefined => {
    if (f.value === undefined || f.value === null || f.value === "") {
      if (required) problems.push(`${f.label}: required`);
      return undefined;
    }
    if (typeof f.value !== "string") {
      problems.push(`${f.label}: expected a string, got ${JSON.stringify(f.value)}`);
      return undefined;
    }
    return f.value;
  };
  const url = (f: { value: unknown; label: string }, protocols: string[], required = true) => {
    const text = str(f, required);
    if (text === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      // Never echo the value: it may hold a token or a password.
      problems.push(`${f.label}: not a valid URL (expected ${protocols.join(" or ")}//...)`);
      return undefined;
    }
    if (!protocols.includes(parsed.protocol)) {
      problems.push(`${f.label}: expected a ${protocols.join(" or ")}// URL, got a ${parsed.protocol}// one`);
      return undefined;
    }
    return text;
  };
  const present = (channel: keyof AlertChannelsConfig, variables: readonly string[]) =>
    sectionOf(channel) !== undefined ||
    variables.some((v) => opts.env[v] !== undefined && opts.env[v] !== "");

  const channels: AlertChannelsConfig = {};
  const secrets: string[] = [];

  if (present("slack", Object.values(ALERT_ENV.slack))) {
    const webhookUrl = url(field("slack", "webhookUrl", ALERT_ENV.slack.webhookUrl), ["https:", "http:"]);
    if (webhookUrl) {
      channels.slack = { webhookUrl };
      secrets.push(webhookUrl);
    }
  }

  if (present("email", Object.values(ALERT_ENV.email))) {
    const e = ALERT_ENV.email;
    const smtp = url(field("email", "url", e.url), ["smtp:", "smtps:"]);
    const user = str(field("email", "user", e.user), false);
    const password = str(field("email", "password", e.password), false);
    const from = str(field("email", "from", e.from), true);
    const toField = field("email", "to", e.to);
    const to = addresses(toField, problems);
    if (from !== undefined && !EMAIL.test(from))
      problems.push(`${field("email", "from", e.from).label}: expected an e-mail address`);
    if (smtp && from && to) {
      channels.email = { url: smtp, from, to, ...(user ? { user } : {}), ...(password ? { password } : {}) };
      const u = new URL(smtp);
      if (u.password) secrets.push(decodeURIComponent(u.password), smtp);
      if (password) secrets.push(password);
    }
  }

  if (present("pagerduty", Object.values(ALERT_ENV.pagerduty))) {
    const routingKey = str(field("pagerduty", "routingKey", ALERT_ENV.pagerduty.routingKey), true);
    const pdUrl = url(field("pagerduty", "url"), ["https:", "http:"], false);
    if (routingKey !== undefined && !/^[A-Za-z0-9]{32}$/.test(routingKey))
      problems.push(
        `${field("pagerduty", "routingKey", ALERT_ENV.pagerduty.routingKey).label}: expected a 32-character integration key`,
      );
    else if (routingKey) {
      channels.pagerduty = { routingKey, ...(pdUrl ? { url: pdUrl } : {}) };
      secrets.push(routingKey);
    }
  }

  if (present("webhook", [ALERT_ENV.webhook.url])) {
    const hookUrl = url(field("webhook", "url", ALERT_ENV.webhook.url), ["https:", "http:"]);
    const headers = stringMap(field("webhook", "headers"), problems);
    const authorization = opts.env[ALERT_ENV.webhook.authorization];
    if (hookUrl) {
      const all = { ...headers, ...(authorization ? { authorization } : {}) };
      channels.webhook = { url: hookUrl, ...(Object.keys(all).length ? { headers: all } : {}) };
      secrets.push(hookUrl, ...Object.values(all));
    }
  }

  if (present("github", [ALERT_ENV.github.repo])) {
    const g = ALERT_ENV.github;
    const repoField = field("github", "repo", g.repo);
    const repoText = str(repoField, true);
    const token = str(field("github", "token", g.token), false) ?? (opts.env.GITHUB_TOKEN || undefined);
    const apiUrl = url(field("github", "apiUrl", g.apiUrl), ["https:", "http:"], false);
    const label = str(field("github", "label"), false);
    const m = repoText === undefined ? null : /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(repoText);
    if (repoText !== undefined && !m)
      problems.push(`${repoField.label}: expected OWNER/NAME, got ${JSON.stringify(repoText)}`);
    if (m) {
      channels.github = {
        repo: { owner: m[1]!, repo: m[2]! },
        ...(token ? { token } : {}),
        ...(apiUrl ? { apiUrl } : {}),
        ...(label ? { label } : {}),
      };
      if (token) secrets.push(token);
    }
  }

  let rules: readonly AlertRule[] = [];
  let escalation: EscalationPolicy | undefined;
  let budgets: CostBudget[] = [];
  const fileRules = readRules(raw.rules, at, problems);
  const useDefaults = raw.defaultRules ?? true;
  if (typeof useDefaults !== "boolean") problems.push(`${at("defaultRules")}: expected true or false`);
  const names = new Set(fileRules.map((r) => r.name));
  const merged = [
    ...(useDefaults === false ? [] : DEFAULT_RULES.filter((r) => !names.has(r.name))),
    ...fileRules,
  ];
  try {
    rules = checkRules(merged, `${fileName}: alerts.rules`);
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (raw.escalation !== undefined && !isObject(raw.escalation))
    problems.push(`${at("escalation")}: expected a mapping of severities to tiers`);
  else {
    try {
      escalation = checkEscalation(readEscalation(raw.escalation ?? {}), `${fileName}: alerts.escalation`);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  try {
    budgets = checkBudgets(readBudgets(raw.budgets, at, problems), `${fileName}: alerts.budgets`);
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (problems.length > 0) throw new AlertConfigError(problems);
  return { channels, rules, escalation: escalation!, budgets, secrets: [...new Set(secrets)] };
}

const EMAIL = /^[^\s@<>,]+@[^\s@<>,]+$/;

function addresses(f: { value: unknown; label: string }, problems: string[]): string[] | undefined {
  const list =
    typeof f.value === "string"
      ? f.value
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : Array.isArray(f.value)
        ? f.value
        : undefined;
  if (f.value === undefined || f.value === "" || (list && list.length === 0)) {
    problems.push(`${f.label}: required (one or more addresses, comma-separated)`);
    return undefined;
  }
  if (!list || list.some((a) => typeof a !== "string" || !EMAIL.test(a))) {
    problems.push(`${f.label}: expected e-mail addresses, got ${JSON.stringify(f.value)}`);
    return undefined;
  }
  return list as string[];
}

function stringMap(f: { value: unknown; label: string }, problems: string[]): Record<string, string> {
  if (f.value === undefined) return {};
  if (!isObject(f.value) || Object.values(f.value).some((v) => typeof v !== "string")) {
    problems.push(`${f.label}: expected a mapping of header names to strings`);
    return {};
  }
  return f.value as Record<string, string>;
}

function duration(value: unknown, label: string, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined)
    problems.push(
      `${label}: expected a duration such as '5m' or a number of ms, got ${JSON.stringify(value)}`,
    );
  return ms;
}

function readRules(value: unknown, at: (p: string) => string, problems: string[]): AlertRule[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(`${at("rules")}: expected a list of rules`);
    return [];
  }
  return value.map((r: unknown, i) => {
    if (!isObject(r)) return r as AlertRule; // checkRules names it
    unknownKeys(r, RULE_KEYS, at(`rules[${i}].`), problems);
    const { window, for: forValue, ...rest } = r;
    const windowMs = duration(window, at(`rules[${i}].window`), problems);
    const forMs = duration(forValue, at(`rules[${i}].for`), problems);
    return { ...rest, windowMs, ...(forMs !== undefined ? { forMs } : {}) } as unknown as AlertRule;
  });
}

function readEscalation(value: Raw): Raw {
  const out: Raw = {};
  for (const [severity, tiers] of Object.entries(value)) {
    out[severity] = Array.isArray(tiers)
      ? tiers.map((t: unknown) =>
          isObject(t) && "after" in t
            ? { channels: t.channels, afterMs: parseDuration(t.after) ?? t.after }
            : t,
        )
      : tiers;
  }
  return out;
}

function readBudgets(value: unknown, at: (p: string) => string, problems: string[]): CostBudget[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(`${at("budgets")}: expected a list of budgets`);
    return [];
  }
  return value.map((b: unknown, i) => {
    if (!isObject(b)) return b as CostBudget;
    unknownKeys(b, BUDGET_KEYS, at(`budgets[${i}].`), problems);
    const { period, ...rest } = b;
    return {
      ...rest,
      periodMs: duration(period, at(`budgets[${i}].period`), problems),
    } as unknown as CostBudget;
  });
}

function unknownKeys(value: Raw, known: readonly string[], prefix: string, problems: string[]): void {
  for (const key of Object.keys(value))
    if (!known.includes(key)) problems.push(`${prefix}${key}: unknown key (known: ${known.join(", ")})`);
}

function isObject(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
