import { afterEach, beforeEach, describe } from "vitest";
import type { Journal } from "../../src/engine/journal.js";
import { describeAttemptContract } from "./attempts.contract.js";
import { describeDeleteContract } from "./delete.contract.js";
import { describeEventsAfterContract } from "./events-after.contract.js";
import { describeEventContract } from "./events.contract.js";
import type { JournalFixture, JournalHarness } from "./harness.js";
import { describeLeaseContract } from "./leases.contract.js";
import { describeMiscContract } from "./misc.contract.js";
import { describeProcessContract } from "./processes.contract.js";
import { describeRunContract } from "./runs.contract.js";
import { describeStepLogContract } from "./step-logs.contract.js";

export type { JournalFixture } from "./harness.js";

/**
 * The Journal conformance suite: every implementation (SQLite, in memory, a future PostgreSQL)
 * runs it. `make` returns a fresh, empty journal for each test.
 */
export function describeJournalContract(name: string, make: () => Promise<JournalFixture>): void {
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
    describeEventsAfterContract(harness);
  });
}
