import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../src/engine/testing/fake-clock.js";
import { builtinSteps } from "../../src/steps/index.js";
import { waitStep } from "../../src/steps/wait.js";
import { makeContext, type TestContext } from "./context.js";

let current: TestContext | undefined;
afterEach(async () => {
  await current?.cleanup();
  current = undefined;
});

describe("wait step", () => {
  it("sleeps on the engine clock for the configured duration", async () => {
    const clock = new FakeClock();
    current = await makeContext({ config: "2s", clock });
    let done = false;
    const pending = waitStep.execute(current.ctx).then(() => {
      done = true;
    });
    await clock.advance(1999);
    expect(done).toBe(false);
    await clock.advance(1);
    await pending;
    expect(done).toBe(true);
  });

  it("accepts a number of milliseconds", async () => {
    const clock = new FakeClock();
    current = await makeContext({ config: 500, clock });
    const pending = waitStep.execute(current.ctx);
    await clock.advance(500);
    await expect(pending).resolves.toBeUndefined();
  });

  it("rejects with the signal's reason when aborted", async () => {
    const clock = new FakeClock();
    current = await makeContext({ config: "2m", clock });
    const pending = waitStep.execute(current.ctx);
    const reason = new Error("cancelled by user");
    current.controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(clock.pending()).toBe(0);
  });

  it("validates the duration", () => {
    expect(waitStep.validate?.("2m", {})).toEqual([]);
    expect(waitStep.validate?.(250, {})).toEqual([]);
    expect(waitStep.validate?.("${{ inputs.delay }}", {})).toEqual([]);
    expect(waitStep.validate?.("soon", {})?.[0]?.[1]).toMatch(/must be a duration/);
    expect(waitStep.validate?.(-1, {})).toHaveLength(1);
  });
});

describe("builtinSteps", () => {
  it("gives http and wait, and run only when the host passes its directory and environment", () => {
    const steps = builtinSteps();
    expect(Object.keys(steps).sort()).toEqual(["http", "wait"]);
    expect(steps.wait).toBe(waitStep);
    const withRun = builtinSteps({ run: { cwd: process.cwd(), env: {} } });
    expect(Object.keys(withRun).sort()).toEqual(["http", "run", "wait"]);
    expect(withRun.run?.rawConfig).toBe(true);
  });
});
