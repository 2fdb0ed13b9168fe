/**
 * Ambiguous failures: the step's side effect happened, but the caller saw a connection reset or
 * a timeout (or the process died before it could record the success). The engine cannot know the
 * effect happened, so it tries again — with the same idempotency key (`runId/stepId`), so that an
 * idempotent service applies each effect once. The `Service` below is that service: it counts the
 * effects it applied per key and every request it received.
 */
import { describe, expect, it } from "vitest";
import type { CrashPoint } from "../../src/engine/engine-api.js";
import type { StepContext } from "../../src/engine/handler.js";
import { seededRandom } from "../../src/engine/ports.js";
import { MemoryJournal } from "../../src/store/index.js";
import { crashable, type Harness, setup } from "../engine/executor/harness.js";
import { diffState, replay } from "./replay.js";

type Ambiguity = "reset" | "timeout" | "late";

interface Request {
  key: string;
  runId: string;
  stepId: string;
  attempt: number;
  /** The effect was applied by this request (not a duplicate of an earlier one). */
  applied: boolean;
}

/** An idempotent external service: effects keyed by the caller's idempotency key. */
class Service {
  /** Effects applied, per key (must never exceed 1). */
  readonly effects = new Map<string, number>();
  readonly receipts = new Map<string, string>();
  readonly requests: Request[] = [];

  apply(ctx: StepContext): string {
    const key = ctx.idempotencyKey;
    const applied = !this.receipts.has(key);
    if (applied) {
      this.effects.set(key, (this.effects.get(key) ?? 0) + 1);
      this.receipts.set(key, `receipt-${this.receipts.size + 1}`);
    }
    this.requests.push({ key, runId: ctx.runId, stepId: ctx.stepId, attempt: ctx.attempt, applied });
    return this.receipts.get(key) as string;
  }

  requestsOf(runId: string, stepId: string): Request[] {
    return this.requests.filter((r) => r.runId === runId && r.stepId === stepId);
  }
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * The `effect` kind: calls the service, then fails ambiguously as its config says for this
 * attempt (`{ ambiguous: [reset, timeout] }`: attempt 1 resets, attempt 2 times out, then clean),
 * or as drawn from the run's `seed` input (`{ seeded: true }`).
 * - reset: the effect is applied, then the connection breaks (ECONNRESET);
 * - timeout: the effect is applied, then the answer never comes: the step timeout fires;
 * - late: the request is slow and ignores the abort: the effect lands after the step timed out,
 *   while the retry is already under way.
 */
function registerEffect(h: Harness, service: Service): void {
  h.engine.register("effect", {
    async execute(ctx: StepContext) {
      const cfg = (ctx.config ?? {}) as { ambiguous?: Ambiguity[]; seeded?: boolean };
      let mode: Ambiguity | undefined = cfg.ambiguous?.[ctx.attempt - 1];
      if (cfg.seeded) {
        const r = seededRandom(fnv1a(`${String(ctx.inputs.seed)}/${ctx.stepId}/${ctx.attempt}`)).next();
        mode =
          ctx.attempt > 3
            ? undefined
            : r < 0.25
              ? "reset"
              : r < 0.45
                ? "timeout"
                : r < 0.55
                  ? "late"
                  : undefined;
      }
      if (mode === "late") {
        // Ignores the signal: the effect happens after the caller gave up on this attempt.
        await ctx.clock.sleep(8_000);
        service.apply(ctx);
        return { late: true };
      }
      const receipt = service.apply(ctx);
      if (mode === "reset") {
        throw Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET", syscall: "read" });
      }
      if (mode === "timeout") {
        await new Promise((_, reject) => {
          if (ctx.signal.aborted) reject(ctx.signal.reason);
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
        });
      }
      return { receipt };
    },
  });
}

const plan = (h: Harness, steps: string, extra = "") =>
  h.plan(`
name: ambiguous
inputs: { seed: { type: number, default: 0 } }
${extra}
stages:
  - id: pay
    mode: parallel
    steps:
${steps}
`);

async function expectExplained(h: Harness, runId: string): Promise<void> {
  const replayed = replay(await h.journal.listEvents(runId));
  const diffs = diffState(replayed, {
    run: await h.journal.getRun(runId),
    checkpoints: await h.journal.listCheckpoints(runId),
    attempts: await h.journal.listAttempts(runId),
  });
  expect([...replayed.problems, ...diffs]).toEqual([]);
}

/** Each key's effect applied once; every request of the step carried the step's one key. */
function expectOnce(service: Service, runId: string, stepId: string, minRequests: number): void {
  const requests = service.requestsOf(runId, stepId);
  expect(requests.length).toBeGreaterThanOrEqual(minRequests);
  expect(new Set(requests.map((r) => r.key))).toEqual(new Set([`${runId}/${stepId}`]));
  expect(service.effects.get(`${runId}/${stepId}`)).toBe(1);
  expect(requests.filter((r) => r.applied)).toHaveLength(1);
}

describe("ambiguous failures are retried with the same idempotency key", () => {
  it.each([
    ["a connection reset after the effect", "[reset]", 2],
    ["a step timeout after the effect", "[timeout]", 2],
    ["a reset, then a timeout, then a reset", "[reset, timeout, reset]", 4],
  ])("%s: retried, the effect applied once", async (_name, ambiguous, requests) => {
    const h = setup();
    const service = new Service();
    registerEffect(h, service);
    const p = plan(
      h,
      `      - { id: charge, effect: { ambiguous: ${ambiguous} }, timeout: 5s }
      - { id: notify, effect: { ambiguous: ${ambiguous} }, timeout: 5s }`,
      // Enough attempts for three ambiguous failures (the built-in patterns allow 3 timeouts).
      `recovery:
  - { id: ambiguous, match: "ECONNRESET|timed out", type: network, strategy: retry, max_attempts: 5, base_delay: 1s }`,
    );
    const { runId, done } = await h.engine.start(p);
    expect((await done).status).toBe("succeeded");
    for (const stepId of ["charge", "notify"]) {
      expectOnce(service, runId, stepId, requests);
      const attempts = (await h.journal.listAttempts(runId)).filter((a) => a.stepId === stepId);
      expect(attempts.map((a) => a.status)).toEqual([
        ...Array.from({ length: requests - 1 }, () => "failed"),
        "succeeded",
      ]);
      // The step's output is the receipt of the one effect, returned again to the retry.
      const cp = (await h.journal.listCheckpoints(runId)).find((c) => c.stepId === stepId);
      expect(cp?.outputs).toEqual({ receipt: service.receipts.get(`${runId}/${stepId}`) });
    }
    await expectExplained(h, runId);
  });

  it("an effect that lands after the timeout, while the retry runs, is still applied once", async () => {
    const h = setup();
    const service = new Service();
    registerEffect(h, service);
    const p = plan(h, "      - { id: charge, effect: { ambiguous: [late] }, timeout: 5s }");
    const { runId, done } = await h.engine.start(p);
    expect((await done).status).toBe("succeeded");
    // The retry applied the effect first; the late request of attempt 1 found it done.
    await h.clock.advance(10_000);
    const requests = service.requestsOf(runId, "charge");
    expect(requests.map((r) => [r.attempt, r.applied])).toEqual([
      [2, true],
      [1, false],
    ]);
    expectOnce(service, runId, "charge", 2);
    await expectExplained(h, runId);
  });

  it("200 seeded runs with ambiguous resets, timeouts and late effects: every effect applied once", async () => {
    const h = setup({ journal: new MemoryJournal() });
    const service = new Service();
    registerEffect(h, service);
    const p = plan(
      h,
      ["charge", "refund", "notify"]
        .map((id) => `      - { id: ${id}, effect: { seeded: true }, timeout: 5s }`)
        .join("\n"),
      `recovery:
  - { id: ambiguous, match: "ECONNRESET|timed out", type: network, strategy: retry, max_attempts: 5, base_delay: 1s }`,
    );
    const handles = await Promise.all(
      Array.from({ length: 200 }, (_, seed) => h.engine.start(p, { inputs: { seed } })),
    );
    const results = await Promise.all(handles.map((x) => x.done));
    expect(results.every((r) => r.status === "succeeded")).toBe(true);
    await h.clock.advance(10_000); // late effects land
    const keys = handles.flatMap((x) => ["charge", "refund", "notify"].map((s) => `${x.runId}/${s}`));
    expect([...service.effects.keys()].sort()).toEqual(keys.sort());
    expect([...service.effects.values()].every((n) => n === 1)).toBe(true);
    for (const x of handles) {
      for (const s of ["charge", "refund", "notify"]) {
        const keysSeen = new Set(service.requestsOf(x.runId, s).map((r) => r.key));
        expect(keysSeen).toEqual(new Set([`${x.runId}/${s}`]));
      }
      await expectExplained(h, x.runId);
    }
    const duplicates = service.requests.filter((r) => !r.applied).length;
    // Without the key, each of these requests would have applied the effect again.
    expect(duplicates).toBeGreaterThan(100);
    process.stdout.write(
      `[ambiguous] 200 runs: ${service.requests.length} requests for ${keys.length} effects, ` +
        `${duplicates} duplicates absorbed by the idempotency key, every effect applied once\n`,
    );
  });
});

describe("ambiguous failures across a crash", () => {
  /**
   * Runs until the hook at `point` fires for the `nth` time for `charge`, then freezes there
   * like a killed process (the journal records nothing more); returns the dead harness.
   */
  async function crashAt(point: CrashPoint, nth: number, ambiguous: string, service: Service) {
    const dying = crashable(new MemoryJournal());
    let seen = 0;
    let frozen: (() => void) | undefined;
    const reached = new Promise<void>((r) => {
      frozen = r;
    });
    const dead = setup({
      journal: dying.journal,
      hooks: {
        [point]: (info: { stepId?: string }) => {
          if (info.stepId !== "charge" || ++seen < nth) return;
          dying.crash();
          frozen?.();
          return new Promise<void>(() => {});
        },
      },
    });
    registerEffect(dead, service);
    const p = plan(dead, `      - { id: charge, effect: { ambiguous: ${ambiguous} }, timeout: 5s }`);
    const { runId } = await dead.engine.start(p);
    await reached;
    const next = dead.restart({ isOwnerAlive: () => false });
    registerEffect(next, service);
    return { next, runId };
  }

  it("the effect applied, then the process died before recording success: the resumed attempt reuses the key", async () => {
    const service = new Service();
    const { next, runId } = await crashAt("after-step-before-commit", 1, "[]", service);
    expect(service.effects.get(`${runId}/charge`)).toBe(1);
    const { done } = await next.engine.resume(runId);
    expect((await done).status).toBe("succeeded");
    expectOnce(service, runId, "charge", 2);
    expect(service.requestsOf(runId, "charge").map((r) => r.attempt)).toEqual([1, 2]);
    const attempts = await next.journal.listAttempts(runId);
    expect(attempts.map((a) => [a.attempt, a.status, a.reason])).toEqual([
      [1, "cancelled", "interrupted"],
      [2, "succeeded", "succeeded"],
    ]);
    await expectExplained(next, runId);
  });

  it("a reset after the effect, then the process died before the retry: the resumed retry reuses the key", async () => {
    const service = new Service();
    const { next, runId } = await crashAt("before-step", 2, "[reset]", service);
    const { done } = await next.engine.resume(runId);
    expect((await done).status).toBe("succeeded");
    expectOnce(service, runId, "charge", 2);
    const attempts = await next.journal.listAttempts(runId);
    expect(attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, "failed"],
      [2, "succeeded"],
    ]);
    await expectExplained(next, runId);
  });

  it("a timeout after the effect, then the process died before the retry: the resumed retry reuses the key", async () => {
    const service = new Service();
    const { next, runId } = await crashAt("before-step", 2, "[timeout]", service);
    const { done } = await next.engine.resume(runId);
    expect((await done).status).toBe("succeeded");
    expectOnce(service, runId, "charge", 2);
    await expectExplained(next, runId);
  });
});
