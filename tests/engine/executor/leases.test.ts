import { describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/engine/testing/fake-clock.js";
import { HANGS, setup } from "./harness.js";

/** A harness whose clock moves only when the test advances it; leases of 3 s (renewed every 1 s). */
const manual = () => setup({ clock: new FakeClock(Date.UTC(2026, 0, 1)), leaseMs: 3_000 });

describe("engine: leases of runs in flight", () => {
  it("renews the lease of a run in flight every third of the lease time", async () => {
    const h = manual();
    const { runId } = await h.engine.start(h.plan(HANGS));
    const start = h.clock.now();
    expect((await h.journal.getRun(runId))?.leaseExpiresAt).toBe(start + 3_000);
    for (let i = 1; i <= 4; i++) {
      await h.clock.advance(1_000);
      expect((await h.journal.getRun(runId))?.leaseExpiresAt).toBe(start + i * 1_000 + 3_000);
    }
    await h.engine.close();
  });

  it("aborts a run whose lease another process took over (lease_lost), recording nothing more", async () => {
    const h = manual();
    const { runId, done } = await h.engine.start(h.plan(HANGS));
    await h.clock.advance(10);
    await h.journal.releaseLease(runId, (await h.journal.getRun(runId))?.leaseOwner ?? "");
    await h.journal.acquireLease(runId, "other-host", h.clock.now() + 60_000, h.clock.now());
    await h.clock.advance(1_000);
    expect(await done).toMatchObject({ status: "running", reason: "lease_lost" });
    const run = await h.journal.getRun(runId);
    expect(run).toMatchObject({ status: "running", leaseOwner: "other-host" });
  });

  it("cancels a run when another process asks for it, at the next renewal", async () => {
    const h = manual();
    const { runId, done } = await h.engine.start(h.plan(HANGS));
    await h.clock.advance(10);
    await h.journal.requestCancel(runId, []);
    await h.clock.advance(1_000);
    expect(await done).toMatchObject({ status: "cancelled", reason: "cancelled" });
    expect((await h.journal.getRun(runId))?.leaseOwner).toBeNull();
  });

  it("keeps renewing across runs that end and start together, and stops with the last one", async () => {
    const h = manual();
    const first = await h.engine.start(h.plan(HANGS));
    await h.clock.advance(10);
    await h.engine.cancel(first.runId);
    const second = await h.engine.start(h.plan(HANGS));
    const started = h.clock.now();
    await h.clock.advance(1_000);
    expect((await h.journal.getRun(second.runId))?.leaseExpiresAt).toBe(started + 1_000 + 3_000);
    await h.engine.cancel(second.runId);
    // Nothing is held: no timer is left armed.
    expect(h.clock.pending()).toBe(0);
  });
});
