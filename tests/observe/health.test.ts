import { describe, expect, it } from "vitest";
import { FakeClock } from "../../src/engine/testing/fake-clock.js";
import {
  type CheckState,
  HealthRegistry,
  type HealthStatus,
  overallStatus,
} from "../../src/observe/health.js";

const check = (name: string, critical: boolean, state: CheckState) => ({
  name,
  critical,
  recommendation: `fix ${name}`,
  run: () => ({ state, message: `${name} is ${state}` }),
});

const p = "pass";
const w = "warn";
const f = "fail";

/** Critical checks A and B, non-critical C and D: each combination and its overall status. */
const TABLE: [CheckState, CheckState, CheckState, CheckState, HealthStatus][] = [
  [p, p, p, p, "HEALTHY"],
  [p, p, p, f, "DEGRADED"],
  [p, p, f, p, "DEGRADED"],
  [p, p, f, f, "DEGRADED"],
  [p, f, p, p, "CRITICAL"],
  [p, f, p, f, "CRITICAL"],
  [p, f, f, p, "CRITICAL"],
  [p, f, f, f, "CRITICAL"],
  [f, p, p, p, "CRITICAL"],
  [f, p, p, f, "CRITICAL"],
  [f, p, f, p, "CRITICAL"],
  [f, p, f, f, "CRITICAL"],
  [f, f, p, p, "FAILED"],
  [f, f, p, f, "FAILED"],
  [f, f, f, p, "FAILED"],
  [f, f, f, f, "FAILED"],
  // Warnings: they never fail anything, and lose to any failure.
  [p, p, w, p, "WARNING"],
  [w, p, p, p, "WARNING"],
  [w, w, w, w, "WARNING"],
  [p, p, w, f, "DEGRADED"],
  [w, f, p, p, "CRITICAL"],
  [f, f, w, w, "FAILED"],
];

describe("the overall health status", () => {
  it.each(TABLE)("A=%s B=%s (critical) C=%s D=%s: %s", async (a, b, c, d, expected) => {
    const registry = new HealthRegistry({ clock: new FakeClock() });
    registry.register(check("A", true, a));
    registry.register(check("B", true, b));
    registry.register(check("C", false, c));
    registry.register(check("D", false, d));
    const report = await registry.evaluate();
    expect(report.status).toBe(expected);
    expect(report.ready).toBe(expected !== "CRITICAL" && expected !== "FAILED");
    // Every check that does not pass has a recommendation naming it, after the overall verdict.
    const notPassing = report.checks.filter((r) => r.state !== "pass").map((r) => `${r.name}: fix ${r.name}`);
    expect(report.recommendations.slice(1)).toEqual(notPassing);
    for (const r of report.checks.filter((x) => x.state === "fail"))
      expect(r.message).toMatch(new RegExp(`^${r.name}`));
    if (expected === "HEALTHY")
      expect(report.recommendations).toEqual(["Every check passes: nothing to do."]);
    if (expected === "CRITICAL" || expected === "FAILED")
      expect(report.recommendations[0]).toMatch(/not ready|cannot run/);
  });

  it("has no critical check: a failing one is DEGRADED, none at all is HEALTHY", () => {
    expect(overallStatus([{ critical: false, state: "fail" }])).toBe("DEGRADED");
    expect(overallStatus([])).toBe("HEALTHY");
  });

  it("names the failing checks in its verdict", async () => {
    const registry = new HealthRegistry({ clock: new FakeClock() });
    registry.register(check("journal writable", true, f));
    registry.register(check("journal integrity", true, p));
    const report = await registry.evaluate();
    expect(report.status).toBe("CRITICAL");
    expect(report.recommendations[0]).toBe(
      "Critical checks fail (journal writable): this host is not ready; fix them first.",
    );
  });
});

describe("HealthRegistry", () => {
  it("fails a check that does not answer within its timeout, on the injected clock", async () => {
    const clock = new FakeClock();
    const registry = new HealthRegistry({ clock });
    let aborted: unknown;
    registry.register({
      name: "GitHub API reachable",
      critical: false,
      timeoutMs: 2000,
      run: (signal) =>
        new Promise(() => {
          signal.addEventListener("abort", () => (aborted = signal.reason));
        }),
    });
    registry.register(check("journal writable", true, p));
    let done = false;
    const pending = registry.evaluate().then((r) => {
      done = true;
      return r;
    });
    await clock.advance(1999);
    expect(done).toBe(false);
    await clock.advance(1);
    const report = await pending;
    expect(report.status).toBe("DEGRADED");
    expect(report.checks[0]).toMatchObject({
      name: "GitHub API reachable",
      state: "fail",
      message: "GitHub API reachable: no answer within its timeout of 2s",
      durationMs: 2000,
    });
    expect(String(aborted)).toMatch(/timed out after 2s/);
    expect(clock.pending()).toBe(0);
  });

  it("uses the default timeout (5 s) for a check that sets none", async () => {
    const clock = new FakeClock();
    const registry = new HealthRegistry({ clock });
    registry.register({ name: "journal integrity", critical: true, run: () => new Promise(() => {}) });
    const pending = registry.evaluate();
    await clock.advance(5000);
    const report = await pending;
    expect(report.status).toBe("FAILED");
    expect(report.checks[0]?.message).toBe("journal integrity: no answer within its timeout of 5s");
  });

  it("fails a check that throws, naming what it checked", async () => {
    const registry = new HealthRegistry({ clock: new FakeClock() });
    registry.register({
      name: "disk space",
      critical: false,
      run: () => {
        throw new Error("ENOENT: no such directory");
      },
    });
    const report = await registry.evaluate();
    expect(report.checks[0]).toMatchObject({
      state: "fail",
      message: "disk space: ENOENT: no such directory",
    });
    expect(report.recommendations[1]).toBe("disk space: look at this check");
  });

  it("runs only the critical checks when asked, and remembers every evaluation", async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const registry = new HealthRegistry({ clock, historySize: 3 });
    registry.register(check("A", true, p));
    registry.register(check("C", false, f));
    const ready = await registry.evaluate({ criticalOnly: true });
    expect(ready.checks.map((c) => c.name)).toEqual(["A"]);
    expect(ready.status).toBe("HEALTHY");
    expect(registry.history()).toEqual([{ at: t0, status: "HEALTHY", ready: true }]);
    for (let i = 0; i < 3; i++) {
      await clock.advance(1000);
      await registry.evaluate();
    }
    expect(registry.history()).toEqual([
      { at: t0 + 1000, status: "DEGRADED", ready: true },
      { at: t0 + 2000, status: "DEGRADED", ready: true },
      { at: t0 + 3000, status: "DEGRADED", ready: true },
    ]);
    expect(registry.history(t0 + 3000)).toHaveLength(1);
  });

  it("refuses a duplicate name and a bad timeout, and unregisters", () => {
    const registry = new HealthRegistry();
    const remove = registry.register(check("memory", false, p));
    expect(() => registry.register(check("memory", false, p))).toThrow(
      "health check 'memory' is already registered",
    );
    expect(() => registry.register({ ...check("x", false, p), timeoutMs: 0 })).toThrow(
      "health check 'x' timeoutMs: expected a positive number, got 0",
    );
    remove();
    expect(registry.checks()).toEqual([]);
  });
});
