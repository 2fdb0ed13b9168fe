import type { Journal } from "../../engine/journal.js";
import { describeAttemptContract } from "./attempts.contract.js";
import { describeDeleteContract } from "./delete.contract.js";
import { describeEventsAfterContract } from "./events-after.contract.js";
import { describeEventContract } from "./events.contract.js";
import type { ContractTestApi, JournalFixture, JournalHarness } from "./harness.js";
import { describeLeaseContract } from "./leases.contract.js";
import { describeMiscContract } from "./misc.contract.js";
import { describeProcessContract } from "./processes.contract.js";
import { describeRunContract } from "./runs.contract.js";
import { describeRunKeyContract } from "./runs-key.contract.js";
import { describeSignalContract } from "./signals.contract.js";
import { describeStepLogContract } from "./step-logs.contract.js";

export type {
  ContractExpect,
  ContractMatchers,
  ContractTestApi,
  JournalFixture,
  JournalHarness,
} from "./harness.js";

/**
 * The Journal conformance suite: every implementation (SQLite, in memory, a future PostgreSQL)
 * runs it. `make` returns a fresh, empty journal for each test; `t` is the test framework's
 * `{ describe, it, expect, beforeEach, afterEach }` (vitest's or Jest's, as they are).
 *
 *   import { describe, it, expect, beforeEach, afterEach } from "vitest";
 *   import { describeJournalContract } from "stageflow/testing";
 *   describeJournalContract("MyJournal", async () => ({ journal: new MyJournal(), cleanup: async () => {} }),
 *     { describe, it, expect, beforeEach, afterEach });
 */
export function describeJournalContract(
  name: string,
  make: () => Promise<JournalFixture>,
  t: ContractTestApi,
): void {
  const { describe, beforeEach, afterEach } = t;
  describe(`Journal contract: ${name}`, () => {
    let fixture: JournalFixture | undefined;
    let current: Journal | undefined;

    const harness: JournalHarness = {
      get journal(): Journal {
        if (!current) throw new Error("the journal is only available inside a test");
        return current;
      },
      async reopen(): Promise<Journal> {
        if (fixture?.reopen) current = await fixture.reopen();
        return harness.journal;
      },
      t,
      async corrupt(): Promise<Journal | undefined> {
        if (!fixture?.corrupt) return undefined;
        const damaged = fixture.corrupt();
        current = undefined;
        current = await damaged;
        return current;
      },
    };

    beforeEach(async () => {
      fixture = await make();
      current = fixture.journal;
    });
    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
      current = undefined;
    });

    describeRunContract(harness);
    describeLeaseContract(harness);
    describeAttemptContract(harness);
    describeEventContract(harness);
    describeMiscContract(harness);
    describeDeleteContract(harness);
    describeStepLogContract(harness);
    describeProcessContract(harness);
    describeRunKeyContract(harness);
    describeSignalContract(harness);
    describeEventsAfterContract(harness);
  });
}
