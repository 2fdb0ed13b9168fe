import { describe, expect, it, vi } from "vitest";
import { CancelledError, TimeoutError } from "../../../src/engine/errors.js";
import { type PolicyContext, TimeoutPolicy } from "../../../src/engine/policies/index.js";
import { FakeClock, flush } from "../../../src/engine/testing/fake-clock.js";
import { deferred, never, track } from "./helpers.js";

describe("TimeoutPolicy", () => {
  it("fires at exactly ms and aborts the inner signal with the TimeoutError", async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ ms: 1000, clock });
    let ctx: PolicyContext | undefined;
    const call = track(
      policy.execute((c) => {
        ctx = c;
        return never();
      }),
    );
    await clock.advance(999);
    expect(call.settled).toBe(false);
    expect(ctx?.signal.aborted).toBe(false);
    await clock.advance(1);
    expect(call.settled).toBe(true);
    const error = await call.promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ timeoutMs: 1000, message: "timed out after 1s", reason: "timed_out" });
    expect(ctx?.signal.aborted).toBe(true);
    expect(ctx?.signal.reason).toBe(error);
    expect(clock.pending()).toBe(0);
  });

  it("rejects on time even when fn ignores its signal, and drops fn's late result", async () => {
    const clock = new FakeClock();
    const late = deferred<string>();
    const call = track(new TimeoutPolicy({ ms: 50, clock, message: "slow" }).execute(() => late.promise));
    await clock.advance(50);
    await expect(call.promise).rejects.toThrow("slow");
    late.resolve("too late");
    await flush();
    await expect(call.promise).rejects.toBeInstanceOf(TimeoutError);
  });

  it("resolves with fn's value and leaves no pending timer", async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ ms: 1000, clock });
    const result = policy.execute(async () => "done");
    await expect(result).resolves.toBe("done");
    expect(clock.pending()).toBe(0);
    await clock.advance(5000);
  });

  it("rejects with fn's own error (also a synchronous throw) and leaves no pending timer", async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ ms: 1000, clock });
    const boom = new Error("boom");
    await expect(policy.execute(() => Promise.reject(boom))).rejects.toBe(boom);
    await expect(
      policy.execute(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(clock.pending()).toBe(0);
  });

  it("propagates the outer abort reason to fn and rejects with it at once", async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ ms: 1000, clock });
    const controller = new AbortController();
    let ctx: PolicyContext | undefined;
    const call = track(
      policy.execute((c) => {
        ctx = c;
        return never();
      }, controller.signal),
    );
    await flush();
    const reason = new CancelledError("run cancelled");
    controller.abort(reason);
    await expect(call.promise).rejects.toBe(reason);
    expect(ctx?.signal.reason).toBe(reason);
    expect(clock.pending()).toBe(0);
  });

  it("does not call fn when the outer signal is already aborted", async () => {
    const clock = new FakeClock();
    const fn = vi.fn(async () => 1);
    const reason = new CancelledError();
    await expect(new TimeoutPolicy({ ms: 10, clock }).execute(fn, AbortSignal.abort(reason))).rejects.toBe(
      reason,
    );
    expect(fn).not.toHaveBeenCalled();
    expect(clock.pending()).toBe(0);
  });

  it("rejects a bad ms with a TypeError naming the value", () => {
    const clock = new FakeClock();
    expect(() => new TimeoutPolicy({ ms: -5, clock })).toThrow(TypeError);
    expect(() => new TimeoutPolicy({ ms: -5, clock })).toThrow(/-5/);
    expect(() => new TimeoutPolicy({ ms: 0, clock })).toThrow(/got 0/);
    expect(() => new TimeoutPolicy({ ms: Number.POSITIVE_INFINITY, clock })).toThrow(/Infinity/);
  });
});
