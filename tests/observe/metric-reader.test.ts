import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../src/engine/testing/fake-clock.js";
import { AlertManager, type AlertRule, DEFAULT_RULES } from "../../src/observe/index.js";
import { quantile, registryReader } from "../../src/observe/metric-reader.js";
import { createMetrics } from "../../src/observe/metrics.js";

const MINUTE = 60_000;

function registry() {
  const registers = [new Registry()];
  return {
    registry: registers[0]!,
    ok: new Counter({ name: "error_recovery_success_total", help: "h", labelNames: ["strategy"], registers }),
    attempts: new Counter({
      name: "error_recovery_attempts_total",
      help: "h",
      labelNames: ["strategy", "error_type"],
      registers,
    }),
    hits: new Counter({ name: "template_cache_hits_total", help: "h", registers }),
    misses: new Counter({ name: "template_cache_misses_total", help: "h", registers }),
    durations: new Histogram({
      name: "workflow_duration_ms",
      help: "h",
      labelNames: ["workflow", "status"],
      buckets: [100, 1000, 5000, 10000],
      registers,
    }),
  };
}

describe("the alert rules' reader over a prom-client registry", () => {
  it("interpolates quantiles in buckets as PromQL's histogram_quantile does", () => {
    expect(quantile(0.95, [])).toBeNull();
    expect(
      quantile(0.5, [
        [100, 0],
        [1000, 10],
        [Number.POSITIVE_INFINITY, 10],
      ]),
    ).toBe(550);
    expect(
      quantile(0.95, [
        [100, 0],
        [1000, 0],
        [Number.POSITIVE_INFINITY, 4],
      ]),
    ).toBe(1000);
    expect(
      quantile(0.95, [
        [100, 95],
        [1000, 100],
        [Number.POSITIVE_INFINITY, 100],
      ]),
    ).toBe(100);
  });

  it("derives the built-in rules' series over their windows from cumulative counters", async () => {
    const clock = new FakeClock();
    const m = registry();
    const read = registryReader(m.registry, { clock, rss: () => 600 * 1024 * 1024 });
    const q = (metric: string, windowMs = 10 * MINUTE) =>
      read({ metric, labels: {}, windowMs, now: clock.now() });

    expect(await q("error_recovery_success_rate")).toEqual([]); // no data: no firing
    m.ok.inc({ strategy: "retry" }, 9);
    m.attempts.inc({ strategy: "retry", error_type: "network" }, 10);
    await clock.advance(MINUTE);
    // Younger than the window: since the reader was made.
    expect(await q("error_recovery_success_rate")).toEqual([{ labels: {}, value: 0.9 }]);
    await clock.advance(10 * MINUTE);
    expect(await q("error_recovery_success_rate")).toEqual([]); // nothing in the last 10 minutes
    m.ok.inc({ strategy: "retry" }, 1);
    m.attempts.inc({ strategy: "alternative", error_type: "timeout" }, 4);
    await clock.advance(MINUTE);
    // From the snapshot of minute 1, the newest at or before now - 10 minutes: 1 of 4.
    expect((await q("error_recovery_success_rate"))[0]?.value).toBe(0.25);

    m.hits.inc(80);
    m.misses.inc(20);
    await clock.advance(MINUTE);
    expect(await q("template_cache_hit_rate")).toEqual([{ labels: {}, value: 0.8 }]);

    for (const ms of [50, 200, 300, 400, 6000])
      m.durations.observe({ workflow: "ci", status: "succeeded" }, ms);
    await clock.advance(MINUTE);
    const [p95] = await q("workflow_duration_p95_ms", 5 * MINUTE);
    expect(p95!.value).toBeGreaterThan(5000);
    expect(p95!.value).toBeLessThanOrEqual(10000);
    expect(await q("process_memory_mb")).toEqual([{ labels: {}, value: 600 }]);
    await clock.advance(5 * MINUTE);
    expect(await q("workflow_duration_p95_ms", 5 * MINUTE)).toEqual([]); // out of the window
  });

  it("feeds the AlertManager: the built-in recovery rule fires on the registry's values", async () => {
    const clock = new FakeClock();
    const m = registry();
    const { manager, sent } = managerOn(DEFAULT_RULES, m, clock);
    await clock.advance(MINUTE);
    m.ok.inc({ strategy: "retry" }, 1);
    m.attempts.inc({ strategy: "retry", error_type: "network" }, 5);
    await manager.evaluate();
    expect(sent).toEqual(["firing:error_recovery_success_rate"]);
  });

  it("does not count the history replayed before the reader was made (no page after a restart)", async () => {
    const clock = new FakeClock();
    const m = registry();
    // The journal's history, replayed into the counters at start: 1 of 5 recoveries succeeded.
    m.ok.inc({ strategy: "retry" }, 1);
    m.attempts.inc({ strategy: "retry", error_type: "network" }, 5);
    const { manager, sent } = managerOn(DEFAULT_RULES, m, clock);
    for (let i = 0; i < 3; i++) {
      await clock.advance(MINUTE);
      await manager.evaluate();
    }
    expect(sent).toEqual([]);
    // What happens after the start counts.
    m.ok.inc({ strategy: "retry" }, 1);
    m.attempts.inc({ strategy: "retry", error_type: "network" }, 4);
    await clock.advance(MINUTE);
    await manager.evaluate();
    expect(sent).toEqual(["firing:error_recovery_success_rate"]);
  });

  it("gives every rule of one evaluation the same window start (a later rule sees the change too)", async () => {
    const clock = new FakeClock();
    const m = registry();
    const { manager, sent } = managerOn(DEFAULT_RULES, m, clock);
    await clock.advance(MINUTE / 2);
    m.ok.inc({ strategy: "retry" }, 1);
    m.attempts.inc({ strategy: "retry", error_type: "network" }, 5);
    for (let i = 0; i < 10; i++) m.durations.observe({ workflow: "ci", status: "succeeded" }, 9000);
    m.hits.inc(1);
    m.misses.inc(9);
    await clock.advance(MINUTE / 2);
    await manager.evaluate(); // the first evaluation
    // The first, second and third built-in rules, each over the same changes.
    expect(sent.sort()).toEqual([
      "firing:cache_hit_rate",
      "firing:error_recovery_success_rate",
      "firing:workflow_p95_latency",
    ]);
  });

  it("reads a window shorter than the evaluation interval over the last interval, whatever the rule's place", async () => {
    const clock = new FakeClock();
    const m = registry();
    const fast: AlertRule = {
      name: "fast_recovery",
      metric: "error_recovery_success_rate",
      below: 0.5,
      severity: "high",
      windowMs: 30_000,
      description: "Recovery success rate below 50% over 30 s",
    };
    const { manager, sent } = managerOn([DEFAULT_RULES[0]!, fast], m, clock);
    await clock.advance(MINUTE / 2);
    m.ok.inc({ strategy: "retry" }, 10);
    m.attempts.inc({ strategy: "retry", error_type: "network" }, 10); // the first minute: all recovered
    await clock.advance(MINUTE / 2);
    await manager.evaluate();
    expect(sent).toEqual([]);
    m.ok.inc({ strategy: "retry" }, 1);
    m.attempts.inc({ strategy: "retry", error_type: "network" }, 10); // the second: 1 of 10
    await clock.advance(MINUTE);
    await manager.evaluate();
    // 30 s (one interval): 1 of 10, below 0.5; 10 minutes (since the start): 11 of 20, below 0.85.
    expect(sent.sort()).toEqual(["firing:error_recovery_success_rate", "firing:fast_recovery"]);
  });

  it("reads the host's series that come from their sources without waiting for a /metrics scrape", async () => {
    const clock = new FakeClock();
    const metrics = createMetrics({ defaultMetrics: false, clock });
    let hits = 0;
    let misses = 0;
    metrics.setTemplateCacheSource(() => ({ hits, misses }));
    const sent: string[] = [];
    const manager = new AlertManager({
      rules: DEFAULT_RULES.filter((r) => r.metric === "template_cache_hit_rate"),
      read: registryReader(metrics.registry, { clock, collect: () => metrics.collect() }),
      clock,
      sink: { deliver: async (n) => (sent.push(`${n.status}:${n.rule}`), []) },
    });
    for (let i = 0; i < 6; i++) {
      hits += 10;
      misses += 90; // a 10 % hit rate, and nobody scrapes /metrics
      await clock.advance(MINUTE);
      await manager.evaluate();
    }
    expect(sent).toEqual(["firing:cache_hit_rate"]);
  });
});

function managerOn(rules: readonly AlertRule[], m: ReturnType<typeof registry>, clock: FakeClock) {
  const sent: string[] = [];
  const manager = new AlertManager({
    rules,
    read: registryReader(m.registry, { clock, rss: () => 10 * 1024 * 1024 }),
    clock,
    sink: { deliver: async (n) => (sent.push(`${n.status}:${n.rule}`), []) },
  });
  return { manager, sent };
}
