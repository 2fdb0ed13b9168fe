import { describe, expect, it, vi } from "vitest";
import type { RetrySpec } from "../../../src/engine/definition/plan.js";
import {
  CancelledError,
  isCircuitOpen,
  RetriesExhaustedError,
  TimeoutError,
} from "../../../src/engine/errors.js";
import {
  CircuitBreaker,
  type Policy,
  type PolicyContext,
  RetryPolicy,
  TimeoutPolicy,
  wrap,
} from "../../../src/engine/policies/index.js";
import { seededRandom } from "../../../src/engine/ports.js";
import { FakeClock, flush } from "../../../src/engine/testing/fake-clock.js";
import { never } from "./helpers.js";

const spec = (over: Partial<RetrySpec> = {}): RetrySpec => ({
  maxAttempts: 3,
  backoff: "constant",
  baseDelayMs: 100,
  maxDelayMs: 10_000,
  jitter: "none",
  ...over,
});

function logging(name: string, log: string[]): Policy {
  return {
    async execute(fn, signal) {
      log.push(`>${name}`);
      try {
        return await fn({ signal: signal ?? new AbortController().signal, attempt: 1 });
      } finally {
        log.push(`<${name}`);
      }
    },
  };
}

describe("wrap", () => {
  it("composes outer → inner, first is outermost", async () => {
    const log: string[] = [];
    const policy = wrap(logging("a", log), logging("b", log), logging("c", log));
    await policy.execute(async () => log.push("fn"));
    expect(log).toEqual([">a", ">b", ">c", "fn", "<c", "<b", "<a"]);
  });

  it("with no policies runs fn with attempt 1 and the caller's signal", async () => {
    const controller = new AbortController();
    await expect(wrap().execute(async (ctx) => ctx, controller.signal)).resolves.toEqual({
      signal: controller.signal,
      attempt: 1,
    });
  });

  it("retry around timeout: each attempt gets its own timeout and sees its attempt number", async () => {
    const clock = new FakeClock(undefined, { autoAdvance: true });
    const start = clock.now();
    const policy = wrap(
      new RetryPolicy({ spec: spec(), clock, random: seededRandom(1) }),
      new TimeoutPolicy({ ms: 1000, clock }),
    );
    const contexts: PolicyContext[] = [];
    const result = await policy.execute(async (ctx) => {
      contexts.push(ctx);
      return ctx.attempt < 3 ? never<string>() : "third time lucky";
    });
    expect(result).toBe("third time lucky");
    expect(contexts.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(contexts.map((c) => c.signal.reason instanceof TimeoutError)).toEqual([true, true, false]);
    expect(new Set(contexts.map((c) => c.signal)).size).toBe(3);
    expect(clock.now() - start).toBe(1000 + 100 + 1000 + 100);
    expect(clock.pending()).toBe(0);
  });

  it("retry, breaker, timeout: the breaker counts each attempt and stops the retries when open", async () => {
    const clock = new FakeClock(undefined, { autoAdvance: true });
    const breaker = new CircuitBreaker({ dependency: "api", clock, failureThreshold: 2 });
    const fn = vi.fn(async () => {
      throw new Error("503");
    });
    const retrying = wrap(
      new RetryPolicy({ spec: spec({ maxAttempts: 5 }), clock, random: seededRandom(1) }),
      breaker,
      new TimeoutPolicy({ ms: 1000, clock }),
    );
    const error = await retrying.execute(fn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(isCircuitOpen((error as RetriesExhaustedError).lastError)).toBe(true);
    expect(fn).toHaveBeenCalledTimes(2);

    const fast = new CircuitBreaker({ dependency: "api2", clock, failureThreshold: 2 });
    const fn2 = vi.fn(async () => {
      throw new Error("503");
    });
    const giveUpWhenOpen = wrap(
      new RetryPolicy({
        spec: spec({ maxAttempts: 5 }),
        clock,
        random: seededRandom(1),
        shouldRetry: (e) => !isCircuitOpen(e),
      }),
      fast,
      new TimeoutPolicy({ ms: 1000, clock }),
    );
    await expect(giveUpWhenOpen.execute(fn2)).rejects.toSatisfy(isCircuitOpen);
    expect(fn2).toHaveBeenCalledTimes(2);
  });

  it("carries the caller's abort to the innermost fn", async () => {
    const clock = new FakeClock();
    const policy = wrap(
      new RetryPolicy({ spec: spec(), clock, random: seededRandom(1) }),
      new CircuitBreaker({ dependency: "api", clock }),
      new TimeoutPolicy({ ms: 1000, clock }),
    );
    const controller = new AbortController();
    let ctx: PolicyContext | undefined;
    const call = policy.execute((c) => {
      ctx = c;
      return never();
    }, controller.signal);
    await flush();
    const reason = new CancelledError("stop");
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(ctx?.signal.reason).toBe(reason);
    expect(clock.pending()).toBe(0);
  });
});
