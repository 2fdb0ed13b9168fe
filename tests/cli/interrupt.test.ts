import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
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
    expect(status.status).toBe("running");

    await sleep(300); // the interrupted process's lease expires
    const resumed = await stageflow(captureIo(tmp.dir), "resume", id!, "--db", db, "--lease-ms", "200");
    expect(resumed.err).toBe("");
    expect(resumed.code).toBe(0);
    // Ctrl-C shut the engine down gracefully: the lease was released, so no take-over was needed.
    expect(resumed.out).toMatch(/run resumed \(owner [^,]+, 1 finished step kept\)/);
    expect(readFileSync(count, "utf8")).toBe("a\nc\n");
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
