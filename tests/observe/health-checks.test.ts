import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock, flush } from "../../src/engine/testing/fake-clock.js";
import { HealthRegistry } from "../../src/observe/health.js";
import {
  diskSpaceCheck,
  eventLoopLagCheck,
  githubReachableCheck,
  inboxLagCheck,
  journalIntegrityCheck,
  journalWritableCheck,
  memoryCheck,
  recoveryRateCheck,
  sizeText,
} from "../../src/observe/health-checks.js";
import { registerJournalChecks } from "../../src/observe/health-setup.js";
import { MemoryJournal } from "../../src/store/memory/journal.js";
import { createSqliteJournal } from "../../src/store/sqlite/journal.js";
import { addRun } from "./history.js";

const signal = new AbortController().signal;
const dirs: string[] = [];
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), "stageflow-health-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("journal writable", () => {
  it("writes, syncs and removes a file in the journal's directory", async () => {
    const dir = temp();
    const outcome = await journalWritableCheck({ dir }).run(signal);
    expect(outcome).toEqual({ state: "pass", message: `wrote, synced and removed a file in ${dir}` });
    expect(readdirSync(dir)).toEqual([]);
  });

  it("fails, naming the directory, when it cannot write there", async () => {
    const dir = join(temp(), "gone");
    const outcome = await journalWritableCheck({ dir }).run(signal);
    expect(outcome.state).toBe("fail");
    expect(outcome.message).toMatch(new RegExp(`^cannot write in ${dir}: ENOENT`));
  });
});

describe("journal integrity", () => {
  it("passes on a sound SQLite journal, fails on a damaged checkpoint, and reuses its result for a while", async () => {
    const dir = temp();
    const journal = createSqliteJournal({ path: join(dir, "j.db") });
    try {
      const clock = new FakeClock();
      const check = journalIntegrityCheck({ journal, clock, everyMs: 60_000 });
      expect(await check.run(signal)).toMatchObject({ state: "pass", value: 0 });
      let calls = 0;
      const broken = journalIntegrityCheck({
        journal: {
          verify: async () => {
            calls++;
            return { ok: false, problems: ["checkpoint r1/build: checksum does not match"] };
          },
        },
        clock,
        everyMs: 60_000,
      });
      const first = await broken.run(signal);
      expect(first).toEqual({
        state: "fail",
        message: "1 problem(s): checkpoint r1/build: checksum does not match",
        value: 1,
      });
      await clock.advance(59_999);
      await broken.run(signal);
      expect(calls).toBe(1);
      await clock.advance(1);
      await broken.run(signal);
      expect(calls).toBe(2);
    } finally {
      await journal.close();
    }
  });
});

describe("inbox lag", () => {
  it("measures the oldest pending delivery's wait: pass, warn at 1 min, fail at 10 min", async () => {
    const clock = new FakeClock();
    let oldest: number | null = null;
    const check = inboxLagCheck({
      inbox: {
        inboxStats: async () => ({ pending: oldest === null ? 0 : 3, oldestPendingAt: oldest, total: 9 }),
      },
      clock,
    });
    expect(await check.run(signal)).toEqual({
      state: "pass",
      message: "0 pending deliveries, the oldest waiting 0ms",
      value: 0,
    });
    oldest = clock.now() - 61_000;
    expect(await check.run(signal)).toMatchObject({ state: "warn", value: 61_000 });
    oldest = clock.now() - 600_000;
    expect(await check.run(signal)).toEqual({
      state: "fail",
      message: "3 pending deliveries, the oldest waiting 10m",
      value: 600_000,
    });
  });
});

describe("GitHub API reachable", () => {
  it("caches GitHub's answer for its period", async () => {
    const clock = new FakeClock();
    let calls = 0;
    let up = true;
    const check = githubReachableCheck({
      clock,
      cacheMs: 60_000,
      ping: async () => {
        calls++;
        if (!up) throw new Error("connect ECONNREFUSED 127.0.0.1:9");
      },
    });
    expect(await check.run(signal)).toMatchObject({ state: "pass" });
    up = false;
    await clock.advance(30_000);
    expect(await check.run(signal)).toMatchObject({ state: "pass" });
    expect(calls).toBe(1);
    await clock.advance(30_000);
    expect(await check.run(signal)).toEqual({
      state: "fail",
      message: "GitHub's API did not answer: connect ECONNREFUSED 127.0.0.1:9",
    });
    expect(calls).toBe(2);
  });
});

describe("recovery success rate", () => {
  it("reads recovery episodes over its window from the journal, incrementally", async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const journal = new MemoryJournal();
    const check = recoveryRateCheck({ journal, clock, windowMs: 3_600_000 });
    expect(await check.run(signal)).toMatchObject({ state: "pass", value: null });
    // 9 of 10 recovered: 90%, the target.
    await addRun(journal, {
      id: "r1",
      createdAt: t0,
      durationMs: 1000,
      recoveries: Array.from({ length: 10 }, (_, i) => ({ at: t0 + i, ok: i !== 0 })),
    });
    expect(await check.run(signal)).toMatchObject({ state: "pass", value: 0.9 });
    // Two more failures: 9 of 12 = 75%, under the 80% minimum.
    await addRun(journal, {
      id: "r2",
      createdAt: t0,
      durationMs: 1000,
      recoveries: [
        { at: t0 + 20, ok: false },
        { at: t0 + 21, ok: false },
      ],
    });
    const failing = await check.run(signal);
    expect(failing.state).toBe("fail");
    expect(failing.message).toBe("75.0% of 12 recoveries succeeded in the last 1h (target 90%)");
    // An hour later they left the window; one new failure and one success: 50%.
    await clock.advance(3_600_000 + 100);
    await addRun(journal, {
      id: "r3",
      createdAt: clock.now(),
      durationMs: 1,
      recoveries: [
        { at: clock.now(), ok: true },
        { at: clock.now(), ok: false },
      ],
    });
    expect(await check.run(signal)).toMatchObject({ state: "fail", value: 0.5 });
  });

  it("counts each episode once when probes overlap", async () => {
    const clock = new FakeClock();
    const journal = new MemoryJournal();
    await addRun(journal, {
      id: "r1",
      createdAt: clock.now(),
      durationMs: 1,
      recoveries: [
        { at: clock.now(), ok: true },
        { at: clock.now(), ok: false },
      ],
    });
    // Two probes at once (or one that timed out while its read goes on): one read, shared.
    let reads = 0;
    const slow = {
      listEventsAfter: async (...args: Parameters<MemoryJournal["listEventsAfter"]>) => {
        reads++;
        await flush();
        return journal.listEventsAfter(...args);
      },
    };
    const check = recoveryRateCheck({ journal: slow, clock });
    const both = await Promise.all([check.run(signal), check.run(signal)]);
    expect(both.map((r) => r.message)).toEqual([
      "50.0% of 2 recoveries succeeded in the last 24h (target 90%)",
      "50.0% of 2 recoveries succeeded in the last 24h (target 90%)",
    ]);
    expect(reads).toBe(1);
    expect((await check.run(signal)).message).toBe(
      "50.0% of 2 recoveries succeeded in the last 24h (target 90%)",
    );
  });

  it("warns between the minimum and the target", async () => {
    const clock = new FakeClock();
    const journal = new MemoryJournal();
    await addRun(journal, {
      id: "r1",
      createdAt: clock.now(),
      durationMs: 1,
      recoveries: Array.from({ length: 10 }, (_, i) => ({ at: clock.now(), ok: i > 1 })),
    });
    expect(await recoveryRateCheck({ journal, clock }).run(signal)).toMatchObject({
      state: "warn",
      value: 0.8,
    });
  });
});

describe("the process's checks", () => {
  it("event-loop lag: warn at 200 ms, fail at 1 s", async () => {
    let lag = 10;
    const check = eventLoopLagCheck({ sample: () => lag });
    expect(await check.run(signal)).toMatchObject({ state: "pass", value: 10 });
    lag = 250;
    expect(await check.run(signal)).toMatchObject({ state: "warn", message: "p99 event-loop delay 250ms" });
    lag = 1500;
    expect(await check.run(signal)).toMatchObject({ state: "fail" });
    const real = eventLoopLagCheck();
    expect((await real.run(signal)).state).toBe("pass");
    real.stop();
  });

  it("memory: the heap against its limit", async () => {
    let used = 100 * 1024 * 1024;
    const check = memoryCheck({ sample: () => ({ usedBytes: used, limitBytes: 1024 * 1024 * 1024 }) });
    expect(await check.run(signal)).toEqual({
      state: "pass",
      message: "heap 100 MiB of 1.0 GiB (10%)",
      value: used,
    });
    used = 900 * 1024 * 1024;
    expect(await check.run(signal)).toMatchObject({ state: "warn" });
    used = 1000 * 1024 * 1024;
    expect(await check.run(signal)).toMatchObject({ state: "fail" });
    expect((await memoryCheck().run(signal)).state).toBe("pass");
  });

  it("disk space: free bytes on the journal's file system (fs.statfs)", async () => {
    const dir = temp();
    let free = 10 * 1024 ** 3;
    const check = diskSpaceCheck({
      dir,
      statfs: async () => ({ bavail: free / 4096, blocks: (100 * 1024 ** 3) / 4096, bsize: 4096 }),
    });
    expect(await check.run(signal)).toEqual({
      state: "pass",
      message: `10 GiB free of 100 GiB at ${dir}`,
      value: free,
    });
    free = 512 * 1024 ** 2;
    expect(await check.run(signal)).toMatchObject({ state: "warn" });
    free = 100 * 1024 ** 2;
    expect(await check.run(signal)).toMatchObject({ state: "fail" });
    const real = await diskSpaceCheck({ dir, failBytes: 1, warnBytes: 1 }).run(signal);
    expect(real.state).toBe("pass");
    expect(real.value).toBeGreaterThan(0);
  });

  it("sizeText", () => {
    expect([sizeText(12), sizeText(1536), sizeText(5 * 1024 ** 3)]).toEqual([
      "12 bytes",
      "1.5 KiB",
      "5.0 GiB",
    ]);
  });
});

describe("a journal's checks", () => {
  it("registers writable, disk space, integrity and recovery rate for a file; integrity and recovery for :memory:", () => {
    const onFile = new HealthRegistry();
    registerJournalChecks(onFile, { journal: new MemoryJournal(), path: join(temp(), "j.db") });
    expect(onFile.checks().map((c) => [c.name, c.critical])).toEqual([
      ["journal writable", true],
      ["disk space", false],
      ["journal integrity", true],
      ["recovery success rate", false],
    ]);
    const inMemory = new HealthRegistry();
    registerJournalChecks(inMemory, { journal: new MemoryJournal(), path: ":memory:" });
    expect(inMemory.checks().map((c) => c.name)).toEqual(["journal integrity", "recovery success rate"]);
  });
});
