import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createInboxWorker } from "../../../src/app/intake/worker.js";
import { FakeClock } from "stageflow/testing";
import { type Harness, memoryLog, startIntake } from "./harness.js";
import { allExamples, delivery, send } from "./support.js";

const rejections: unknown[] = [];
const onRejection = (reason: unknown) => void rejections.push(reason);
beforeAll(() => void process.on("unhandledRejection", onRejection));
afterAll(() => void process.off("unhandledRejection", onRejection));

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
});

describe("every example payload, signed", () => {
  it("is answered 2xx, recorded once, and handed to the worker once, with no unhandled rejection", async () => {
    const examples = allExamples();
    expect(examples.length).toBeGreaterThan(300);
    const seen = new Map<string, string[]>();
    const wake = { kick: () => {} };
    h = await startIntake({ onRecorded: () => wake.kick() });
    const worker = createInboxWorker({
      store: h.store,
      clock: new FakeClock(),
      log: memoryLog(),
      concurrency: 4,
      handle: async (entry) => {
        const payload = JSON.parse(entry.payload) as { action?: string };
        seen.set(entry.id, [...(seen.get(entry.id) ?? []), `${entry.name}.${payload.action ?? ""}`]);
        return "done";
      },
    });
    wake.kick = worker.kick;
    const deliveries = await Promise.all(examples.map((ex) => delivery(ex)));
    const statuses: number[] = [];
    for (let i = 0; i < deliveries.length; i += 16) {
      const batch = deliveries.slice(i, i + 16);
      statuses.push(...(await Promise.all(batch.map((d) => send(h!.port, d)))).map((a) => a.status));
    }
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    // Every one sent again: a redelivery, answered 200, recorded and handled no second time.
    const again = await Promise.all(deliveries.slice(0, 16).map((d) => send(h!.port, d)));
    expect(again.map((a) => a.status)).toEqual(Array(16).fill(200));

    await worker.drain();
    await worker.stop();
    expect(h.inbox()).toHaveLength(examples.length);
    expect(seen.size).toBe(examples.length);
    for (const [i, d] of deliveries.entries()) {
      const ex = examples[i]!;
      expect(seen.get(d.id)).toEqual([`${ex.name}.${ex.action ?? ""}`]);
    }
    expect(await h.store.inboxStats()).toMatchObject({ pending: 0, total: examples.length });
    expect(rejections).toEqual([]);
  });
});
