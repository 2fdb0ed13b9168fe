import { statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startCheckpointer } from "../../../src/app/state/checkpointer.js";
import { createSqliteAppStore } from "../../../src/app/state/sqlite.js";
import { memoryLog } from "../intake/harness.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe("checkpoint thread", () => {
  it("moves the WAL into the database file while the store's connection never checkpoints", async () => {
    const dir = await mkdtemp(join(tmpdir(), "stageflow-checkpoint-"));
    dirs.push(dir);
    const path = join(dir, "app.db");
    const store = createSqliteAppStore({ path, autoCheckpoint: false });
    expect(store.db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    const payload = JSON.stringify({ body: "x".repeat(10_000) });
    for (let i = 0; i < 400; i++)
      await store.recordDelivery({ id: `d${i}`, name: "push", payload, receivedAt: i });
    const before = statSync(path).size;
    expect(before).toBeLessThan(200_000); // everything is still in the WAL

    const log = memoryLog();
    const checkpointer = startCheckpointer({ path, log, intervalMs: 10 });
    const deadline = Date.now() + 15_000;
    while (statSync(path).size < 3_000_000 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(statSync(path).size).toBeGreaterThan(3_000_000);
    await checkpointer.stop();
    expect(log.lines.filter((l) => l.level !== "debug")).toEqual([]);
    expect((await store.getDelivery("d399"))?.payload).toBe(payload);
    await store.close();
  });
});
