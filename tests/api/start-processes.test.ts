/**
 * Idempotent start across OS processes: real child processes (tests/fixtures/start/start-keyed.ts)
 * on one SQLite file start the same key; the journal records one run and every process gets its id.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSqliteJournal } from "stageflow/sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanEnv, node, type Proc, ROOT } from "../recovery/ownership-processes.js";

const FIXTURE = join(ROOT, "tests/fixtures/start/start-keyed.ts");

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "stageflow-start-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const starter = (db: string, key: string): Proc =>
  node([FIXTURE, db, key], ROOT, cleanEnv({ MARK_LOG: join(dir, "marks.log") }));

/** Lets the started processes go (all at once) and collects what each printed. */
async function play(procs: Proc[]) {
  for (const p of procs) expect(await p.line()).toBe("READY");
  for (const p of procs) p.child.stdin.write("go\n");
  const outcomes = await Promise.all(
    procs.map(async (p) => {
      const handle = JSON.parse(await p.line()) as { runId: string; existing: boolean };
      const result = JSON.parse(await p.line()) as { status: string; reason: string };
      const { code } = await p.exit;
      expect(code, p.err()).toBe(0);
      return { ...handle, ...result };
    }),
  );
  const marks = (await readFile(join(dir, "marks.log"), "utf8")).trim().split("\n");
  return { outcomes, marks };
}

async function runsIn(db: string) {
  const journal = createSqliteJournal({ path: db });
  try {
    return await journal.listRuns();
  } finally {
    await journal.close();
  }
}

describe("idempotent start across processes (SQLite)", () => {
  it("a second process starting the same key gets the first run's id and starts nothing", async () => {
    const db = join(dir, "state.db");
    const first = await play([starter(db, "delivery-1")]);
    expect(first.outcomes).toEqual([
      { runId: expect.any(String), existing: false, status: "succeeded", reason: "succeeded" },
    ]);
    const runId = first.outcomes[0]?.runId;

    const second = await play([starter(db, "delivery-1")]);
    expect(second.outcomes).toEqual([{ runId, existing: true, status: "succeeded", reason: "succeeded" }]);
    // The step ran once, in the first process.
    expect(second.marks).toHaveLength(1);
    const runs = await runsIn(db);
    expect(runs.map((r) => [r.id, r.key])).toEqual([[runId, "delivery-1"]]);
  });

  it("two processes starting one key at once: the journal records one run, both get its id", async () => {
    const db = join(dir, "state.db");
    // The file exists (migrated) before the race, as it would for a host that is up.
    await runsIn(db);
    const { outcomes, marks } = await play([starter(db, "delivery-2"), starter(db, "delivery-2")]);
    const runs = await runsIn(db);
    expect(runs).toHaveLength(1);
    const runId = runs[0]?.id;
    expect(outcomes.map((o) => o.runId)).toEqual([runId, runId]);
    expect(outcomes.map((o) => o.existing).sort()).toEqual([false, true]);
    expect(marks).toHaveLength(1);
    expect(marks[0]?.startsWith(`${runId} `)).toBe(true);
  });
});
