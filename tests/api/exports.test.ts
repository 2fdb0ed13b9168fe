import { createEngine, isRefused, RefusedError, REFUSALS } from "stageflow";
import { createSqliteJournal } from "stageflow/sqlite";
import { FakeClock, MemoryJournal } from "stageflow/testing";
import { describe, expect, it } from "vitest";

describe("package entry points", () => {
  it("give the engine, the SQLite journal and the testing kit by name", async () => {
    expect(typeof createSqliteJournal).toBe("function");
    const engine = createEngine({ journal: new MemoryJournal(), clock: new FakeClock() });
    const error = await engine.report("nope").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(REFUSALS).toContain("run_not_found");
    expect(isRefused(new RefusedError("run_not_found", "x"), "run_not_found")).toBe(true);
  });
});
