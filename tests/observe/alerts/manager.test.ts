import { describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/engine/testing/fake-clock.js";
import {
  AlertManager,
  type AlertNotification,
  type AlertRule,
  DEFAULT_ESCALATION,
  type MetricSample,
  type NotificationSink,
} from "../../../src/observe/alerts/index.js";

const MINUTE = 60_000;

/** A sink that records (notification, channels) and delivers successfully. */
function recordingSink() {
  const sent: Array<{ n: AlertNotification; channels: readonly string[] }> = [];
  const sink: NotificationSink = {
    async deliver(n, channels) {
      sent.push({ n, channels });
      return channels.map((channel) => ({ channel, ok: true, attempts: 1 }));
    },
  };
  return { sent, sink };
}

/** Metric values a test sets: name → samples. */
function values() {
  const current = new Map<string, MetricSample[]>();
  return {
    set(metric: string, value: number | MetricSample[] | undefined) {
      if (value === undefined) current.delete(metric);
      else current.set(metric, typeof value === "number" ? [{ labels: {}, value }] : value);
    },
    read: ({ metric }: { metric: string }) => current.get(metric) ?? [],
  };
}

const latency: AlertRule = {
  name: "workflow_p95_latency",
  metric: "workflow_duration_p95_ms",
  above: 5000,
  severity: "critical",
  windowMs: 5 * MINUTE,
  forMs: 2 * MINUTE,
  description: "Workflow p95 latency exceeded 5 seconds",
};

function setup(rules: AlertRule[] = [latency]) {
  const clock = new FakeClock(Date.UTC(2026, 11, 6, 3, 0));
  const metrics = values();
  const { sent, sink } = recordingSink();
  const manager = new AlertManager({ rules, read: metrics.read, clock, sink });
  return { clock, metrics, sent, manager };
}

describe("AlertManager", () => {
  it("goes pending, fires after its for-duration, notifies once, escalates when unacknowledged and resolves", async () => {
    const { clock, metrics, sent, manager } = setup();
    metrics.set("workflow_duration_p95_ms", 7200);
    expect(await manager.evaluate()).toEqual([]);
    expect(manager.pending()).toMatchObject([{ rule: "workflow_p95_latency", value: 7200 }]);

    await clock.advance(1 * MINUTE);
    expect(await manager.evaluate()).toEqual([]); // held for 1 of 2 minutes

    await clock.advance(1 * MINUTE);
    await manager.evaluate();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.n).toMatchObject({
      status: "firing",
      rule: "workflow_p95_latency",
      severity: "critical",
      tier: 0,
      sequence: 1,
      condition: { op: "above", threshold: 5000 },
      alerts: [{ value: 7200, activeAt: Date.UTC(2026, 11, 6, 3, 0) }],
    });
    expect(sent[0]!.channels).toEqual(DEFAULT_ESCALATION.critical[0]!.channels);

    // De-duplicated: still firing (even with another value), nothing new is sent.
    for (let i = 0; i < 5; i++) {
      await clock.advance(2 * MINUTE);
      metrics.set("workflow_duration_p95_ms", 7300 + i);
      await manager.evaluate();
    }
    expect(sent).toHaveLength(1);

    // 15 minutes after the first notification, unacknowledged: the next tier (e-mail).
    await clock.advance(5 * MINUTE);
    await manager.evaluate();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.n).toMatchObject({ status: "firing", tier: 1, sequence: 2 });
    expect(sent[1]!.channels).toEqual(["email"]);
    await clock.advance(30 * MINUTE);
    await manager.evaluate();
    expect(sent).toHaveLength(2); // no tier left

    metrics.set("workflow_duration_p95_ms", 3100);
    await clock.advance(MINUTE);
    await manager.evaluate();
    expect(sent).toHaveLength(3);
    expect(sent[2]!.n).toMatchObject({ status: "resolved", endsAt: clock.now(), sequence: 3 });
    // The resolved notice goes to every tier that heard of it.
    expect([...sent[2]!.channels].sort()).toEqual(
      [...DEFAULT_ESCALATION.critical.flatMap((t) => t.channels)].sort(),
    );
    expect(manager.groups()).toEqual([]);
  });

  it("does not escalate an acknowledged group", async () => {
    const { clock, metrics, sent, manager } = setup([{ ...latency, forMs: 0 }]);
    metrics.set("workflow_duration_p95_ms", 9000);
    await manager.evaluate();
    expect(sent).toHaveLength(1);
    expect(manager.acknowledge(sent[0]!.n.groupKey)).toBe(true);
    await clock.advance(60 * MINUTE);
    await manager.evaluate();
    expect(sent).toHaveLength(1);
    expect(manager.groups()[0]).toMatchObject({ acknowledged: true, tiersReached: 1 });
  });

  it("drops a pending alert silently when the condition stops before its for-duration", async () => {
    const { clock, metrics, sent, manager } = setup();
    metrics.set("workflow_duration_p95_ms", 9000);
    await manager.evaluate();
    await clock.advance(MINUTE);
    metrics.set("workflow_duration_p95_ms", 100);
    await manager.evaluate();
    await clock.advance(5 * MINUTE);
    await manager.evaluate();
    expect(sent).toEqual([]);
    expect(manager.pending()).toEqual([]);
  });

  it("groups series by the rule's groupBy labels and notifies again only when the group changes", async () => {
    const rule: AlertRule = {
      name: "recovery",
      metric: "error_recovery_success_rate",
      below: 0.85,
      severity: "high",
      windowMs: 10 * MINUTE,
      groupBy: ["workflow"],
      description: "Error recovery success rate dropped below 85%",
    };
    const { clock, metrics, sent, manager } = setup([rule]);
    const sample = (workflow: string, strategy: string, value: number) => ({
      labels: { workflow, strategy },
      value,
    });
    metrics.set("error_recovery_success_rate", [
      sample("release", "retry", 0.5),
      sample("deploy", "retry", 0.9),
    ]);
    await manager.evaluate();
    expect(sent.map((s) => s.n.groupKey)).toEqual(['recovery{workflow="release"}']);

    // A second series joins the release group: one new notification listing both.
    await clock.advance(MINUTE);
    metrics.set("error_recovery_success_rate", [
      sample("release", "retry", 0.5),
      sample("release", "alternative", 0.2),
      sample("deploy", "retry", 0.9),
    ]);
    await manager.evaluate();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.n.labels).toEqual({ workflow: "release" });
    expect(sent[1]!.n.alerts.map((a) => a.labels.strategy)).toEqual(["retry", "alternative"]);

    // Same set again: nothing.
    await clock.advance(MINUTE);
    await manager.evaluate();
    expect(sent).toHaveLength(2);

    // No data at all: the group resolves.
    metrics.set("error_recovery_success_rate", undefined);
    await clock.advance(MINUTE);
    await manager.evaluate();
    expect(sent[2]!.n).toMatchObject({ status: "resolved", groupKey: 'recovery{workflow="release"}' });
    expect(sent[2]!.n.alerts).toHaveLength(2);
  });

  it("holds notifications back while a silence matches and sends them when it ends", async () => {
    const { clock, metrics, sent, manager } = setup([{ ...latency, forMs: 0 }]);
    manager.silence({
      matchers: { alertname: "workflow_p95_latency" },
      until: clock.now() + 10 * MINUTE,
      comment: "deploy",
    });
    metrics.set("workflow_duration_p95_ms", 9000);
    await manager.evaluate();
    expect(sent).toEqual([]);
    expect(manager.groups()[0]).toMatchObject({ notified: false, silencedBy: "silence-1" });

    await clock.advance(10 * MINUTE);
    await manager.evaluate();
    expect(sent.map((s) => s.n.status)).toEqual(["firing"]);
  });

  it("sends no resolved notice for a group that was silenced throughout", async () => {
    const { clock, metrics, sent, manager } = setup([{ ...latency, forMs: 0 }]);
    manager.silence({ matchers: { severity: "critical" }, until: clock.now() + 60 * MINUTE });
    metrics.set("workflow_duration_p95_ms", 9000);
    await manager.evaluate();
    metrics.set("workflow_duration_p95_ms", 10);
    await clock.advance(MINUTE);
    await manager.evaluate();
    expect(sent).toEqual([]);
  });

  it("runs overlapping evaluate() calls one after the other, so a group is notified once", async () => {
    const { metrics, sent, manager } = setup([{ ...latency, forMs: 0 }]);
    metrics.set("workflow_duration_p95_ms", 9000);
    await Promise.all([manager.evaluate(), manager.evaluate(), manager.evaluate()]);
    expect(sent).toHaveLength(1);
  });

  it("changes nothing when a metric cannot be read", async () => {
    const clock = new FakeClock();
    const { sent, sink } = recordingSink();
    let fail = false;
    const manager = new AlertManager({
      rules: [{ ...latency, forMs: 0 }],
      read: () => {
        if (fail) throw new Error("registry gone");
        return [{ labels: {}, value: 9000 }];
      },
      clock,
      sink,
    });
    await manager.evaluate();
    fail = true;
    await clock.advance(MINUTE);
    await manager.evaluate();
    expect(sent.map((s) => s.n.status)).toEqual(["firing"]);
    expect(manager.groups()).toHaveLength(1);
  });

  it("rejects a bad rule naming it and the field", () => {
    const clock = new FakeClock();
    const { sink } = recordingSink();
    const make = (rule: Partial<AlertRule>) => () =>
      new AlertManager({ rules: [{ ...latency, ...rule } as AlertRule], read: () => [], clock, sink });
    expect(make({ below: 1 })).toThrow(/alerts\.rules\[0\] \(workflow_p95_latency\)\.below: set exactly one/);
    expect(make({ severity: "urgent" as never })).toThrow(
      /\.severity: expected one of critical, high, medium, low/,
    );
    expect(make({ windowMs: 0 })).toThrow(/\.windowMs: expected a positive number/);
  });
});
