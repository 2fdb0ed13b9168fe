import { describe, expect, it } from "vitest";
import { STEP_LOG_LIMITS, StepLogs } from "../../../src/engine/executor/step-logs.js";
import { nullLogger } from "../../../src/engine/ports.js";
import { SecretMasker } from "../../../src/engine/secrets/index.js";
import { FakeClock } from "../../../src/engine/testing/fake-clock.js";
import { MemoryJournal } from "../../../src/store/index.js";
import { newRun } from "../../../src/testing/contract/builders.js";
import { secretFragments } from "../../support/fragments.js";

async function setup() {
  const journal = new MemoryJournal();
  await journal.createRun(newRun("r1"), []);
  const clock = new FakeClock();
  const logs = new StepLogs({
    journal,
    clock,
    logger: nullLogger,
    runId: "r1",
    masker: new SecretMasker(["hunter2-secret"]),
  });
  return { journal, clock, logs };
}

describe("StepLogs", () => {
  it("masks lines before they are stored and writes them in batches while the step runs", async () => {
    const { journal, clock, logs } = await setup();
    logs.line("build", 1, "stdout", "password is hunter2-secret");
    logs.line("build", 1, "stderr", `token ghp_${"x".repeat(36)}`);
    expect(await journal.listStepLog("r1")).toEqual([]);
    await clock.advance(500);
    const stored = await journal.listStepLog("r1");
    expect(stored.map((l) => [l.stream, l.text])).toEqual([
      ["stdout", "password is ***"],
      ["stderr", "token ***"],
    ]);
    logs.end("build", 1);
    expect(clock.pending()).toBe(0);
  });

  it("clips a very long line and writes what is left at the end of the attempt", async () => {
    const { journal, logs } = await setup();
    logs.line("build", 2, "stdout", "y".repeat(STEP_LOG_LIMITS.MAX_LINE_CHARS + 10));
    logs.end("build", 2);
    await Promise.resolve();
    const [line] = await journal.listStepLog("r1");
    expect(line?.attempt).toBe(2);
    expect(line?.text).toBe(`${"y".repeat(STEP_LOG_LIMITS.MAX_LINE_CHARS)} … [line clipped]`);
  });

  it("masks a long line before it clips it: a secret across the clip leaves no part of it", async () => {
    const { journal, logs } = await setup();
    const max = STEP_LOG_LIMITS.MAX_LINE_CHARS;
    // The secret starts 5 characters before the clip, and a token 3 before it.
    logs.line("build", 1, "stdout", `${"x".repeat(max - 5)}hunter2-secret${"z".repeat(10)}`);
    logs.line("build", 1, "stderr", `${"x".repeat(max - 3)}ghp_${"T".repeat(36)} ${"z".repeat(10)}`);
    logs.end("build", 1);
    await Promise.resolve();
    const texts = (await journal.listStepLog("r1")).map((l) => l.text);
    expect(texts).toEqual([
      `${"x".repeat(max - 5)}***zz … [line clipped]`,
      `${"x".repeat(max - 3)}*** … [line clipped]`,
    ]);
    expect(secretFragments("hunter2-secret", texts.join("\n"))).toEqual([]);
  });
});
