/**
 * PagerDuty Events API v2: `trigger` when a group fires (and on each change: the same `dedup_key`
 * updates the incident), `resolve` when it resolves. The dedup key is the group's key.
 */
import { createHash } from "node:crypto";
import { subjectOf } from "../format.js";
import type { AlertChannel, AlertNotification, Severity } from "../types.js";
import { postJson } from "./http.js";

export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

export interface PagerDutyChannelOptions {
  /** The integration's routing key (a secret). */
  routingKey: string;
  /** @default PAGERDUTY_EVENTS_URL */
  url?: string;
  fetch?: typeof fetch;
  /** @default "pagerduty" */
  name?: string;
  /** `payload.source`. @default "stageflow" */
  source?: string;
}

const PD_SEVERITY: Record<Severity, "critical" | "error" | "warning" | "info"> = {
  critical: "critical",
  high: "error",
  medium: "warning",
  low: "info",
};

/** The dedup key of a group: readable and at most 255 characters. */
export function dedupKey(groupKey: string): string {
  const key = `stageflow/${groupKey}`;
  if (key.length <= 255) return key;
  return `${key.slice(0, 200)}#${createHash("sha256").update(groupKey).digest("hex").slice(0, 32)}`;
}

/** The event posted for a notification. */
export function pagerDutyEvent(n: AlertNotification, routingKey: string, source = "stageflow") {
  const base = { routing_key: routingKey, dedup_key: dedupKey(n.groupKey) };
  if (n.status === "resolved") return { ...base, event_action: "resolve" as const };
  return {
    ...base,
    event_action: "trigger" as const,
    payload: {
      summary: subjectOf(n).slice(0, 1024),
      severity: PD_SEVERITY[n.severity],
      source,
      component: n.metric,
      group: n.rule,
      class: n.status === "test" ? "test" : "threshold",
      timestamp: new Date(n.startsAt).toISOString(),
      custom_details: {
        description: n.description,
        condition: `${n.metric} ${n.condition.op} ${n.condition.threshold}`,
        labels: n.labels,
        alerts: n.alerts.map((a) => ({
          labels: a.labels,
          value: a.value,
          since: new Date(a.activeAt).toISOString(),
        })),
        tier: n.tier,
      },
    },
  };
}

export function pagerDutyChannel(options: PagerDutyChannelOptions): AlertChannel {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const url = options.url ?? PAGERDUTY_EVENTS_URL;
  return {
    name: options.name ?? "pagerduty",
    async send(n, signal) {
      const opts = { fetch: fetchImpl, what: "PagerDuty Events API", ...(signal ? { signal } : {}) };
      await postJson(url, pagerDutyEvent(n, options.routingKey, options.source), opts);
      // A test leaves no open incident behind.
      if (n.status === "test")
        await postJson(url, pagerDutyEvent({ ...n, status: "resolved" }, options.routingKey), opts);
    },
  };
}
