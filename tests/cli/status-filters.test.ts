import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureIo, stageflow, tempDir } from "./helpers.js";
import { DAY, seedRuns } from "./seed.js";

const id = (n: number) => `0193a1b2-c3d4-7e5f-8a9b-00000000000${n}`;

describe("status filters: --status, --workflow, --since", () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  const cli = (...args: string[]) => stageflow(captureIo(tmp.dir), "status", "--db", db, ...args);
  /** The short ids listed, in order. */
  const listed = (out: string) => [...out.matchAll(/^(0000000\d)\s/gm)].map((m) => Number(m[1]));

  beforeEach(async () => {
    tmp = tempDir();
    db = tmp.path("j.db");
    await seedRuns(db, [
      { id: id(1), status: "succeeded", daysAgo: 10 },
      { id: id(2), status: "failed", daysAgo: 5, workflow: "release" },
      { id: id(3), status: "failed", daysAgo: 1 },
      { id: id(4), status: "blocked", daysAgo: 0.5, workflow: "release" },
      { id: id(5), status: "running", daysAgo: 0.01 },
    ]);
  });
  afterEach(() => tmp.cleanup());

  it("lists every run without filters, newest first", async () => {
    expect(listed((await cli()).out)).toEqual([5, 4, 3, 2, 1]);
  });

  it("filters by status (comma list or repeated), workflow, and start time", async () => {
    expect(listed((await cli("--status", "failed")).out)).toEqual([3, 2]);
    expect(listed((await cli("--status", "failed,blocked")).out)).toEqual([4, 3, 2]);
    expect(listed((await cli("--status", "running", "--status", "succeeded")).out)).toEqual([5, 1]);
    expect(listed((await cli("--workflow", "release")).out)).toEqual([4, 2]);
    expect(listed((await cli("--since", "2d")).out)).toEqual([5, 4, 3]);
    expect(listed((await cli("--since", "36h", "--status", "failed")).out)).toEqual([3]);
    const date = new Date(Date.now() - 7 * DAY).toISOString().slice(0, 10);
    expect(listed((await cli("--since", date, "--workflow", "release")).out)).toEqual([4, 2]);
    expect((await cli("--workflow", "nope")).out).toBe("no runs match\n");
  });

  it("filters the --json list too", async () => {
    const { code, out } = await cli("--status", "failed", "--json");
    expect(code).toBe(0);
    expect(JSON.parse(out).map((r: { id: string }) => r.id)).toEqual([id(3), id(2)]);
  });

  it("refuses an unknown status or a bad time with exit 2, naming the value", async () => {
    const bad = await cli("--status", "failed,done");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("unknown status 'done' (one of: running, waiting, blocked");
    const when = await cli("--since", "yesterday");
    expect(when.code).toBe(2);
    expect(when.err).toContain(
      "expected a duration such as '2h' or '30d', or a date such as '2024-05-01', got 'yesterday'",
    );
  });
});
