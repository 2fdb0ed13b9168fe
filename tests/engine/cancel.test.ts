import { describe, expect, it } from "vitest";
import { Cancel, cancelOf } from "../../src/engine/cancel.js";
import { TimeoutError } from "../../src/engine/errors.js";
import { TimeoutPolicy } from "../../src/engine/policies/index.js";
import { FakeClock } from "../../src/engine/testing/fake-clock.js";

describe("Cancel", () => {
  it("follows its parent: aborted with the parent's reason, listeners called once", () => {
    const parent = new Cancel();
    const child = Cancel.following(parent);
    const seen: unknown[] = [];
    child.onAbort((r) => seen.push(r));
    parent.abort("first");
    parent.abort("second");
    expect(child).toMatchObject({ aborted: true, reason: "first" });
    expect(seen).toEqual(["first"]);
  });

  it("makes its AbortSignal only when read, already aborted when read after the abort", () => {
    const c = new Cancel();
    c.abort("why");
    expect(c.signal.aborted).toBe(true);
    expect(c.signal.reason).toBe("why");
    const d = new Cancel();
    const signal = d.signal;
    d.abort("later");
    expect(signal.reason).toBe("later");
  });

  it("stops following the parent once disposed, and a late listener runs at once", () => {
    const parent = new Cancel();
    const child = Cancel.following(parent);
    child.dispose();
    parent.abort("gone");
    expect(child.aborted).toBe(false);
    const seen: unknown[] = [];
    parent.onAbort((r) => seen.push(r));
    expect(seen).toEqual(["gone"]);
  });

  it("follows an AbortSignal, before or after it aborts", () => {
    const controller = new AbortController();
    const live = Cancel.following(controller.signal);
    controller.abort("stop");
    expect(live.reason).toBe("stop");
    expect(Cancel.following(controller.signal)).toMatchObject({ aborted: true, reason: "stop" });
    const unsubscribe = cancelOf(new AbortController().signal).onAbort(() => {});
    expect(unsubscribe).toBeTypeOf("function");
  });
});

describe("TimeoutPolicy.within (the executor's form)", () => {
  it("rejects with the parent's reason and aborts the call's signal", async () => {
    const clock = new FakeClock(0);
    const parent = new Cancel();
    let signal: AbortSignal | undefined;
    const call = new TimeoutPolicy({ ms: 1_000, clock }).within(
      (ctx) =>
        new Promise(() => {
          signal = ctx.signal;
        }),
      parent,
    );
    parent.abort("sibling failed");
    await expect(call).rejects.toBe("sibling failed");
    expect(signal?.reason).toBe("sibling failed");
  });

  it("times out on the clock; a handler reading its signal afterwards sees the TimeoutError", async () => {
    const clock = new FakeClock(0);
    let read: (() => AbortSignal) | undefined;
    const call = new TimeoutPolicy({ ms: 500, clock }).within((ctx) => {
      read = () => ctx.signal;
      return new Promise(() => {});
    }, new Cancel());
    const rejected = expect(call).rejects.toBeInstanceOf(TimeoutError);
    await clock.advance(500);
    await rejected;
    expect(read?.().reason).toBeInstanceOf(TimeoutError);
  });

  it("refuses to start under an aborted parent", async () => {
    const parent = new Cancel();
    parent.abort("already");
    let ran = false;
    await expect(
      new TimeoutPolicy({ ms: 10, clock: new FakeClock(0) }).within(async () => {
        ran = true;
      }, parent),
    ).rejects.toBe("already");
    expect(ran).toBe(false);
  });
});
