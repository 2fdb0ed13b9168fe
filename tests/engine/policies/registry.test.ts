import { describe, expect, it } from "vitest";
import { CircuitOpenError } from "../../../src/engine/errors.js";
import type { BreakerSnapshot } from "../../../src/engine/journal.js";
import { BreakerRegistry, type BreakerTransition } from "../../../src/engine/policies/index.js";
import { FakeClock } from "../../../src/engine/testing/fake-clock.js";

const boom = () => Promise.reject(new Error("503"));

describe("BreakerRegistry", () => {
  it("shares one breaker per dependency", async () => {
    const registry = new BreakerRegistry({ clock: new FakeClock(), defaults: { failureThreshold: 2 } });
    expect(registry.get("a")).toBe(registry.get("a"));
    expect(registry.get("a")).not.toBe(registry.get("b"));
    await expect(registry.get("a").execute(boom)).rejects.toThrow();
    await expect(registry.get("a").execute(boom)).rejects.toThrow();
    expect(registry.get("a").state).toBe("open");
    expect(registry.get("b").state).toBe("closed");
    await expect(registry.get("a").execute(async () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it("reports transitions with the dependency name", async () => {
    const clock = new FakeClock();
    const seen: Array<[string, BreakerTransition, BreakerSnapshot["state"]]> = [];
    const registry = new BreakerRegistry({
      clock,
      defaults: { failureThreshold: 1, resetTimeoutMs: 1000 },
      onChange: (dependency, snapshot, transition) => seen.push([dependency, transition, snapshot.state]),
    });
    await expect(registry.get("github").execute(boom)).rejects.toThrow();
    await clock.advance(1000);
    await registry.get("github").execute(async () => 1);
    expect(seen).toEqual([
      ["github", "opened", "open"],
      ["github", "half_opened", "half_open"],
      ["github", "closed", "closed"],
    ]);
  });

  it("restores breakers from snapshots and snapshots them back", async () => {
    const clock = new FakeClock();
    const open: BreakerSnapshot = {
      state: "open",
      consecutiveFailures: 5,
      openUntil: clock.now() + 5000,
      updatedAt: clock.now(),
    };
    const registry = new BreakerRegistry({
      clock,
      initial: { slack: open, smtp: { ...open, state: "closed", openUntil: null } },
    });
    expect(registry.snapshot()).toEqual({ slack: open, smtp: { ...open, state: "closed", openUntil: null } });
    expect(registry.get("slack").state).toBe("open");
    await expect(registry.get("slack").execute(async () => 1)).rejects.toMatchObject({ retryAfterMs: 5000 });
    await expect(registry.get("other").execute(async () => 1)).resolves.toBe(1);
    const snap = registry.snapshot();
    expect(Object.keys(snap).sort()).toEqual(["other", "slack", "smtp"]);
    expect(snap.slack).toEqual(open);
    // A "restart": a new registry from the snapshot knows slack is failing.
    const restarted = new BreakerRegistry({ clock, initial: JSON.parse(JSON.stringify(snap)) });
    expect(restarted.get("slack").state).toBe("open");
  });

  it("rejects bad defaults, snapshots and names with a TypeError naming the value", () => {
    const clock = new FakeClock();
    expect(() => new BreakerRegistry({ clock, defaults: { failureThreshold: 0 } })).toThrow(
      /failureThreshold.*0/,
    );
    expect(() => new BreakerRegistry({ clock, defaults: { resetTimeoutMs: -1 } })).toThrow(
      /resetTimeoutMs.*-1/,
    );
    const bad = { state: "open", consecutiveFailures: -2, openUntil: null, updatedAt: 0 } as BreakerSnapshot;
    expect(() => new BreakerRegistry({ clock, initial: { x: bad } })).toThrow(/consecutiveFailures.*-2/);
    expect(() => new BreakerRegistry({ clock }).get("")).toThrow(TypeError);
  });
});
