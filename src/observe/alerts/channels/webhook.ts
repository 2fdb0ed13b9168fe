/** A generic webhook: the notification as JSON, with `subject` and `text` for simple receivers. */
import { bodyOf, subjectOf } from "../format.js";
import type { AlertChannel, AlertNotification } from "../types.js";
import { postJson } from "./http.js";

export interface WebhookChannelOptions {
  /** The receiver's URL (a secret: it often carries a token). */
  url: string;
  /** Extra headers, e.g. `authorization` (values are secrets). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** @default "webhook" */
  name?: string;
}

/** Version of the JSON shape below; bumped on an incompatible change. */
export const WEBHOOK_PAYLOAD_VERSION = 1;

export function webhookPayload(n: AlertNotification) {
  return {
    version: WEBHOOK_PAYLOAD_VERSION,
    source: "stageflow",
    subject: subjectOf(n),
    text: bodyOf(n),
    status: n.status,
    groupKey: n.groupKey,
    rule: n.rule,
    metric: n.metric,
    severity: n.severity,
    description: n.description,
    condition: n.condition,
    labels: n.labels,
    alerts: n.alerts.map((a) => ({
      labels: a.labels,
      value: a.value,
      activeAt: new Date(a.activeAt).toISOString(),
    })),
    startsAt: new Date(n.startsAt).toISOString(),
    endsAt: n.endsAt === undefined ? null : new Date(n.endsAt).toISOString(),
    tier: n.tier,
    sequence: n.sequence,
  };
}

export function webhookChannel(options: WebhookChannelOptions): AlertChannel {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  return {
    name: options.name ?? "webhook",
    async send(n, signal) {
      await postJson(options.url, webhookPayload(n), {
        fetch: fetchImpl,
        what: "alert webhook",
        ...(options.headers ? { headers: options.headers } : {}),
        ...(signal ? { signal } : {}),
      });
    },
  };
}
