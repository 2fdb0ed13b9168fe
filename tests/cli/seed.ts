import type { RunStatus } from "../../src/engine/journal.js";
import { createSqliteJournal } from "../../src/store/index.js";
import { newRun } from "../../src/testing/contract/builders.js";

export const DAY = 86_400_000;

export interface SeedRun {
  id: string;
  workflow?: string;
  status: RunStatus;
  /** Days ago the run was created; it finished (if it did) an hour later. */
  daysAgo: number;
}

/** Writes runs into a real SQLite journal at `path`, as if they had run at those times. */
export async function seedRuns(path: string, runs: readonly SeedRun[], now = Date.now()): Promise<void> {
  const journal = createSqliteJournal({ path });
  try {
    for (const r of runs) {
      const createdAt = now - r.daysAgo * DAY;
      await journal.createRun(newRun(r.id, { createdAt, workflow: r.workflow ?? "deploy" }), []);
      if (r.status === "running") continue;
      const finished = ["succeeded", "failed", "cancelled", "degraded"].includes(r.status);
      await journal.updateRun(
        r.id,
        {
          status: r.status,
          updatedAt: createdAt + 3_600_000,
          ...(finished ? { finishedAt: createdAt + 3_600_000 } : {}),
          releaseLeaseOf: "host-a",
        },
        [],
      );
    }
  } finally {
    await journal.close();
  }
}
