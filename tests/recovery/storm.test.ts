/**
 * A retry storm: runs arrive at a steady rate (one every 100 ms of fake time), each calling the
 * `mirror` dependency once; for a while the mirror fails 50 % of calls (seeded), then it heals.
 *
 * - The retry budget (ratio 0.2 over a 10 s window, at least 3) bounds the extra calls: measured
 *   at the dependency, every retry it let through is checked against the budget's sliding window
 *   at the moment it was granted, and the total against ratio × calls + minRetries per window.
 * - With the circuit breaker on, after the mirror heals the breaker closes within two half-open
 *   probes, and the runs that arrive from then on succeed at the pre-storm rate (first attempt,
 *   no delay).
 */
import { describe, expect, it } from "vitest";
import { parseWorkflow } from "../../src/engine/definition/index.js";
import { createEngine } from "../../src/engine/engine.js";
import type { EngineOptions, RunResult } from "../../src/engine/engine-api.js";
import type { EngineEvent } from "../../src/engine/events.js";
import type { StepContext } from "../../src/engine/handler.js";
import type { BreakerSnapshot } from "../../src/engine/journal.js";
import { type Random, seededRandom } from "../../src/engine/ports.js";
import { FakeClock } from "../../src/engine/testing/fake-clock.js";
import { MemoryJournal } from "../../src/store/index.js";
import { setup, types } from "../engine/executor/harness.js";
import { diffState, replay } from "./replay.js";

const START = Date.UTC(2026, 0, 1);
const ARRIVAL_MS = 100;
const RUNS = 800;
const STORM_FROM = START + 20_000;
const HEAL_AT = START + 50_000;
const BUDGET = { ratio: 0.2, windowMs: 10_000, minRetries: 3 };
/** The budget's window is 10 buckets (src/engine/recovery/budget.ts). */
const BUCKET_MS = BUDGET.windowMs / 10;

const WORKFLOW = `
name: storm
recovery:
  - { id: mirror_flaky, match: "ECONNRESET", type: network, strategy: retry, max_attempts: 12, base_delay: 200ms, max_delay: 2s }
  - { id: mirror_open, match: "reason=circuit_open", type: network, strategy: retry, max_attempts: 40, base_delay: 1s, max_delay: 5s }
stages: [{ id: s, steps: [{ id: fetch, mirror: {} }] }]
`;

interface Call {
  at: number;
  runId: string;
  attempt: number;
  ok: boolean;
}

/** The dependency: fails half of its calls (seeded) from STORM_FROM until HEAL_AT. */
class Mirror {
  readonly calls: Call[] = [];
  constructor(private readonly random: Random) {}

  async call(ctx: StepContext) {
    const at = ctx.clock.now();
    const ok = !(at >= STORM_FROM && at < HEAL_AT && this.random.next() < 0.5);
    this.calls.push({ at, runId: ctx.runId, attempt: ctx.attempt, ok });
    if (!ok) throw Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET", syscall: "read" });
    return { at };
  }
}

/** The memory journal, also noting every breaker state it is asked to save (each transition). */
class SpyJournal extends MemoryJournal {
  readonly breakerStates: Array<BreakerSnapshot & { at: number }> = [];
  override async saveBreaker(dependency: string, state: BreakerSnapshot): Promise<void> {
    this.breakerStates.push({ ...state, at: state.updatedAt });
    return super.saveBreaker(dependency, state);
  }
}

interface Storm {
  journal: SpyJournal;
  mirror: Mirror;
  events: EngineEvent[];
  runs: Array<{ runId: string; startedAt: number; finishedAt: number; result: RunResult }>;
  ms: number;
}

async function storm(options: Partial<EngineOptions>, seed = 11): Promise<Storm> {
  const journal = new SpyJournal();
  const clock = new FakeClock(START, { autoAdvance: true });
  const engine = createEngine({
    journal,
    clock,
    random: seededRandom(seed),
    owner: "storm",
    retryBudget: BUDGET,
    ...options,
  });
  const mirror = new Mirror(seededRandom(seed + 1));
  engine.register("mirror", { execute: (ctx) => mirror.call(ctx), dependency: () => "mirror" });
  const events: EngineEvent[] = [];
  engine.on((e) => events.push(e));
  const plan = parseWorkflow(WORKFLOW, { file: "storm.yml", kinds: engine.kinds });
  const t0 = performance.now();
  const pending: Array<Promise<Storm["runs"][number]>> = [];
  for (let i = 0; i < RUNS; i++) {
    const startedAt = clock.now();
    const { runId, done } = await engine.start(plan, { runId: `run-${String(i).padStart(4, "0")}` });
    pending.push(done.then((result) => ({ runId, startedAt, finishedAt: clock.now(), result })));
    await clock.sleep(ARRIVAL_MS);
  }
  const runs = await Promise.all(pending);
  await engine.close();
  return { journal, mirror, events, runs, ms: performance.now() - t0 };
}

const log = (line: string) => process.stdout.write(`[storm] ${line}\n`);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

describe("a retry storm", () => {
  it("the retry budget keeps the extra calls within its bound", async () => {
    // The breaker stays out of the way: every attempt reaches the mirror, so calls the budget
    // counts are exactly the calls the mirror sees.
    const s = await storm({ breaker: { failureThreshold: 1_000_000 } });
    const { calls } = s.mirror;
    expect(calls.length).toBe(s.events.filter((e) => e.type === "step.started").length);

    // When each retry was granted: it ran `delayMs` (decided after the previous attempt) later.
    const delays = new Map<string, number>();
    for (const e of s.events) {
      if (e.type === "recovery.decided" && e.payload.delayMs !== undefined) {
        delays.set(`${e.runId}#${e.payload.attempt}`, e.payload.delayMs);
      }
    }
    const grants = calls
      .filter((c) => c.attempt > 1)
      .map((c) => c.at - (delays.get(`${c.runId}#${c.attempt - 1}`) ?? Number.NaN));
    expect(grants.every((g) => Number.isFinite(g))).toBe(true);
    grants.sort((a, b) => a - b);

    // At each grant, the retries granted in the budget's window (its 10 buckets) are within
    // max(minRetries, ⌊ratio × calls in the window⌋).
    const callTimes = calls.map((c) => c.at).sort((a, b) => a - b);
    const inWindow = (times: number[], g: number) => {
      const from = (Math.floor(g / BUCKET_MS) - 9) * BUCKET_MS;
      return times.filter((t) => t >= from && t <= g).length;
    };
    const over: string[] = [];
    let tightest = 0;
    for (const g of new Set(grants)) {
      const retries = inWindow(grants, g);
      const allowed = Math.max(BUDGET.minRetries, Math.floor(BUDGET.ratio * inWindow(callTimes, g) + 1e-9));
      tightest = Math.max(tightest, retries / allowed);
      if (retries > allowed) over.push(`at +${g - START} ms: ${retries} retries > ${allowed} allowed`);
    }
    expect(over).toEqual([]);

    // The whole storm: retries ≤ ratio × calls + minRetries per window.
    const first = calls.filter((c) => c.attempt === 1).length;
    const retries = calls.length - first;
    const span = (callTimes.at(-1) ?? START) - (callTimes[0] ?? START);
    const windows = Math.ceil((span + 1) / BUDGET.windowMs);
    const bound = BUDGET.ratio * calls.length + BUDGET.minRetries * windows;
    expect(retries).toBeLessThanOrEqual(bound);
    const stormCalls = calls.filter((c) => c.at >= STORM_FROM && c.at < HEAL_AT);
    const stormRetries = stormCalls.filter((c) => c.attempt > 1).length;
    const stormWindows = Math.ceil((HEAL_AT - STORM_FROM) / BUDGET.windowMs);
    // In the storm, the previous window's calls count too: at most one extra window's worth.
    const stormBound =
      BUDGET.ratio * (stormCalls.length + BUDGET.windowMs / ARRIVAL_MS) + BUDGET.minRetries * stormWindows;
    expect(stormRetries).toBeLessThanOrEqual(stormBound);
    const failed = calls.filter((c) => !c.ok).length;
    // The budget did hold retries back (each failure asks for one at once).
    const refused = s.events.filter((e) => e.type === "recovery.budget_refused").length;
    expect(refused).toBeGreaterThan(0);
    let journaled = 0;
    for (const r of s.runs) {
      journaled += (await s.journal.listEvents(r.runId)).filter(
        (e) => e.type === "recovery.budget_refused",
      ).length;
    }
    log(`refusals: ${refused} published, ${journaled} journaled`);
    const unfinished = s.runs.filter((r) => r.result.status !== "succeeded");
    expect(unfinished).toEqual([]);
    log(
      `budget: ${calls.length} calls (${first} first, ${retries} retries): extra-call ratio ` +
        `${pct(retries / first)} of first calls, ${pct(retries / calls.length)} of calls; ` +
        `bound ${BUDGET.ratio} × ${calls.length} + ${BUDGET.minRetries} × ${windows} = ${bound.toFixed(0)}`,
    );
    log(
      `storm ${(HEAL_AT - STORM_FROM) / 1000}s: ${stormCalls.length} calls, ${stormRetries} retries ` +
        `(${pct(stormRetries / stormCalls.length)} of calls; bound ${stormBound.toFixed(0)}), ${failed} failures, ` +
        `${refused} refusals; tightest window ${pct(tightest)} of its allowance; ${Math.round(s.ms)} ms`,
    );
  });

  it("after the dependency heals, the breaker closes within two probes and throughput recovers", async () => {
    const RESET_MS = 5_000;
    const s = await storm({ breaker: { failureThreshold: 5, resetTimeoutMs: RESET_MS } });
    const states = s.journal.breakerStates;
    const before = states.filter((x) => x.at < HEAL_AT);
    const after = states.filter((x) => x.at >= HEAL_AT);
    // The storm did open the circuit, and it was not closed when the mirror healed.
    expect(before.filter((x) => x.state === "open").length).toBeGreaterThan(1);
    expect(before.at(-1)?.state).not.toBe("closed");

    const closedAt = after.find((x) => x.state === "closed")?.at;
    expect(closedAt).toBeDefined();
    const probes = after.filter((x) => x.state === "half_open" && x.at <= (closedAt ?? 0)).length;
    expect(probes).toBeGreaterThanOrEqual(1);
    expect(probes).toBeLessThanOrEqual(2);
    expect((closedAt ?? 0) - HEAL_AT).toBeLessThanOrEqual(2 * RESET_MS);
    // Closed for good.
    expect(after.filter((x) => x.state === "open")).toEqual([]);

    // Throughput: runs that arrive before the storm and after the close succeed on their first
    // call, at once, at the arrival rate.
    const firstCall = (runId: string) => s.mirror.calls.find((c) => c.runId === runId);
    const rate = (list: Storm["runs"]) =>
      list.filter(
        (r) => r.result.status === "succeeded" && firstCall(r.runId)?.ok && r.finishedAt === r.startedAt,
      ).length / list.length;
    const pre = s.runs.filter((r) => r.startedAt < STORM_FROM);
    const post = s.runs.filter((r) => r.startedAt > (closedAt ?? Number.POSITIVE_INFINITY));
    expect(post.length).toBeGreaterThan(100);
    expect(rate(pre)).toBe(1);
    expect(rate(post)).toBe(rate(pre));
    // Runs finished per window: the arrival rate, before the storm and again after the close.
    const finishedIn = (list: Storm["runs"], from: number) =>
      list.filter((r) => r.finishedAt >= from && r.finishedAt < from + BUDGET.windowMs).length;
    const prePerWindow = finishedIn(pre, START + 5_000);
    const postPerWindow = finishedIn(post, (closedAt ?? 0) + 1_000);
    expect(prePerWindow).toBe(BUDGET.windowMs / ARRIVAL_MS);
    expect(postPerWindow).toBe(prePerWindow);

    const stormRuns = s.runs.filter((r) => r.startedAt >= STORM_FROM && r.startedAt <= (closedAt ?? 0));
    const opened = states.filter((x) => x.state === "open").length;
    log(
      `breaker: opened ${opened} times in the storm; healed at +${(HEAL_AT - START) / 1000}s, ` +
        `closed at +${((closedAt ?? 0) - START) / 1000}s after ${probes} probe(s); ` +
        `first-call success: pre-storm ${pct(rate(pre))}, after the close ${pct(rate(post))} ` +
        `(${post.length} runs), during the storm ${pct(rate(stormRuns))}; runs finished per 10 s window: ` +
        `pre-storm ${prePerWindow}, after the close ${postPerWindow}; ` +
        `${s.runs.filter((r) => r.result.status === "succeeded").length}/${s.runs.length} runs succeeded; ` +
        `${Math.round(s.ms)} ms`,
    );

    // Every run's record is explained by its events, storm or not.
    for (const r of s.runs) {
      const replayed = replay(await s.journal.listEvents(r.runId));
      const diffs = diffState(replayed, {
        run: await s.journal.getRun(r.runId),
        checkpoints: await s.journal.listCheckpoints(r.runId),
        attempts: await s.journal.listAttempts(r.runId),
      });
      expect([...replayed.problems, ...diffs], r.runId).toEqual([]);
    }
  });
});

/**
 * src/engine/executor/breaker-events.ts records a transition only when the breaker's state after
 * the call differs from its state before it. A probe goes open → half_open → open (failed) or
 * open → half_open → closed (succeeded) within one call, so a failed probe leaves no event at all
 * (the circuit re-opened until a new time, unseen in history) and `breaker.half_opened` is never
 * journaled.
 */
describe("breaker transitions in the run's history", () => {
  it("a failed probe is journaled: breaker.half_opened, then breaker.opened again", async () => {
    const h = setup({ breaker: { failureThreshold: 1, resetTimeoutMs: 1_000 } });
    const plan = h.plan(`
name: probe
recovery:
  - { id: down, match: "ECONNREFUSED", type: network, strategy: retry, max_attempts: 2, base_delay: 100ms, max_delay: 100ms }
  - { id: open, match: "reason=circuit_open", type: network, strategy: retry, max_attempts: 5, base_delay: 2s, max_delay: 2s }
stages: [{ id: s, steps: [{ id: a, task: { fail: 9, error: "connect ECONNREFUSED", code: ECONNREFUSED, dep: mirror } }] }]
`);
    const { done } = await h.engine.start(plan);
    await done;
    // a#1 fails: opened. The retry 100 ms later is refused (open). 2 s later the probe (a#2) fails.
    expect(h.calls).toEqual(["a#1", "a#2"]);
    expect(types(h.events, "breaker.")).toEqual(["breaker.opened", "breaker.half_opened", "breaker.opened"]);
  });
});

/**
 * docs/recovery.md: "Each refusal is a `recovery.budget_refused` event." The event has no dedupe
 * key and its payload (step, dependency, action, waitMs) repeats when a step is refused twice
 * with the same wait, so the journal — which drops an event whose (run, type, payload) it already
 * holds — keeps only the first, while the bus still publishes both. In the storm above, 2,205
 * refusals were published and only 502 journaled.
 */
describe("budget refusals in the run's history", () => {
  it("every refusal is journaled, even when two of a step's waits are equally long", async () => {
    const h = setup({ retryBudget: { ratio: 0, minRetries: 1, windowMs: 10_000 } });
    const plan = h.plan(`
name: refusals
recovery:
  - { id: flaky, match: "ECONNRESET", type: network, strategy: retry, max_attempts: 5, base_delay: 1s, max_delay: 1s }
stages:
  - id: s
    steps: [{ id: a, task: { fail: 3, error: "read ECONNRESET", dep: mirror }, retry: { jitter: none } }]
`);
    const { runId, done } = await h.engine.start(plan);
    expect((await done).status).toBe("succeeded");
    // a#1 fails at 0 s: retry granted. a#2 fails at 1 s: refused, wait 9 s. a#3 fails at 11 s:
    // refused, wait 9 s again. a#4 succeeds.
    const published = h.events.filter((e) => e.type === "recovery.budget_refused");
    expect(published.map((e) => e.type === "recovery.budget_refused" && e.payload.waitMs)).toEqual([
      9000, 9000,
    ]);
    const journaled = (await h.journal.listEvents(runId)).filter((e) => e.type === "recovery.budget_refused");
    expect(journaled).toHaveLength(published.length);
  });
});
