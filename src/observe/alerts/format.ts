/** The words of a notification: subjects and titles start with `[stageflow]`. */
import type { AlertNotification } from "./types.js";

const STATUS_WORD = { firing: "FIRING", resolved: "RESOLVED", test: "TEST" } as const;

/** `[stageflow] FIRING critical: workflow_p95_latency {workflow="release"}`. */
export function subjectOf(n: AlertNotification): string {
  const labels = Object.entries(n.labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}="${v}"`)
    .join(",");
  return `[stageflow] ${STATUS_WORD[n.status]} ${n.severity}: ${n.rule}${labels ? ` {${labels}}` : ""}`;
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

/** A plain-text body: what is wrong, the values against the threshold, since when. */
export function bodyOf(n: AlertNotification): string {
  const lines = [n.description, ""];
  const { op, threshold } = n.condition;
  if (n.status === "test")
    lines.push("This is a test alert sent by `stageflow alert test`; nothing is wrong.");
  else if (n.status === "resolved")
    lines.push(`Resolved at ${new Date(n.endsAt ?? n.startsAt).toISOString()}.`);
  lines.push(`Rule: ${n.rule} (${n.metric} ${op} ${formatValue(threshold)}), severity ${n.severity}.`);
  for (const a of n.alerts) {
    const labels = Object.entries(a.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    lines.push(
      `- ${n.metric}${labels ? ` ${labels}` : ""}: ${formatValue(a.value)} since ${new Date(a.activeAt).toISOString()}`,
    );
  }
  if (n.tier > 0 && n.status === "firing")
    lines.push("", `Escalated (tier ${n.tier + 1}): not acknowledged in time.`);
  lines.push("", `Group: ${n.groupKey}`);
  return lines.join("\n");
}

/** A notification for `stageflow alert test` (nothing is wrong). */
export function testNotification(now: number): AlertNotification {
  return {
    status: "test",
    groupKey: "stageflow_test{}",
    rule: "stageflow_test",
    metric: "stageflow_test",
    severity: "low",
    description: "Test alert from stageflow: this channel is configured and reachable.",
    condition: { op: "above", threshold: 0 },
    labels: {},
    alerts: [{ labels: {}, value: 1, activeAt: now }],
    startsAt: now,
    tier: 0,
    sequence: 1,
  };
}
