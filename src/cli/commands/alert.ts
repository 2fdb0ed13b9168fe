import type { Command } from "commander";
import type { ALERT_ENV as AlertEnv, AlertChannelsConfig } from "../../observe/index.js";
import { systemClock } from "../../index.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { writeJson, writeText } from "../output.js";
import { rootLogger } from "../root.js";
import { type CommonOptions, withCommonOptions } from "./options.js";

const CHANNELS = ["slack", "email", "pagerduty", "webhook", "github"] as const;
type ChannelName = (typeof CHANNELS)[number];

/** What to set to configure each channel (named in the error when it is not configured). */
function howTo(env: typeof AlertEnv): Record<ChannelName, string> {
  return {
    slack: env.slack.webhookUrl,
    email: `${env.email.url}, ${env.email.from} and ${env.email.to}`,
    pagerduty: env.pagerduty.routingKey,
    webhook: env.webhook.url,
    github: `${env.github.repo} and ${env.github.token} (or GITHUB_TOKEN)`,
  };
}

interface AlertTestOptions extends CommonOptions {
  retry?: boolean;
}

export function registerAlert(program: Command, ctx: CommandContext): void {
  const alert = program.command("alert").description("alert channels (see docs/operations.md)");
  const test = alert
    .command("test")
    .argument("<channel>", CHANNELS.join(" | "))
    .description("send a test alert through one configured channel; exit 0 when it was delivered")
    .option("--retry", "retry a failure the way alerts are retried (network errors, 429, 5xx)");
  withCommonOptions(test).action(async (channel: string, opts: AlertTestOptions) => {
    const config = ctx.config(opts);
    // Loaded here, not at start-up: the channels bring nodemailer and Octokit.
    const {
      ALERT_ENV,
      AlertConfigError,
      AlertDispatcher,
      createAlertChannels,
      loadAlertsConfig,
      testNotification,
    } = await import("../../observe/index.js");
    if (!CHANNELS.includes(channel as ChannelName))
      throw new AlertConfigError([`unknown channel '${channel}' (expected ${CHANNELS.join(", ")})`]);
    const name = channel as ChannelName;
    const alerts = loadAlertsConfig({
      ...(config.alerts ? { file: { name: config.alerts.file, value: config.alerts.value } } : {}),
      env: ctx.io.env,
    });
    if (!alerts.channels[name as keyof AlertChannelsConfig])
      throw new AlertConfigError([
        `channel '${name}' is not configured: set ${howTo(ALERT_ENV)[name]}, or alerts.channels.${name} in the configuration file`,
      ]);
    const only: AlertChannelsConfig = { [name]: alerts.channels[name] };
    const dispatcher = new AlertDispatcher({
      channels: createAlertChannels(only),
      clock: systemClock,
      secrets: alerts.secrets,
      logger: rootLogger(config, ctx.io),
      // One attempt unless --retry: the point is to see whether the channel works.
      ...(opts.retry ? {} : { patterns: [] }),
    });
    const [result] = await dispatcher.deliver(testNotification(Date.now()), [name]);
    const ok = result?.ok === true;
    if (config.values.json) writeJson(ctx.io, { channel: name, ...result });
    else
      writeText(
        ctx.io,
        ok
          ? `test alert sent through ${name} (${result!.attempts} attempt${result!.attempts === 1 ? "" : "s"})`
          : `test alert through ${name} failed: ${result?.error ?? "not delivered"}`,
      );
    ctx.exitCode = ok ? EXIT.ok : EXIT.failed;
  });
}
