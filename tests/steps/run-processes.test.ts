/**
 * The `run` kind's process groups: journaled before the command starts, stopped with everything
 * in them when the command ends, and — on resume — stopped only when provably the recorded group.
 */
import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { hostname } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { nullLogger } from "../../src/engine/ports.js";
import { type GroupRecord, stopOrphanGroup } from "../../src/steps/orphans.js";
import { groupAlive, processStart } from "../../src/steps/process-identity.js";
import { makeContext, type TestContext, waitFor, processRunStep } from "./context.js";

const runStep = processRunStep();

let current: TestContext | undefined;
const groups: number[] = [];
afterEach(async () => {
  await current?.cleanup();
  current = undefined;
  for (const g of groups.splice(0)) {
    try {
      process.kill(-g, "SIGKILL");
    } catch {
      // gone
    }
  }
});

/** A real process group (a shell and a background child), outside any test's control. */
async function liveGroup(): Promise<number> {
  const child = spawn("/bin/sh", ["-c", "sleep 30 & sleep 30"], { detached: true, stdio: "ignore" });
  child.unref();
  const pgid = child.pid as number;
  groups.push(pgid);
  await waitFor(() => (groupAlive(pgid) ? true : undefined));
  return pgid;
}

describe("run step: its process group is journaled before the command starts", () => {
  it("records the group id and its leader's start time, and only then lets the command run", async () => {
    let release: () => void = () => {};
    const recorded: unknown[] = [];
    current = await makeContext({
      config: 'echo "leader $$"; touch "$STAGEFLOW_OUTPUT.ran"',
      async recordProcess(p) {
        recorded.push(p);
        await new Promise<void>((r) => (release = r));
      },
    });
    const t = current;
    const pending = runStep.execute(t.ctx);
    const record = (await waitFor(() => recorded[0])) as GroupRecord;
    expect(record).toEqual({
      pgid: expect.any(Number),
      start: await processStart(record.pgid),
      host: hostname(),
      platform: process.platform,
    });
    expect(record.start).toMatch(/^(linux|darwin):/);
    // Not yet recorded durably: the command waits at the gate.
    await new Promise((r) => setTimeout(r, 200));
    expect(t.logs.some((l) => l.msg.startsWith("leader"))).toBe(false);
    release();
    await pending;
    expect(t.logs.find((l) => l.msg.startsWith("leader"))?.msg).toBe(`leader ${record.pgid}`);
  });

  it("never starts the command when the record cannot be written", async () => {
    current = await makeContext({
      config: 'touch "$STAGEFLOW_OUTPUT.ran"',
      recordProcess: async () => {
        throw new Error("journal is read-only");
      },
    });
    await expect(runStep.execute(current.ctx)).rejects.toThrow("journal is read-only");
    const files = await readdir(current.workDir);
    expect(files.filter((f) => f.endsWith(".ran"))).toEqual([]);
  });

  it("stops what the command left running in its group when it ends", async () => {
    current = await makeContext({
      config: 'sleep 30 & echo "bg $!"; echo "done=yes" >> "$STAGEFLOW_OUTPUT"',
    });
    await expect(runStep.execute(current.ctx)).resolves.toEqual({ done: "yes" });
    const pgid = (current.processes[0] as GroupRecord).pgid;
    expect(groupAlive(pgid)).toBe(false);
  });
});

describe("run step: stopping a dead owner's group on resume", () => {
  it("stops the recorded group, with everything in it, when its leader's start matches", async () => {
    const pgid = await liveGroup();
    const record: GroupRecord = {
      pgid,
      start: (await processStart(pgid)) ?? null,
      host: hostname(),
      platform: process.platform,
    };
    await expect(stopOrphanGroup(record, nullLogger, { graceMs: 2000 })).resolves.toBe("stopped");
    expect(groupAlive(pgid)).toBe(false);
  });

  it("does NOT touch a group whose leader started at another time (the pid was reused)", async () => {
    const pgid = await liveGroup();
    const start = (await processStart(pgid)) ?? "";
    const reused: GroupRecord = { pgid, start: `${start}0`, host: hostname(), platform: process.platform };
    await expect(stopOrphanGroup(reused, nullLogger, { graceMs: 300 })).resolves.toBe("not_ours");
    await new Promise((r) => setTimeout(r, 100));
    expect(groupAlive(pgid)).toBe(true);
  });

  it("never kills by pid alone: no start recorded, or another host, leaves the group alone", async () => {
    const pgid = await liveGroup();
    const start = (await processStart(pgid)) ?? null;
    const noStart: GroupRecord = { pgid, start: null, host: hostname(), platform: process.platform };
    const elsewhere: GroupRecord = { pgid, start, host: `not-${hostname()}`, platform: process.platform };
    await expect(stopOrphanGroup(noStart, nullLogger, { graceMs: 300 })).resolves.toBe("unknown");
    await expect(stopOrphanGroup(elsewhere, nullLogger, { graceMs: 300 })).resolves.toBe("unknown");
    await expect(stopOrphanGroup({ pgid: "1" }, nullLogger, { graceMs: 300 })).resolves.toBe("unknown");
    expect(groupAlive(pgid)).toBe(true);
  });

  it("says `gone` for a group that ended", async () => {
    const child = spawn("/bin/sh", ["-c", "sleep 0.3"], { detached: true, stdio: "ignore" });
    const pgid = child.pid as number;
    const start = (await processStart(pgid)) ?? null;
    await new Promise((r) => child.once("exit", r));
    const record: GroupRecord = { pgid, start, host: hostname(), platform: process.platform };
    await expect(stopOrphanGroup(record, nullLogger, { graceMs: 300 })).resolves.toBe("gone");
  });
});
