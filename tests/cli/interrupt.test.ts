import { existsSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { groupAlive } from "../../src/steps/process-identity.js";
import { createSqliteJournal } from "../../src/store/index.js";
import { journal as recorded } from "../recovery/processes.js";
import { captureIo, stageflow, tempDir } from "./helpers.js";

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await sleep(10);
  }
}

describe("interrupt and resume (in-process)", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it("Ctrl-C exits 130 with the resume command, and resume finishes the run without repeating steps", async () => {
    const db = tmp.path("state.db");
    const count = tmp.path("count");
    tmp.write(
      "slow.yml",
      `name: slow
stages:
  - id: s
    steps:
      - id: a
        run: echo a >> "${count}"
      - id: b
        run: sleep 0.3
      - id: c
        run: echo c >> "${count}"
`,
    );
    const io = captureIo(tmp.dir);
    const running = stageflow(io, "run", "slow.yml", "--db", db, "--lease-ms", "200");
    await until(() => io.out().includes("s/b started"));
    io.interrupt();
    const result = await running;
    expect(result.code).toBe(130);
    const id = /interrupted; resume with: stageflow resume (\S+)/.exec(result.err)?.[1];
    expect(id).toBeDefined();
    const status = JSON.parse((await stageflow(captureIo(tmp.dir), "status", id!, "--db", db, "--json")).out);
    // Nobody executes it any more: status says so (the journal still records `running`).
    expect(status.status).toBe("interrupted");

    await sleep(300); // the interrupted process's lease expires
    const resumed = await stageflow(captureIo(tmp.dir), "resume", id!, "--db", db, "--lease-ms", "200");
    expect(resumed.err).toBe("");
    expect(resumed.code).toBe(0);
    // Ctrl-C shut the engine down gracefully: the lease was released, so no take-over was needed.
    expect(resumed.out).toMatch(/run resumed \(owner [^,]+, 1 finished step kept\)/);
    expect(readFileSync(count, "utf8")).toBe("a\nc\n");
  });

  it("SIGTERM stops the run as Ctrl-C does: its step's group stopped, its lease released, exit 143", async () => {
    const db = tmp.path("state.db");
    tmp.write(
      "long.yml",
      "name: long\nstages:\n  - id: s\n    steps:\n      - id: a\n        run: sleep 30\n",
    );
    const io = captureIo(tmp.dir);
    const running = stageflow(io, "run", "long.yml", "--db", db);
    // The step's command runs once its process group is journaled.
    await until(() => {
      try {
        return existsSync(db) && recorded(db).groups().length > 0;
      } catch {
        return false; // the journal is being created
      }
    });
    io.interrupt("SIGTERM");
    const result = await running;
    expect(result.code).toBe(143);
    const id = /terminated \(SIGTERM\); resume with: stageflow resume (\S+)/.exec(result.err)?.[1] as string;
    expect(id).toBeDefined();
    const journal = createSqliteJournal({ path: db });
    try {
      expect(await journal.getRun(id)).toMatchObject({ status: "running", leaseOwner: null });
      const [group] = await journal.listProcesses(id);
      expect(groupAlive((group?.process as { pgid: number }).pgid)).toBe(false);
    } finally {
      await journal.close();
    }
  });

  it("resume --all takes over interrupted runs; cancel ends an orphaned one", async () => {
    const db = tmp.path("state.db");
    tmp.write(
      "two.yml",
      "name: two\nstages:\n  - id: s\n    steps:\n      - id: a\n        run: sleep 0.2\n      - id: b\n        run: 'true'\n",
    );
    const interruptedRun = async () => {
      const io = captureIo(tmp.dir);
      const running = stageflow(io, "run", "two.yml", "--db", db, "--lease-ms", "200");
      await until(() => io.out().includes("s/a started"));
      io.interrupt();
      expect((await running).code).toBe(130);
      return /resume with: stageflow resume (\S+)/.exec(io.err())?.[1] as string;
    };
    const first = await interruptedRun();
    const second = await interruptedRun();
    await sleep(300);

    const cancel = await stageflow(captureIo(tmp.dir), "cancel", second, "--db", db);
    expect(cancel.code).toBe(0);
    expect(cancel.out).toBe(`run ${second} cancelled\n`);

    const all = await stageflow(captureIo(tmp.dir), "resume", "--all", "--db", db, "--json");
    expect(all.code).toBe(0);
    const reports = JSON.parse(all.out) as Array<{ id: string; status: string }>;
    expect(reports).toEqual([expect.objectContaining({ id: first, status: "succeeded" })]);
  });
});
