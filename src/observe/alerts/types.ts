/**
 * Alerts: rules over metric values, their notifications and the channels that carry them. The
 * rule side reads metrics through a function ({@link MetricReader}), so it runs on prom-client's
 * registry, on the journal's history or on a test's numbers alike.
 */

/** How urgent an alert is; escalation and PagerDuty's severity follow it. */
export const SEVERITIES = ["critical", "high", "medium", "low"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Label names and values (bounded: no run ids, no free text). */
export type Labels = Readonly<Record<string, string>>;

/** One series of a metric as a reader returns it. */
export interface MetricSample {
  labels: Labels;
  value: number;
}

/** What a rule asks its reader for. */
export interface MetricQuery {
  metric: string;
  /** Only series with these labels (exact values). */
  labels: Labels;
  /** The evaluation window: a rate or a percentile is taken over the last `windowMs`. */
  windowMs: number;
  /** The evaluation time (the injected clock's now). */
  now: number;
}

/**
 * Reads a metric's current value per series. An empty answer means "no data": a rule with no
 * data is not firing (and a firing alert resolves).
 */
export type MetricReader = (query: MetricQuery) => readonly MetricSample[] | Promise<readonly MetricSample[]>;

/** A threshold rule: fires when the metric is above `above` or below `below` for `forMs`. */
export interface AlertRule {
  /** Unique name, also the `alertname` label silences match. */
  name: string;
  /** The metric the reader is asked for. */
  metric: string;
  /** Series selector handed to the reader. @default {} */
  labels?: Labels;
  /** Fires when value > above. Exactly one of `above` and `below`. */
  above?: number;
  /** Fires when value < below. */
  below?: number;
  severity: Severity;
  /** Evaluation window handed to the reader, in ms. */
  windowMs: number;
  /** How long the condition must hold before the alert fires (pending until then). @default 0 */
  forMs?: number;
  /**
   * Labels that make one notification group: alerts of this rule with the same values of these
   * labels are notified together. @default every label (one group per series)
   */
  groupBy?: readonly string[];
  /** One sentence for people, e.g. "Error recovery success rate dropped below 85%". */
  description: string;
}

/** One alerting series inside a notification. */
export interface AlertInstance {
  labels: Labels;
  value: number;
  /** When the condition started to hold (ms since epoch). */
  activeAt: number;
}

/** What channels receive. */
export interface AlertNotification {
  /** `test` only from `stageflow alert test`. */
  status: "firing" | "resolved" | "test";
  /** Rule name + group labels; stable for the life of the group (PagerDuty's dedup_key, the issue marker). */
  groupKey: string;
  rule: string;
  metric: string;
  severity: Severity;
  description: string;
  /** `above 5000` or `below 0.85`. */
  condition: { op: "above" | "below"; threshold: number };
  /** The group's labels (the rule's groupBy labels). */
  labels: Labels;
  /** Firing series (for `resolved`: the ones last notified). */
  alerts: AlertInstance[];
  startsAt: number;
  /** When it resolved. */
  endsAt?: number;
  /** Escalation tier this delivery belongs to (0 = first). */
  tier: number;
  /** How many notifications this group has had (1 = the first firing). */
  sequence: number;
}

/** A place notifications go: Slack, e-mail, PagerDuty, a webhook, a GitHub issue. */
export interface AlertChannel {
  /** The name routes and `stageflow alert test` use, e.g. `slack`, `email`. */
  readonly name: string;
  /** Delivers one notification; throws on failure (the dispatcher retries). */
  send(notification: AlertNotification, signal?: AbortSignal): Promise<void>;
}
