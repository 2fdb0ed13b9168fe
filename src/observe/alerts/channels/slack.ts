/** Slack incoming webhook: `{ text, blocks }` (the text is the fallback of notifications). */
import { bodyOf, subjectOf } from "../format.js";
import type { AlertChannel, AlertNotification } from "../types.js";
import { postJson } from "./http.js";

export interface SlackChannelOptions {
  /** `https://hooks.slack.com/services/...` (a secret). */
  webhookUrl: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default "slack" */
  name?: string;
}

/** The JSON posted to the webhook. */
export function slackPayload(n: AlertNotification): { text: string; blocks: unknown[] } {
  const subject = subjectOf(n);
  return {
    text: subject,
    blocks: [
      { type: "header", text: { type: "plain_text", text: subject.slice(0, 150) } },
      { type: "section", text: { type: "mrkdwn", text: bodyOf(n).slice(0, 3000) } },
    ],
  };
}

export function slackChannel(options: SlackChannelOptions): AlertChannel {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  return {
    name: options.name ?? "slack",
    async send(n, signal) {
      await postJson(options.webhookUrl, slackPayload(n), {
        fetch: fetchImpl,
        what: "Slack webhook",
        ...(signal ? { signal } : {}),
      });
    },
  };
}
