import { describe, expect, it, vi } from "vitest";
import { CancelledError, CircuitOpenError, TimeoutError } from "../../../src/engine/errors.js";
import type { BreakerSnapshot } from "../../../src/engine/journal.js";
import {
  type BreakerTransition,
  CircuitBreaker,
  type CircuitBreakerOptions,
  type PolicyContext,
} from "../../../src/engine/policies/index.js";
import { FakeClock, flush } from "../../../src/engine/testing/fake-clock.js";
import { deferred, never, track } from "./helpers.js";

const boom = () => Promise.reject(new Error("503"));
const ok = async () => "ok";

function setup(over: Partial<CircuitBreakerOptions> = {}) {
  const clock = over.clock instanceof FakeClock ? over.clock : new FakeClock();
  const changes: Array<[BreakerTransition, BreakerSnapshot]> = [];
  const breaker = new CircuitBreaker({
    dependency: "api.example.com",
    clock,
    onChange: (snapshot, transition) => changes.push([transition, snapshot]),
    ...over,
  });
  return { clock, breaker, changes, transitions: () => changes.map(([t]) => t) };
}

async function failTimes(breaker: CircuitBreaker, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await expect(breaker.execute(boom)).rejects.toThrow("503");
}

describe("CircuitBreaker: closed", () => {
  it("opens after 5 consecutive failures, not after 4", async () => {
    const { breaker, clock, changes } = setup();
    await failTimes(breaker, 4);
    expect(breaker.state).toBe("closed");
    expect(breaker.toJSON().consecutiveFailures).toBe(4);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe("open");
    expect(changes).toEqual([
      [
        "opened",
        { state: "open", consecutiveFailures: 5, openUntil: clock.now() + 30_000, updatedAt: clock.now() },
      ],
    ]);
  });

  it("does not open when a success interleaves", async () => {
    const { breaker, changes } = setup();
    await failTimes(breaker, 4);
    await expect(breaker.execute(ok)).resolves.toBe("ok");
    await failTimes(breaker, 4);
    expect(breaker.state).toBe("closed");
    expect(changes).toEqual([]);
  });

  it("does not count cancelled calls", async () => {
    const { breaker } = setup({ failureThreshold: 2 });
    await expect(breaker.execute(() => Promise.reject(new CancelledError()))).rejects.toBeInstanceOf(
      CancelledError,
    );
    await expect(
      breaker.execute(() => Promise.reject(new DOMException("x", "AbortError"))),
    ).rejects.toThrow();
    const controller = new AbortController();
    const abortedMidCall = async () => {
      controller.abort();
      throw new Error("socket hang up");
    };
    await expect(breaker.execute(abortedMidCall, controller.signal)).rejects.toThrow("socket hang up");
    const fn = vi.fn(ok);
    await expect(breaker.execute(fn, controller.signal)).rejects.toThrow("aborted");
    expect(fn).not.toHaveBeenCalled();
    expect(breaker.toJSON().consecutiveFailures).toBe(0);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe("closed");
  });

  it("counts only what isFailure says", async () => {
    const isFailure = (e: unknown) => (e as { status?: number }).status === 503;
    const { breaker } = setup({ failureThreshold: 1, isFailure });
    await expect(
      breaker.execute(() => Promise.reject(Object.assign(new Error("nf"), { status: 404 }))),
    ).rejects.toThrow();
    expect(breaker.state).toBe("closed");
    await expect(
      breaker.execute(() => Promise.reject(Object.assign(new Error("down"), { status: 503 }))),
    ).rejects.toThrow();
    expect(breaker.state).toBe("open");
  });

  it("opens once when concurrent calls fail together", async () => {
    const { breaker, transitions } = setup({ failureThreshold: 2 });
    const gates = [1, 2, 3, 4].map(() => deferred<string>());
    const calls = gates.map((g) => track(breaker.execute(() => g.promise)));
    for (const g of gates) g.reject(new Error("503"));
    await flush();
    expect(calls.every((c) => c.settled)).toBe(true);
    expect(transitions()).toEqual(["opened"]);
    expect(breaker.toJSON().consecutiveFailures).toBe(2);
  });
});

describe("CircuitBreaker: open and half-open", () => {
  it("rejects fast while open without calling fn, with the time to the probe", async () => {
    const { breaker, clock } = setup();
    await failTimes(breaker, 5);
    const fn = vi.fn(ok);
    const first = await breaker.execute(fn).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(CircuitOpenError);
    expect(first).toMatchObject({
      dependency: "api.example.com",
      retryAfterMs: 30_000,
      reason: "circuit_open",
    });
    await clock.advance(29_999);
    await expect(breaker.execute(fn)).rejects.toMatchObject({ retryAfterMs: 1 });
    expect(fn).not.toHaveBeenCalled();
  });

  it("lets exactly one probe through after the reset timeout; probe success closes", async () => {
    const { breaker, clock, transitions } = setup();
    await failTimes(breaker, 5);
    await clock.advance(30_000);
    const probe = deferred<string>();
    const probeFn = vi.fn(() => probe.promise);
    const probeCall = breaker.execute(probeFn);
    expect(breaker.state).toBe("half_open");
    const other = vi.fn(ok);
    await clock.advance(1000);
    const rejected = await breaker.execute(other).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(CircuitOpenError);
    expect(rejected).toMatchObject({ retryAfterMs: 29_000 }); // what is left of the probe timeout
    expect(other).not.toHaveBeenCalled();
    probe.resolve("probe ok");
    await expect(probeCall).resolves.toBe("probe ok");
    expect(probeFn).toHaveBeenCalledTimes(1);
    expect(breaker.toJSON()).toEqual({
      state: "closed",
      consecutiveFailures: 0,
      openUntil: null,
      updatedAt: clock.now(),
    });
    expect(transitions()).toEqual(["opened", "half_opened", "closed"]);
    await expect(breaker.execute(other)).resolves.toBe("ok");
    expect(clock.pending()).toBe(0);
  });

  it("re-opens for another reset timeout when the probe fails", async () => {
    const { breaker, clock, transitions } = setup({ resetTimeoutMs: 10_000 });
    await failTimes(breaker, 5);
    await clock.advance(10_000);
    await expect(breaker.execute(boom)).rejects.toThrow("503");
    expect(breaker.toJSON()).toMatchObject({
      state: "open",
      consecutiveFailures: 6,
      openUntil: clock.now() + 10_000,
    });
    await expect(breaker.execute(ok)).rejects.toMatchObject({ retryAfterMs: 10_000 });
    await clock.advance(10_000);
    await expect(breaker.execute(ok)).resolves.toBe("ok");
    expect(transitions()).toEqual(["opened", "half_opened", "opened", "half_opened", "closed"]);
  });

  it("cuts a hanging probe at the probe timeout and re-opens", async () => {
    const { breaker, clock, transitions } = setup({ resetTimeoutMs: 10_000, probeTimeoutMs: 2_000 });
    await failTimes(breaker, 5);
    await clock.advance(10_000);
    let ctx: PolicyContext | undefined;
    const probe = track(
      breaker.execute((c) => {
        ctx = c;
        return never();
      }),
    );
    await clock.advance(1_999);
    expect(probe.settled).toBe(false);
    await clock.advance(1);
    await expect(probe.promise).rejects.toBeInstanceOf(TimeoutError);
    expect(ctx?.signal.aborted).toBe(true);
    expect(breaker.state).toBe("open");
    expect(transitions()).toEqual(["opened", "half_opened", "opened"]);
  });

  it("uses the reset timeout as the default probe timeout", async () => {
    const { breaker, clock } = setup({ resetTimeoutMs: 5_000 });
    await failTimes(breaker, 5);
    await clock.advance(5_000);
    const probe = track(breaker.execute(() => never()));
    await clock.advance(4_999);
    expect(probe.settled).toBe(false);
    await clock.advance(1);
    await expect(probe.promise).rejects.toBeInstanceOf(TimeoutError);
  });

  it("stays half-open after a cancelled probe, so the next call probes", async () => {
    const { breaker, clock, transitions } = setup();
    await failTimes(breaker, 5);
    await clock.advance(30_000);
    await expect(breaker.execute(() => Promise.reject(new CancelledError()))).rejects.toBeInstanceOf(
      CancelledError,
    );
    expect(breaker.state).toBe("half_open");
    await expect(breaker.execute(ok)).resolves.toBe("ok");
    expect(transitions()).toEqual(["opened", "half_opened", "closed"]);
  });
});

describe("CircuitBreaker: a probe answered with an error that is not a failure", () => {
  it("closes: the dependency answered", async () => {
    const isFailure = (e: unknown) => (e as { status?: number }).status !== 404;
    const { breaker, clock, transitions } = setup({ failureThreshold: 1, resetTimeoutMs: 1000, isFailure });
    await failTimes(breaker, 1);
    await clock.advance(1000);
    const notFound = Object.assign(new Error("not found"), { status: 404 });
    await expect(breaker.execute(() => Promise.reject(notFound))).rejects.toBe(notFound);
    expect(breaker.state).toBe("closed");
    expect(transitions()).toEqual(["opened", "half_opened", "closed"]);
  });
});

describe("CircuitBreaker: state as data", () => {
  it("round-trips through toJSON / initialState: an open breaker survives a restart", async () => {
    const first = setup();
    await failTimes(first.breaker, 5);
    const saved: BreakerSnapshot = JSON.parse(JSON.stringify(first.breaker));
    const clock = new FakeClock(first.clock.now() + 12_000);
    const { breaker } = setup({ clock, initialState: saved });
    expect(breaker.state).toBe("open");
    expect(breaker.toJSON()).toEqual(saved);
    const fn = vi.fn(ok);
    await expect(breaker.execute(fn)).rejects.toMatchObject({ retryAfterMs: 18_000 });
    expect(fn).not.toHaveBeenCalled();
  });

  it("lets one probe through when restored open after openUntil passed", async () => {
    const clock = new FakeClock();
    const initialState: BreakerSnapshot = {
      state: "open",
      consecutiveFailures: 7,
      openUntil: clock.now() - 1,
      updatedAt: clock.now() - 30_001,
    };
    const { breaker, transitions } = setup({ clock, initialState });
    const probe = deferred<string>();
    const call = breaker.execute(() => probe.promise);
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    probe.resolve("up");
    await expect(call).resolves.toBe("up");
    expect(transitions()).toEqual(["half_opened", "closed"]);
  });

  it("lets one probe through when restored half-open (the old probe died with its process)", async () => {
    const clock = new FakeClock();
    const initialState: BreakerSnapshot = {
      state: "half_open",
      consecutiveFailures: 5,
      openUntil: 0,
      updatedAt: 0,
    };
    const { breaker, transitions } = setup({ clock, initialState });
    await expect(breaker.execute(ok)).resolves.toBe("ok");
    expect(transitions()).toEqual(["closed"]);
  });

  it("rejects bad options and snapshots with a TypeError naming the value", () => {
    const clock = new FakeClock();
    const base = { dependency: "d", clock };
    expect(() => new CircuitBreaker({ ...base, failureThreshold: 0 })).toThrow(TypeError);
    expect(() => new CircuitBreaker({ ...base, failureThreshold: 0 })).toThrow(/failureThreshold.*0/);
    expect(() => new CircuitBreaker({ ...base, resetTimeoutMs: -1 })).toThrow(/resetTimeoutMs.*-1/);
    expect(() => new CircuitBreaker({ ...base, probeTimeoutMs: 0 })).toThrow(/probeTimeoutMs.*0/);
    expect(() => new CircuitBreaker({ ...base, dependency: "" })).toThrow(/dependency/);
    const bad = {
      state: "ajar",
      consecutiveFailures: 0,
      openUntil: null,
      updatedAt: 0,
    } as unknown as BreakerSnapshot;
    expect(() => new CircuitBreaker({ ...base, initialState: bad })).toThrow(/state.*"ajar"/);
  });
});
