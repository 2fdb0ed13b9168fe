import { describe, expect, it, vi } from "vitest";
import type { RetrySpec } from "../../../src/engine/definition/plan.js";
import { CancelledError, RetriesExhaustedError } from "../../../src/engine/errors.js";
import { type RetryInfo, RetryPolicy } from "../../../src/engine/policies/index.js";
import { seededRandom } from "../../../src/engine/ports.js";
import { flush } from "../../../src/engine/testing/fake-clock.js";
import { deferred, recordingClock } from "./helpers.js";

const spec = (over: Partial<RetrySpec> = {}): RetrySpec => ({
  maxAttempts: 5,
  backoff: "exponential",
  baseDelayMs: 100,
  maxDelayMs: 10_000,
  jitter: "none",
  ...over,
});

/** fn that fails `failures` times with Error("fail <n>"), then returns "ok". */
function flaky(failures: number) {
  const seen: number[] = [];
  const fn = vi.fn(async ({ attempt }: { attempt: number }) => {
    seen.push(attempt);
    if (seen.length <= failures) throw new Error(`fail ${attempt}`);
    return "ok";
  });
  return { fn, seen };
}

describe("RetryPolicy", () => {
  it("succeeds on the 3rd attempt after sleeping exactly the backoff delays", async () => {
    const { clock, log } = recordingClock({ autoAdvance: true });
    const start = clock.now();
    const policy = new RetryPolicy({ spec: spec(), clock, random: seededRandom(1) });
    const { fn, seen } = flaky(2);
    await expect(policy.execute(fn)).resolves.toBe("ok");
    expect(seen).toEqual([1, 2, 3]);
    expect(log).toEqual(["sleep 100", "sleep 200"]);
    expect(clock.now() - start).toBe(300);
  });

  it("calls and awaits onRetry before the backoff sleep starts", async () => {
    const { clock, log } = recordingClock();
    const gate = deferred();
    const infos: RetryInfo[] = [];
    const policy = new RetryPolicy({
      spec: spec(),
      clock,
      random: seededRandom(1),
      onRetry: async (info) => {
        infos.push(info);
        log.push(`onRetry ${info.attempt} ${info.delayMs}`);
        await gate.promise;
      },
    });
    const { fn } = flaky(1);
    const result = policy.execute(fn);
    await flush();
    expect(log).toEqual(["onRetry 1 100"]);
    expect(clock.pending()).toBe(0);
    gate.resolve();
    await flush();
    expect(log).toEqual(["onRetry 1 100", "sleep 100"]);
    await clock.advance(100);
    await expect(result).resolves.toBe("ok");
    expect(infos[0]?.error).toEqual(new Error("fail 1"));
  });

  it("throws RetriesExhaustedError with the attempts and the last error as cause", async () => {
    const { clock, log } = recordingClock({ autoAdvance: true });
    const policy = new RetryPolicy({ spec: spec({ maxAttempts: 3 }), clock, random: seededRandom(1) });
    const { fn } = flaky(99);
    const error = await policy.execute(fn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    const exhausted = error as RetriesExhaustedError;
    expect(exhausted.attempts).toBe(3);
    expect(exhausted.lastError).toEqual(new Error("fail 3"));
    expect(exhausted.cause).toBe(exhausted.lastError);
    expect(exhausted.reason).toBe("retries_exhausted");
    expect(fn).toHaveBeenCalledTimes(3);
    expect(log).toEqual(["sleep 100", "sleep 200"]);
  });

  it("rethrows as is with maxAttempts 1 (nothing to exhaust)", async () => {
    const { clock } = recordingClock();
    const policy = new RetryPolicy({ spec: spec({ maxAttempts: 1 }), clock, random: seededRandom(1) });
    const boom = new Error("boom");
    await expect(policy.execute(() => Promise.reject(boom))).rejects.toBe(boom);
  });

  it("rethrows a non-retryable error immediately, as is", async () => {
    const { clock, log } = recordingClock({ autoAdvance: true });
    const shouldRetry = vi.fn((e: unknown) => !(e instanceof TypeError));
    const policy = new RetryPolicy({ spec: spec(), clock, random: seededRandom(1), shouldRetry });
    const bad = new TypeError("bad request");
    const fn = vi.fn(() => Promise.reject(bad));
    await expect(policy.execute(fn)).rejects.toBe(bad);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(shouldRetry).toHaveBeenCalledWith(bad, 1);
    expect(log).toEqual([]);
  });

  it("never retries cancellations, whatever shouldRetry says", async () => {
    const { clock } = recordingClock({ autoAdvance: true });
    const policy = new RetryPolicy({ spec: spec(), clock, random: seededRandom(1), shouldRetry: () => true });
    const cancelled = new CancelledError();
    const abort = new DOMException("aborted", "AbortError");
    const fn1 = vi.fn(() => Promise.reject(cancelled));
    const fn2 = vi.fn(() => Promise.reject(abort));
    await expect(policy.execute(fn1)).rejects.toBe(cancelled);
    await expect(policy.execute(fn2)).rejects.toBe(abort);
    expect(fn1).toHaveBeenCalledTimes(1);
    expect(fn2).toHaveBeenCalledTimes(1);
  });

  it("stops promptly with the abort reason when aborted during the backoff sleep", async () => {
    const { clock } = recordingClock();
    const policy = new RetryPolicy({ spec: spec({ baseDelayMs: 60_000 }), clock, random: seededRandom(1) });
    const { fn } = flaky(99);
    const controller = new AbortController();
    const result = policy.execute(fn, controller.signal);
    await flush();
    expect(clock.pending()).toBe(1);
    const reason = new CancelledError("run cancelled");
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(clock.pending()).toBe(0);
  });

  it("does not retry when the caller's signal aborted during the attempt", async () => {
    const { clock } = recordingClock({ autoAdvance: true });
    const policy = new RetryPolicy({ spec: spec(), clock, random: seededRandom(1) });
    const controller = new AbortController();
    const fn = vi.fn(async () => {
      controller.abort();
      throw new Error("socket closed");
    });
    await expect(policy.execute(fn, controller.signal)).rejects.toThrow("socket closed");
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("does not call fn when the signal is already aborted", async () => {
    const { clock } = recordingClock();
    const policy = new RetryPolicy({ spec: spec(), clock, random: seededRandom(1) });
    const fn = vi.fn(async () => "x");
    const reason = new CancelledError();
    await expect(policy.execute(fn, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
  });

  it("lets delayOverride (e.g. Retry-After) win over backoff, capped by maxOverrideMs", async () => {
    const { clock, log } = recordingClock({ autoAdvance: true });
    const overrides = [5_000, 90_000, undefined];
    const policy = new RetryPolicy({
      spec: spec(),
      clock,
      random: seededRandom(1),
      delayOverride: () => overrides.shift(),
      maxOverrideMs: 60_000,
    });
    const { fn } = flaky(3);
    await expect(policy.execute(fn)).resolves.toBe("ok");
    expect(log).toEqual(["sleep 5000", "sleep 60000", "sleep 400"]);
  });

  it("continues from firstAttempt for a resumed step", async () => {
    const { clock, log } = recordingClock({ autoAdvance: true });
    const policy = new RetryPolicy({
      spec: spec({ maxAttempts: 3 }),
      clock,
      random: seededRandom(1),
      firstAttempt: 2,
    });
    const { fn, seen } = flaky(99);
    await expect(policy.execute(fn)).rejects.toMatchObject({ attempts: 3 });
    expect(seen).toEqual([2, 3]);
    expect(log).toEqual(["sleep 200"]);
  });

  it("rejects bad options with a TypeError naming the value", () => {
    const { clock } = recordingClock();
    const random = seededRandom(1);
    expect(() => new RetryPolicy({ spec: spec({ maxAttempts: 0 }), clock, random })).toThrow(
      /maxAttempts.*0/,
    );
    expect(() => new RetryPolicy({ spec: spec(), clock, random, maxOverrideMs: -1 })).toThrow(TypeError);
    expect(() => new RetryPolicy({ spec: spec(), clock, random, maxOverrideMs: -1 })).toThrow(
      /maxOverrideMs.*-1/,
    );
    expect(() => new RetryPolicy({ spec: spec(), clock, random, firstAttempt: 0 })).toThrow(
      /firstAttempt.*0/,
    );
  });
});
