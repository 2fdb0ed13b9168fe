import { describe, expect, it } from "vitest";
import {
  AlertConfigError,
  DEFAULT_ESCALATION,
  DEFAULT_RULES,
  loadAlertsConfig,
} from "../../../src/observe/alerts/index.js";

const KEY = "0123456789abcdef0123456789abcdef";
const file = (value: unknown) => ({ name: "stageflow.config.yaml", value });

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AlertConfigError);
    return [...(e as AlertConfigError).issues];
  }
  throw new Error("expected an AlertConfigError");
}

describe("loadAlertsConfig", () => {
  it("has no channels, the built-in rules and escalation when nothing is configured", () => {
    const config = loadAlertsConfig({ env: {} });
    expect(config.channels).toEqual({});
    expect(config.rules.map((r) => r.name)).toEqual(DEFAULT_RULES.map((r) => r.name));
    expect(config.escalation).toEqual(DEFAULT_ESCALATION);
    expect(config.budgets).toEqual([]);
  });

  it("reads every channel from the environment", () => {
    const config = loadAlertsConfig({
      env: {
        STAGEFLOW_SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/abcdef",
        STAGEFLOW_SMTP_URL: "smtp://mail.example.com:587",
        STAGEFLOW_SMTP_USER: "alerts",
        STAGEFLOW_SMTP_PASSWORD: "pa55word",
        STAGEFLOW_ALERT_EMAIL_FROM: "alerts@example.com",
        STAGEFLOW_ALERT_EMAIL_TO: "team@example.com, oncall@example.com",
        STAGEFLOW_PAGERDUTY_ROUTING_KEY: KEY,
        STAGEFLOW_ALERT_WEBHOOK_URL: "https://hooks.example.com/stageflow",
        STAGEFLOW_ALERT_WEBHOOK_AUTHORIZATION: "Bearer hooktoken",
        STAGEFLOW_ALERT_GITHUB_REPO: "acme/ops",
        GITHUB_TOKEN: "ghs_fallbacktoken",
      },
    });
    expect(config.channels).toEqual({
      slack: { webhookUrl: "https://hooks.slack.com/services/T/B/abcdef" },
      email: {
        url: "smtp://mail.example.com:587",
        user: "alerts",
        password: "pa55word",
        from: "alerts@example.com",
        to: ["team@example.com", "oncall@example.com"],
      },
      pagerduty: { routingKey: KEY },
      webhook: { url: "https://hooks.example.com/stageflow", headers: { authorization: "Bearer hooktoken" } },
      github: { repo: { owner: "acme", repo: "ops" }, token: "ghs_fallbacktoken" },
    });
    expect(config.secrets).toEqual(
      expect.arrayContaining([
        "https://hooks.slack.com/services/T/B/abcdef",
        "pa55word",
        KEY,
        "https://hooks.example.com/stageflow",
        "Bearer hooktoken",
        "ghs_fallbacktoken",
      ]),
    );
  });

  it("takes the file's values, a variable winning field by field; durations in words", () => {
    const config = loadAlertsConfig({
      file: file({
        channels: {
          email: {
            url: "smtp://user:filepass@mail.example.com:25",
            from: "a@example.com",
            to: ["b@example.com"],
          },
        },
        rules: [
          {
            name: "memory_usage",
            metric: "process_memory_mb",
            above: 1024,
            severity: "high",
            window: "10m",
            for: "2m",
            description: "Memory above 1 GiB",
          },
        ],
        escalation: {
          critical: [{ channels: ["pagerduty"] }, { after: "5m", channels: ["email", "slack"] }],
        },
        budgets: [{ workflow: "release", unit: "github_api_calls", limit: 5000, period: "1d" }],
      }),
      env: { STAGEFLOW_ALERT_EMAIL_TO: "ops@example.com" },
    });
    expect(config.channels.email).toEqual({
      url: "smtp://user:filepass@mail.example.com:25",
      from: "a@example.com",
      to: ["ops@example.com"],
    });
    expect(config.secrets).toContain("filepass");
    expect(config.rules.find((r) => r.name === "memory_usage")).toMatchObject({
      above: 1024,
      windowMs: 600_000,
      forMs: 120_000,
    });
    expect(config.rules).toHaveLength(DEFAULT_RULES.length);
    expect(config.escalation.critical).toEqual([
      { afterMs: 0, channels: ["pagerduty"] },
      { afterMs: 300_000, channels: ["email", "slack"] },
    ]);
    expect(config.budgets).toEqual([
      {
        workflow: "release",
        unit: "github_api_calls",
        limit: 5000,
        periodMs: 86_400_000,
        alertAt: 0.8,
        severity: "high",
      },
    ]);
  });

  it("names the variable or the file's field of each problem, never echoing a secret", () => {
    expect(
      problems(() =>
        loadAlertsConfig({
          env: {
            STAGEFLOW_SMTP_URL: "http://mail.example.com",
            STAGEFLOW_ALERT_EMAIL_TO: "not-an-address",
            STAGEFLOW_PAGERDUTY_ROUTING_KEY: "short-secret",
            STAGEFLOW_SLACK_WEBHOOK_URL: "not a url with secret",
            STAGEFLOW_ALERT_GITHUB_REPO: "just-a-name",
          },
        }),
      ),
    ).toEqual([
      "STAGEFLOW_SLACK_WEBHOOK_URL: not a valid URL (expected https: or http://...)",
      "STAGEFLOW_SMTP_URL: expected a smtp: or smtps:// URL, got a http:// one",
      "STAGEFLOW_ALERT_EMAIL_FROM (or configuration file: alerts.channels.email.from): required",
      'STAGEFLOW_ALERT_EMAIL_TO: expected e-mail addresses, got "not-an-address"',
      "STAGEFLOW_PAGERDUTY_ROUTING_KEY: expected a 32-character integration key",
      'STAGEFLOW_ALERT_GITHUB_REPO: expected OWNER/NAME, got "just-a-name"',
    ]);
  });

  it("rejects unknown keys, bad rules and bad budgets naming the file and field", () => {
    const found = problems(() =>
      loadAlertsConfig({
        file: file({
          chanels: {},
          channels: { teams: {}, slack: { webhook: "x" } },
          rules: [{ name: "x", metric: "m", above: 1, severity: "urgent", window: "5m", description: "d" }],
          budgets: [{ workflow: "w", unit: "dollars", limit: 1, period: "1d" }],
        }),
        env: {},
      }),
    );
    expect(found).toEqual([
      "stageflow.config.yaml: alerts.chanels: unknown key (known: channels, rules, defaultRules, escalation, budgets)",
      "stageflow.config.yaml: alerts.channels.teams: unknown channel (known: slack, email, pagerduty, webhook, github)",
      "stageflow.config.yaml: alerts.channels.slack.webhook: unknown key (known: webhookUrl)",
      "STAGEFLOW_SLACK_WEBHOOK_URL (or stageflow.config.yaml: alerts.channels.slack.webhookUrl): required",
      'stageflow.config.yaml: alerts.rules[4] (x).severity: expected one of critical, high, medium, low, got "urgent"',
      'stageflow.config.yaml: alerts.budgets[0].unit: expected one of github_api_calls, runner_minutes, http_calls, got "dollars"',
    ]);
  });
});
