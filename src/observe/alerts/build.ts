/**
 * Wiring: channels from the configuration, the dispatcher, and the manager with the configured
 * rules and budgets. Hosts (the app, the CLI) call these from their composition roots.
 */
import {
  type Clock,
  type Logger,
  maskingLogger,
  nullLogger,
  type Random,
  SecretMasker,
} from "../../engine/index.js";
import type { GitHubClient } from "../../github/index.js";
import { budgetReader, budgetRules, type CostReader } from "./budgets.js";
import {
  emailChannel,
  gitHubIssueChannel,
  pagerDutyChannel,
  slackChannel,
  webhookChannel,
} from "./channels/index.js";
import { ALERT_ENV, type AlertChannelsConfig, AlertConfigError, type AlertsConfig } from "./config.js";
import { AlertDispatcher } from "./dispatch.js";
import { AlertManager } from "./manager.js";
import type { AlertChannel, MetricReader } from "./types.js";

export interface AlertChannelDeps {
  /** The fetch of the HTTP channels and of the GitHub client built here. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** A GitHub client for the issue channel (the app's installation client); else one is built from the token. */
  github?: GitHubClient;
}

/** One channel per configured section, named `slack`, `email`, `pagerduty`, `webhook`, `github`. */
export function createAlertChannels(
  config: AlertChannelsConfig,
  deps: AlertChannelDeps = {},
): AlertChannel[] {
  const fetchOpt = deps.fetch ? { fetch: deps.fetch } : {};
  const out: AlertChannel[] = [];
  if (config.slack) out.push(slackChannel({ webhookUrl: config.slack.webhookUrl, ...fetchOpt }));
  if (config.email) out.push(emailChannel(config.email));
  if (config.pagerduty) out.push(pagerDutyChannel({ ...config.pagerduty, ...fetchOpt }));
  if (config.webhook) out.push(webhookChannel({ ...config.webhook, ...fetchOpt }));
  if (config.github) {
    const { repo, token, apiUrl, label } = config.github;
    if (!deps.github && !token)
      throw new AlertConfigError([
        `${ALERT_ENV.github.token}: required for the github channel (or GITHUB_TOKEN, or alerts.channels.github.token)`,
      ]);
    const client =
      deps.github ?? lazyOctokit({ auth: token!, ...(apiUrl ? { baseUrl: apiUrl } : {}), ...fetchOpt });
    out.push(gitHubIssueChannel({ client, repo, ...(label ? { label } : {}) }));
  }
  return out;
}

export interface CreateAlertingOptions extends AlertChannelDeps {
  config: AlertsConfig;
  /** Reads metric values (prom-client, the journal, a test's numbers). */
  read: MetricReader;
  /** Cost figures for the configured budgets (required when there are budgets). */
  costs?: CostReader;
  clock: Clock;
  random?: Random;
  logger?: Logger;
  /** Extra channels (or replacements by name), e.g. for tests. */
  channels?: readonly AlertChannel[];
  /**
   * Aborts every delivery (retries' waits end, no attempt starts). The stopper `manager.start()`
   * returns aborts the deliveries of its schedule without it.
   */
  signal?: AbortSignal;
}

/** The configured channels, dispatcher and manager (rules + budget rules). */
export function createAlerting(options: CreateAlertingOptions): {
  manager: AlertManager;
  dispatcher: AlertDispatcher;
} {
  const { config } = options;
  const logger = maskingLogger(options.logger ?? nullLogger, new SecretMasker(config.secrets));
  const built = createAlertChannels(config.channels, options);
  const extra = options.channels ?? [];
  const names = new Set(extra.map((c) => c.name));
  const dispatcher = new AlertDispatcher({
    channels: [...built.filter((c) => !names.has(c.name)), ...extra],
    clock: options.clock,
    secrets: config.secrets,
    logger,
    ...(options.random ? { random: options.random } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (config.budgets.length > 0 && !options.costs)
    throw new TypeError("createAlerting: alerts.budgets are configured but no `costs` reader was given");
  const read =
    config.budgets.length > 0 ? budgetReader(config.budgets, options.costs!, options.read) : options.read;
  const manager = new AlertManager({
    rules: [...config.rules, ...budgetRules(config.budgets)],
    read,
    clock: options.clock,
    sink: dispatcher,
    escalation: config.escalation,
    logger,
  });
  return { manager, dispatcher };
}

/** An Octokit built (and @octokit/rest loaded) on the first request, not when the host starts. */
function lazyOctokit(options: { auth: string; baseUrl?: string; fetch?: typeof fetch }): GitHubClient {
  let client: Promise<GitHubClient> | undefined;
  const request = async (...args: Parameters<GitHubClient["request"]>) => {
    client ??= import("../../github/octokit.js").then(({ createOctokit }) => createOctokit(options));
    return (await client).request(...args);
  };
  return { request: request as unknown as GitHubClient["request"] };
}
