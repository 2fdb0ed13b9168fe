import type { RunQuery, RunRecord } from "stageflow";
import { type ContractTestApi, describeJournalContract, MemoryJournal } from "stageflow/testing";
import { describe, expect, it } from "vitest";

/** A journal that loses its runs from listRuns: the suite must catch it. */
class ForgetfulJournal extends MemoryJournal {
  override async listRuns(_query?: RunQuery): Promise<RunRecord[]> {
    return [];
  }
}

/**
 * Registers the exported suite through a test API of its own (no vitest describe/it/hooks), runs
 * every test it registered, and returns the names of those that failed.
 */
async function failuresOf(make: () => MemoryJournal): Promise<{ ran: number; failed: string[] }> {
  const tests: Array<{ name: string; body: () => Promise<void> }> = [];
  const before: Array<() => Promise<void>> = [];
  const after: Array<() => Promise<void>> = [];
  const path: string[] = [];
  const api: ContractTestApi = {
    describe(name, body) {
      path.push(name);
      body();
      path.pop();
    },
    it: (name, body) => void tests.push({ name: [...path, name].join(" > "), body }),
    expect,
    beforeEach: (hook) => void before.push(hook),
    afterEach: (hook) => void after.push(hook),
  };
  describeJournalContract("under test", async () => ({ journal: make(), cleanup: async () => {} }), api);
  const failed: string[] = [];
  for (const test of tests) {
    for (const hook of before) await hook();
    await test.body().catch(() => failed.push(test.name));
    for (const hook of after) await hook();
  }
  return { ran: tests.length, failed };
}

describe("the Journal contract suite from stageflow/testing", () => {
  it("runs through any test API with describe/it/expect/hooks: the memory journal passes it", async () => {
    const { ran, failed } = await failuresOf(() => new MemoryJournal());
    expect(ran).toBeGreaterThan(40);
    expect(failed).toEqual([]);
  });

  it("fails a journal that breaks the contract, naming the tests it breaks", async () => {
    const { failed } = await failuresOf(() => new ForgetfulJournal());
    expect(failed).toContainEqual(expect.stringMatching(/^Journal contract: under test > runs > /));
  });
});
