import type { AlertNotification } from "../../../src/observe/alerts/index.js";

export const T0 = Date.UTC(2026, 11, 6, 3, 0);

/** A firing notification of the built-in latency rule for workflow `release`. */
export function firing(overrides: Partial<AlertNotification> = {}): AlertNotification {
  return {
    status: "firing",
    groupKey: 'workflow_p95_latency{workflow="release"}',
    rule: "workflow_p95_latency",
    metric: "workflow_duration_p95_ms",
    severity: "critical",
    description: "Workflow p95 latency exceeded 5 seconds",
    condition: { op: "above", threshold: 5000 },
    labels: { workflow: "release" },
    alerts: [{ labels: { workflow: "release" }, value: 7200, activeAt: T0 }],
    startsAt: T0,
    tier: 0,
    sequence: 1,
    ...overrides,
  };
}

export function resolved(overrides: Partial<AlertNotification> = {}): AlertNotification {
  return firing({ status: "resolved", endsAt: T0 + 600_000, sequence: 2, ...overrides });
}
