import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../src/engine/testing/fake-clock.js";
import { AlertManager, DEFAULT_RULES } from "../../src/observe/index.js";
import { quantile, registryReader } from "../../src/observe/metric-reader.js";

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
    expect(await q("error_recovery_success_rate")).toEqual([{ labels: {}, value: 0.9 }]);
    await clock.advance(11 * MINUTE);
    await q("error_recovery_success_rate"); // a snapshot now: the next window starts here
    m.ok.inc({ strategy: "retry" }, 1);
    m.attempts.inc({ strategy: "alternative", error_type: "timeout" }, 4);
    await clock.advance(MINUTE);
    expect((await q("error_recovery_success_rate"))[0]?.value).toBe(0.25); // 1 of 4 in the window

    m.hits.inc(80);
    m.misses.inc(20);
    expect(await q("template_cache_hit_rate")).toEqual([{ labels: {}, value: 0.8 }]);

    for (const ms of [50, 200, 300, 400, 6000])
      m.durations.observe({ workflow: "ci", status: "succeeded" }, ms);
    const [p95] = await q("workflow_duration_p95_ms", 5 * MINUTE);
    expect(p95!.value).toBeGreaterThan(5000);
    expect(p95!.value).toBeLessThanOrEqual(10000);
    expect(await q("process_memory_mb")).toEqual([{ labels: {}, value: 600 }]);
  });

  it("feeds the AlertManager: the built-in recovery rule fires on the registry's values", async () => {
    const clock = new FakeClock();
    const m = registry();
    const sent: string[] = [];
    const manager = new AlertManager({
      rules: DEFAULT_RULES,
      read: registryReader(m.registry, { clock, rss: () => 10 * 1024 * 1024 }),
      clock,
      sink: { deliver: async (n) => (sent.push(`${n.status}:${n.rule}`), []) },
    });
    m.ok.inc({ strategy: "retry" }, 1);
    m.attempts.inc({ strategy: "retry", error_type: "network" }, 5);
    await manager.evaluate();
    expect(sent.some((s) => s.includes("error_recovery_success_rate"))).toBe(true);
  });
});
