import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeClock } from "stageflow/testing";
import { createInboxWorker, type InboxWorker } from "../../../src/app/intake/worker.js";
import { createSqliteAppStore } from "../../../src/app/state/sqlite.js";
import type { AppStore, InboxEntry } from "../../../src/app/state/types.js";
import { memoryLog } from "./harness.js";

let dir: string;
let store: AppStore;
let clock: FakeClock;
const workers: InboxWorker[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "stageflow-worker-"));
  store = createSqliteAppStore({ path: join(dir, "app.db") });
  clock = new FakeClock();
});
afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const record = (id: string, receivedAt: number, name = "issues") =>
  store.recordDelivery({ id, name, payload: JSON.stringify({ id }), receivedAt });

function worker(
  handle: (e: InboxEntry) => Promise<"done" | "ignored">,
  extra: { concurrency?: number; maxAttempts?: number } = {},
) {
  const w = createInboxWorker({ store, handle, clock, log: memoryLog(), ...extra });
  workers.push(w);
  return w;
}

/** A promise and its resolver. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe("inbox worker", () => {
  it("at start, handles what is pending (a crash after recording) oldest first, each once", async () => {
    await record("late", 30);
    await record("early", 10);
    await record("middle", 20);
    await store.startDelivery("middle"); // began before a crash: still pending
    const seen: string[] = [];
    const w = worker(async (e) => {
      seen.push(e.id);
      return e.id === "late" ? "ignored" : "done";
    });
    await w.drain();
    expect(seen).toEqual(["early", "middle", "late"]);
    expect(await store.getDelivery("early")).toMatchObject({
      status: "done",
      attempts: 1,
      finishedAt: clock.now(),
    });
    expect(await store.getDelivery("middle")).toMatchObject({ status: "done", attempts: 2 });
    expect(await store.getDelivery("late")).toMatchObject({ status: "ignored", attempts: 1 });
    expect(await store.inboxStats()).toEqual({ pending: 0, oldestPendingAt: null, total: 3 });
  });

  it("takes what is recorded later when kicked", async () => {
    const seen: string[] = [];
    const w = worker(async (e) => {
      seen.push(e.id);
      return "done";
    });
    await w.drain();
    await record("a", 1);
    await record("b", 2);
    w.kick();
    w.kick();
    await w.drain();
    expect(seen).toEqual(["a", "b"]);
  });

  it("keeps a delivery whose handler throws pending with its error, retries it after the backoff, and then leaves it done", async () => {
    await record("flaky", 1);
    let calls = 0;
    const w = worker(async () => {
      calls++;
      if (calls === 1) throw new Error("GitHub said 502");
      return "done";
    });
    await w.drain();
    expect(await store.getDelivery("flaky")).toMatchObject({
      status: "pending",
      attempts: 1,
      error: "GitHub said 502",
    });
    expect(w.retrying()).toBe(1);
    await clock.advance(999);
    expect(calls).toBe(1);
    await clock.advance(1);
    await w.drain();
    expect(calls).toBe(2);
    expect(await store.getDelivery("flaky")).toMatchObject({ status: "done", attempts: 2 });
    expect(w.retrying()).toBe(0);
  });

  it("retries at the next start a delivery whose process died while its retry waited", async () => {
    await record("flaky", 1);
    const first = worker(async () => {
      throw new Error("GitHub said 502");
    });
    await first.drain();
    expect(first.retrying()).toBe(1);
    await first.stop(); // the process dies during the backoff: the timer is gone with it
    const handled: string[] = [];
    const second = worker(async (entry) => {
      handled.push(entry.id);
      return "done";
    });
    await second.drain();
    expect(handled).toEqual(["flaky"]);
    expect(await store.getDelivery("flaky")).toMatchObject({ status: "done", attempts: 2 });
  });

  it("gives up after maxAttempts, backing off between them, and leaves the delivery failed", async () => {
    await record("broken", 1);
    const at: number[] = [];
    const start = clock.now();
    const w = worker(
      async () => {
        at.push(clock.now() - start);
        throw new Error(`no ${at.length}`);
      },
      { maxAttempts: 3 },
    );
    await w.drain();
    while (await clock.runNext()) await w.drain();
    expect(at).toEqual([0, 1000, 3000]);
    expect(await store.getDelivery("broken")).toMatchObject({ status: "failed", attempts: 3, error: "no 3" });
    expect(w.retrying()).toBe(0);
  });

  it("marks failed, without handling it, a delivery whose every attempt killed the process (a poison delivery)", async () => {
    await record("poison", 1);
    await record("survivor", 2);
    await record("next", 3);
    // Each start counted an attempt, then the process died inside the handler: no throw came back.
    for (let i = 0; i < 3; i++) await store.startDelivery("poison");
    for (let i = 0; i < 2; i++) await store.startDelivery("survivor");
    const log = memoryLog();
    const handled: string[] = [];
    const w = createInboxWorker({
      store,
      clock,
      log,
      maxAttempts: 3,
      handle: async (e) => {
        handled.push(e.id);
        return "done";
      },
    });
    workers.push(w);
    await w.drain();
    expect(handled).toEqual(["survivor", "next"]); // an attempt is left for the survivor
    expect(await store.getDelivery("poison")).toMatchObject({
      status: "failed",
      attempts: 3,
      error: expect.stringMatching(/^never finished/),
      finishedAt: clock.now(),
    });
    expect(await store.getDelivery("survivor")).toMatchObject({ status: "done", attempts: 3 });
    expect(log.lines.filter((l) => l.level === "error").map((l) => l.fields?.delivery)).toEqual(["poison"]);
  });

  it("handles at most `concurrency` deliveries at once", async () => {
    for (let i = 0; i < 5; i++) await record(`d${i}`, i);
    let running = 0;
    let most = 0;
    const gates = Array.from({ length: 5 }, gate);
    const w = worker(
      async (e) => {
        running++;
        most = Math.max(most, running);
        await gates[Number(e.id.slice(1))]?.opened;
        running--;
        return "done";
      },
      { concurrency: 2 },
    );
    const drained = w.drain();
    for (const g of gates) {
      await new Promise((r) => setImmediate(r));
      g.open();
    }
    await drained;
    expect(most).toBe(2);
    expect((await store.inboxStats()).pending).toBe(0);
  });

  it("stop waits for the delivery being handled, cancels retries and takes nothing more", async () => {
    await record("slow", 1);
    await record("failing", 2);
    const g = gate();
    const seen: string[] = [];
    const w = worker(
      async (e) => {
        seen.push(e.id);
        if (e.id === "failing") throw new Error("no");
        if (e.id === "slow") await g.opened;
        return "done";
      },
      { concurrency: 2 },
    );
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(w.retrying()).toBe(1);
    const stopped = w.stop();
    await record("next", 3);
    w.kick();
    g.open();
    await stopped;
    expect(seen).toEqual(["slow", "failing"]);
    expect(w.retrying()).toBe(0);
    expect(clock.pending()).toBe(0);
    expect(await store.getDelivery("slow")).toMatchObject({ status: "done" });
    expect(await store.getDelivery("next")).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("runs a retry that is due only when a slot is free", async () => {
    await record("a", 1);
    await record("b", 2);
    const g = gate();
    const calls: string[] = [];
    const w = worker(async (e) => {
      calls.push(e.id);
      if (e.id === "a" && calls.length === 1) throw new Error("first try fails");
      if (e.id === "b") await g.opened;
      return "done";
    });
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(["a", "b"]);
    await clock.advance(1000); // a's retry is due, b still holds the only slot
    expect(calls).toEqual(["a", "b"]);
    expect(w.retrying()).toBe(1);
    g.open();
    await w.drain();
    for (let i = 0; i < 5 && calls.length < 3; i++) await new Promise((r) => setImmediate(r));
    await w.drain();
    expect(calls).toEqual(["a", "b", "a"]);
    expect(await store.getDelivery("a")).toMatchObject({ status: "done", attempts: 2 });
  });

  it("refuses a bad concurrency", () => {
    expect(() =>
      createInboxWorker({ store, handle: async () => "done", clock, log: memoryLog(), concurrency: 0 }),
    ).toThrow(/concurrency must be a positive integer, got 0/);
  });
});
