/**
 * Fault injection: 1,000 seeded, reproducible runs of a workflow (sequential and parallel stages)
 * whose steps fail at random with injected errors of every type (tests/recovery/faults.ts). Its
 * `recovery:` block retries network errors, rate limits (429 with Retry-After, GitHub's primary
 * and secondary limits), 5xx answers, timeouts (thrown and real step timeouts) and full disks;
 * takes the backup model on a model outage; degrades the optional docs on a template failure;
 * escalates a security finding (the test resumes the run, as a person would); and fails on bad
 * configuration (a negative control, counted apart).
 *
 * Asserted: an oracle that knows only the fault plan and the patterns predicts every run's end;
 * ≥ 99 % of the runs with faults whose patterns allow enough attempts end recovered (succeeded
 * or degraded); every escalated run finishes when resumed; every run's recorded state (run
 * record, checkpoints) is what replaying its events gives; recoveryStats agrees with the
 * injector's own count of faults per error type and pattern, and meets the 90 % target; the same
 * seed gives the same history twice; ~50 of the runs again on a real SQLite file.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseWorkflow } from "../../src/engine/definition/index.js";
import { createEngine } from "../../src/engine/engine.js";
import type { RunResult } from "../../src/engine/engine-api.js";
import type { EngineEvent, EventRecord } from "../../src/engine/events.js";
import type { Journal } from "../../src/engine/journal.js";
import { seededRandom } from "../../src/engine/ports.js";
import { recoveryStats } from "../../src/engine/recovery/index.js";
import { FakeClock } from "../../src/engine/testing/fake-clock.js";
import { createSqliteJournal, MemoryJournal } from "../../src/store/index.js";
import { setup, types } from "../engine/executor/harness.js";
import {
  BACKUP_MODEL,
  EXPECTED_ERROR_TYPE,
  type Fault,
  FaultInjector,
  type FaultProfile,
  type FaultType,
  type InjectedAttempt,
} from "./faults.js";
import { diffState, replay } from "./replay.js";

const RUNS = 1000;
const SQLITE_RUNS = 50;
/** Runs in flight at once (each on its own engine, clock and random source). */
const CONCURRENCY = 25;
/** Resumes a person would need at most: one per escalation. */
const MAX_RESUMES = 5;

const WORKFLOW = `
name: faulty-release
inputs:
  seed: { type: number, required: true }
recovery:
  - { id: security, match: "security check failed", type: security, strategy: escalate, severity: critical, notify: pagerduty, priority: 200 }
  - id: model_down
    match: "Model .* unavailable"
    type: ai_service
    strategy: alternative
    alternatives: [{ with: { model: ${BACKUP_MODEL} } }]
    priority: 150
  - { id: net, match: "ECONNRESET|ETIMEDOUT|EAI_AGAIN|socket hang up", type: network, strategy: retry, max_attempts: 8, base_delay: 500ms, max_delay: 8s }
  - { id: rate_limited, match: "status=429|ratelimit-remaining=0|secondary rate limit", type: rate_limit, strategy: retry, max_attempts: 8, base_delay: 1s, max_delay: 2m }
  - { id: server_error, match: 'status=5\\d\\d', type: network, strategy: retry, max_attempts: 8, base_delay: 1s, max_delay: 10s }
  - { id: slow, match: "timed out|reason=timed_out", type: timeout, strategy: retry, max_attempts: 8, base_delay: 1s, max_delay: 10s }
  - { id: docs_broken, match: "Template render failed", type: validation, strategy: degrade, skip: [docs] }
  - { id: disk, match: "ENOSPC|out of memory", type: resource, strategy: retry, max_attempts: 2, base_delay: 2s }
  - { id: bad_config, match: "invalid configuration", type: configuration, strategy: fail }
stages:
  - id: fetch
    steps:
      - { id: checkout, faulty: { types: [network, server, rate_limit], p: 0.3 } }
  - id: build
    mode: parallel
    concurrency: 3
    steps:
      - { id: compile, faulty: { types: [network, timeout, resource, server], p: 0.3 }, timeout: 20s }
      - { id: test, faulty: { types: [timeout, network, resource], p: 0.3 }, timeout: 20s }
      - { id: lint, faulty: { types: [rate_limit, network], p: 0.3 } }
      - { id: docs, optional: true, faulty: { types: [validation, timeout], p: 0.2 }, timeout: 20s }
  - id: review
    steps:
      - { id: summarize, faulty: { types: [ai_service, rate_limit, server], p: 0.35 }, with: { model: gpt-x } }
      - { id: scan, faulty: { types: [security, network], p: 0.15, max: 3 } }
  - id: release
    steps:
      - { id: publish, faulty: { types: [rate_limit, server, network], p: 0.3, configuration: 0.02 } }
`;

/** The pattern the workflow has for each fault type (what the oracle and the counts use). */
const PATTERN: Record<FaultType, { id: string; strategy: string; maxAttempts?: number }> = {
  network: { id: "net", strategy: "retry", maxAttempts: 8 },
  rate_limit: { id: "rate_limited", strategy: "retry", maxAttempts: 8 },
  server: { id: "server_error", strategy: "retry", maxAttempts: 8 },
  timeout: { id: "slow", strategy: "retry", maxAttempts: 8 },
  resource: { id: "disk", strategy: "retry", maxAttempts: 2 },
  ai_service: { id: "model_down", strategy: "alternative" },
  validation: { id: "docs_broken", strategy: "degrade" },
  security: { id: "security", strategy: "escalate" },
  configuration: { id: "bad_config", strategy: "fail" },
};

type Predicted = "succeeded" | "skipped" | "failed";

/**
 * What the patterns make of a step's fault plan, without the engine: attempt n fails with
 * plan[n-1] (a model outage spares the backup model); each retry pattern allows its attempts per
 * step (counted afresh after an escalation's resume); the first give-up fails the step.
 */
function predictStep(plan: Fault[], optional: boolean): { end: Predicted; escalations: number } {
  let counts = new Map<string, number>();
  let backup = false;
  let escalations = 0;
  for (const fault of plan) {
    if (fault.type === "ai_service" && backup) return { end: "succeeded", escalations };
    const p = PATTERN[fault.type];
    switch (p.strategy) {
      case "retry": {
        const n = (counts.get(p.id) ?? 0) + 1;
        counts.set(p.id, n);
        if (n >= (p.maxAttempts ?? 3)) return { end: "failed", escalations };
        break;
      }
      case "alternative":
        backup = true;
        break;
      case "degrade":
        return { end: optional ? "skipped" : "failed", escalations };
      case "escalate":
        escalations++;
        counts = new Map();
        break;
      default:
        return { end: "failed", escalations };
    }
  }
  return { end: "succeeded", escalations };
}

interface StepSpec {
  id: string;
  stage: string;
  /** A later step of a sequential stage does not start after a failure. */
  sequential: boolean;
  optional: boolean;
  profile: FaultProfile;
}

interface Prediction {
  status: "succeeded" | "degraded" | "failed";
  /** The run has at least one fault that fires. */
  faulted: boolean;
  /** A configuration fault fires: the run must fail (negative control). */
  control: boolean;
  escalations: number;
}

function predictRun(seed: number, steps: StepSpec[], injector: FaultInjector): Prediction {
  let degraded = false;
  let faulted = false;
  let control = false;
  let escalations = 0;
  const byStage = new Map<string, StepSpec[]>();
  for (const s of steps) byStage.set(s.stage, [...(byStage.get(s.stage) ?? []), s]);
  for (const stage of byStage.values()) {
    let failed = false;
    for (const s of stage) {
      const plan = injector.plan(seed, s.id, s.profile);
      if (plan.length > 0) faulted = true;
      if (plan[0]?.type === "configuration") control = true;
      const r = predictStep(plan, s.optional);
      escalations += r.escalations;
      if (r.end === "skipped") degraded = true;
      if (r.end === "failed") {
        failed = true;
        if (s.sequential) break;
      }
    }
    if (failed) return { status: "failed", faulted, control, escalations };
  }
  return { status: degraded ? "degraded" : "succeeded", faulted, control, escalations };
}

interface Episodes {
  /** Recovered episodes by their final strategy. */
  successes: Map<string, number>;
  gaveUp: number;
  escalated: number;
  /** Episodes a sibling's failure cut short (the step was cancelled mid-recovery). */
  cancelled: number;
}

/**
 * Recovery episodes as the injector saw them: one per step and session (an escalation ends a
 * session; the resume starts a new one) whose attempts failed at least once.
 */
function countEpisodes(attempts: readonly InjectedAttempt[]): Episodes {
  const out: Episodes = { successes: new Map(), gaveUp: 0, escalated: 0, cancelled: 0 };
  const byStep = new Map<string, InjectedAttempt[]>();
  for (const a of attempts) {
    const key = `${a.runId}/${a.stepId}`;
    byStep.set(key, [...(byStep.get(key) ?? []), a]);
  }
  const succeed = (strategy: string) => out.successes.set(strategy, (out.successes.get(strategy) ?? 0) + 1);
  for (const list of byStep.values()) {
    let decisions = 0;
    let last = "";
    let counts = new Map<string, number>();
    let open = false;
    for (const a of list.sort((x, y) => x.attempt - y.attempt)) {
      if (a.aborted) break;
      if (a.fault === null) {
        if (decisions > 0) succeed(last);
        open = false;
        break;
      }
      const p = PATTERN[a.fault];
      decisions++;
      last = p.strategy;
      open = true;
      if (p.strategy === "retry") {
        const n = (counts.get(p.id) ?? 0) + 1;
        counts.set(p.id, n);
        if (n >= (p.maxAttempts ?? 3)) {
          out.gaveUp++;
          open = false;
        }
      } else if (p.strategy === "degrade") {
        succeed("degrade");
        open = false;
      } else if (p.strategy === "escalate") {
        out.escalated++;
        decisions = 0;
        counts = new Map();
        open = false;
      } else if (p.strategy === "fail") {
        out.gaveUp++;
        open = false;
      }
    }
    if (open) out.cancelled++;
  }
  return out;
}

interface RunOutcome {
  seed: number;
  runId: string;
  result: RunResult;
  resumes: number;
  statuses: string[];
}

interface Suite {
  journal: Journal;
  injector: FaultInjector;
  outcomes: RunOutcome[];
  steps: StepSpec[];
  ms: number;
}

const START = Date.UTC(2026, 0, 1);

async function runOne(
  seed: number,
  journal: Journal,
  injector: FaultInjector,
  plan: ReturnType<typeof parseWorkflow>,
  runId: string,
): Promise<RunOutcome> {
  const clock = new FakeClock(START, { autoAdvance: true });
  const engine = createEngine({ journal, clock, random: seededRandom(seed), owner: `fi/${seed}` });
  injector.register(engine);
  const statuses: string[] = [];
  let result = await (await engine.start(plan, { inputs: { seed }, runId })).done;
  statuses.push(result.status);
  let resumes = 0;
  while (result.status === "waiting" && resumes < MAX_RESUMES) {
    resumes++;
    // A person looks into it before resuming (a resume in the same millisecond by the same
    // owner would share the run.resumed event's dedupe key, `${owner}/${now}`).
    await clock.advance(5 * 60_000);
    result = await (await engine.resume(runId)).done;
    statuses.push(result.status);
  }
  await engine.close();
  return { seed, runId, result, resumes, statuses };
}

async function pool<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

function stepSpecs(plan: ReturnType<typeof parseWorkflow>): StepSpec[] {
  return plan.stages.flatMap((stage) =>
    stage.steps.map((s) => ({
      id: s.id,
      stage: stage.id,
      sequential: stage.mode === "sequential",
      optional: s.optional,
      profile: s.config as FaultProfile,
    })),
  );
}

async function runSuite(seeds: number[], journal: Journal, prefix: string): Promise<Suite> {
  const injector = new FaultInjector();
  const probe = createEngine({ journal: new MemoryJournal() });
  injector.register(probe);
  const plan = parseWorkflow(WORKFLOW, { file: "faulty.yml", kinds: probe.kinds });
  const t0 = performance.now();
  const outcomes = await pool(seeds, CONCURRENCY, (seed) =>
    runOne(seed, journal, injector, plan, `${prefix}-${String(seed).padStart(4, "0")}`),
  );
  return { journal, injector, outcomes, steps: stepSpecs(plan), ms: performance.now() - t0 };
}

/** Checks every run's recorded state against the replay of its events; returns all events. */
async function checkReplay(suite: Suite): Promise<EventRecord[]> {
  const all: EventRecord[] = [];
  const problems: string[] = [];
  for (const o of suite.outcomes) {
    const events = await suite.journal.listEvents(o.runId);
    all.push(...events);
    const replayed = replay(events);
    const diffs = diffState(replayed, {
      run: await suite.journal.getRun(o.runId),
      checkpoints: await suite.journal.listCheckpoints(o.runId),
      attempts: await suite.journal.listAttempts(o.runId),
    });
    for (const d of [...replayed.problems, ...diffs]) problems.push(`${o.runId}: ${d}`);
    if (replayed.run.status !== o.result.status) {
      problems.push(`${o.runId}: events say ${replayed.run.status}, the handle said ${o.result.status}`);
    }
  }
  expect(problems).toEqual([]);
  return all;
}

const log = (line: string) => process.stdout.write(`[fault-injection] ${line}\n`);

describe("recovery under fault injection", () => {
  const seeds = Array.from({ length: RUNS }, (_, i) => i + 1);
  let memory: Suite | undefined;

  it(`${RUNS} seeded runs: recovered where the patterns allow, explained by their events`, async () => {
    memory = await runSuite(seeds, new MemoryJournal(), "run");
    const suite = memory;

    // Every injected fault type fired, and every one was classified as its type.
    // Faults whose attempt failed (not those a sibling's failure cut short first).
    const fired = suite.injector.attempts.filter((a) => a.fault !== null && !a.aborted);
    const firedTypes = new Set(fired.map((a) => a.fault));
    for (const t of Object.keys(PATTERN)) expect(firedTypes, `no ${t} fault fired`).toContain(t);

    // The oracle (fault plan + patterns) predicts how every run ends.
    const predictions = new Map(seeds.map((s) => [s, predictRun(s, suite.steps, suite.injector)]));
    const mispredicted = suite.outcomes
      .filter((o) => predictions.get(o.seed)?.status !== o.result.status)
      .map((o) => `${o.runId}: predicted ${predictions.get(o.seed)?.status}, ended ${o.result.status}`);
    expect(mispredicted).toEqual([]);

    // Escalated runs finish when resumed, after one resume per escalation.
    const escalated = suite.outcomes.filter((o) => o.resumes > 0);
    expect(escalated.length).toBeGreaterThan(10);
    for (const o of escalated) {
      expect(o.result.status, o.runId).not.toBe("waiting");
      expect(o.resumes).toBe(predictions.get(o.seed)?.escalations);
    }

    // Recovery rate: runs with faults (configuration controls apart) that ended recovered.
    const faulted = suite.outcomes.filter((o) => predictions.get(o.seed)?.faulted);
    const controls = faulted.filter((o) => predictions.get(o.seed)?.control);
    const recoverable = faulted.filter(
      (o) => !predictions.get(o.seed)?.control && predictions.get(o.seed)?.status !== "failed",
    );
    const exhausted = faulted.filter(
      (o) => !predictions.get(o.seed)?.control && predictions.get(o.seed)?.status === "failed",
    );
    const recovered = (list: RunOutcome[]) =>
      list.filter((o) => o.result.status === "succeeded" || o.result.status === "degraded").length;
    const rate = recovered(recoverable) / recoverable.length;
    const overall = recovered([...recoverable, ...exhausted]) / (recoverable.length + exhausted.length);
    expect(recoverable.length).toBeGreaterThan(RUNS / 2);
    expect(rate).toBeGreaterThanOrEqual(0.99);
    // The negative control: bad configuration fails the run at once, without retries.
    expect(controls.length).toBeGreaterThan(0);
    for (const o of controls) expect(o.result).toMatchObject({ status: "failed" });

    const all = await checkReplay(suite);

    // recoveryStats over every event agrees with the injector's own counts.
    const stats = recoveryStats(all);
    expect(stats.overall.attempts).toBe(fired.length);
    const byType = new Map<string, number>();
    const byPattern = new Map<string, number>();
    for (const a of fired) {
      const t = a.fault as FaultType;
      byType.set(EXPECTED_ERROR_TYPE[t], (byType.get(EXPECTED_ERROR_TYPE[t]) ?? 0) + 1);
      byPattern.set(PATTERN[t].id, (byPattern.get(PATTERN[t].id) ?? 0) + 1);
    }
    for (const [type, n] of byType) expect(stats.byErrorType[type]?.attempts, type).toBe(n);
    for (const [id, n] of byPattern) expect(stats.byPattern[id]?.attempts, id).toBe(n);
    expect(stats.byPattern["(none)"]).toBeUndefined();
    // Episodes, from the injector's attempts alone: successes per final strategy, and give-ups.
    const episodes = countEpisodes(suite.injector.attempts);
    for (const [strategy, n] of episodes.successes) {
      expect(stats.byStrategy[strategy]?.successes, strategy).toBe(n);
    }
    expect(stats.overall.successes).toBe([...episodes.successes.values()].reduce((a, b) => a + b, 0));
    const gaveUp = all.filter(
      (e) =>
        e.type === "recovery.failed" &&
        !["escalated", "cancelled", "sibling_failed"].includes((e.payload as { reason: string }).reason),
    );
    expect(gaveUp.length).toBe(episodes.gaveUp);
    expect(stats.overall.successRate).toBeGreaterThanOrEqual(0.9);
    expect(stats.meetsTarget).toBe(true);

    const ms = Math.round(suite.ms);
    log(
      `${RUNS} runs in ${ms} ms: ${faulted.length} with faults (${fired.length} failed attempts), ` +
        `${controls.length} configuration controls (all failed), ${escalated.length} escalated and resumed`,
    );
    log(
      `recovered ${recovered(recoverable)}/${recoverable.length} where attempts suffice ` +
        `(${(rate * 100).toFixed(2)} %); ${recovered(exhausted)}/${exhausted.length} where a pattern ran out ` +
        `(overall ${(overall * 100).toFixed(2)} %)`,
    );
    const row = (k: string, r: { attempts: number; successes: number; episodes: number }) =>
      `${k} ${r.successes}/${r.episodes} (${r.attempts} decisions)`;
    log(
      `episodes by the injector: ${episodes.gaveUp} gave up, ${episodes.escalated} escalated, ` +
        `${episodes.cancelled} cut short by a sibling's failure`,
    );
    log(
      `recoveryStats: overall ${row("", stats.overall)} rate ${stats.overall.successRate?.toFixed(4)}; ` +
        Object.entries(stats.byStrategy)
          .map(([k, r]) => row(k, r))
          .join(", "),
    );
    // 4-6 s alone; CI runs it beside child-process suites on 2 cores (over 30 s once).
  }, 120_000);

  it("the same seed gives the same history", async () => {
    const again = await runSuite(seeds.slice(0, 60), new MemoryJournal(), "run");
    const first = memory ?? (await runSuite(seeds.slice(0, 60), new MemoryJournal(), "run"));
    const shape = (e: EventRecord) => {
      const p = e.payload as { stepId?: string; attempt?: number; delayMs?: number };
      return [e.type, p.stepId ?? "", p.attempt ?? "", p.delayMs ?? "", e.at - START].join(":");
    };
    for (const o of again.outcomes) {
      const a = (await first.journal.listEvents(o.runId)).map(shape);
      const b = (await again.journal.listEvents(o.runId)).map(shape);
      expect(b, o.runId).toEqual(a);
    }
  });

  describe("on a real SQLite journal", () => {
    let dir: string | undefined;
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it(`${SQLITE_RUNS} of the runs end the same and are explained by their events`, async () => {
      dir = await mkdtemp(join(tmpdir(), "stageflow-faults-"));
      const journal = createSqliteJournal({ path: join(dir, "faults.db") });
      try {
        const suite = await runSuite(seeds.slice(0, SQLITE_RUNS), journal, "run");
        await checkReplay(suite);
        const mem = memory?.outcomes.slice(0, SQLITE_RUNS) ?? [];
        for (const [i, o] of suite.outcomes.entries()) {
          const m = mem[i];
          if (m)
            expect({ status: o.result.status, resumes: o.resumes }, o.runId).toEqual({
              status: m.result.status,
              resumes: m.resumes,
            });
        }
        expect((await journal.verify()).ok).toBe(true);
        log(`${SQLITE_RUNS} runs on SQLite in ${Math.round(suite.ms)} ms`);
      } finally {
        await journal.close();
      }
    });
  });
});

/**
 * docs/recovery.md: "`recovery.failed` — recovery gave up: the step failed or escalated, with
 * the reason"; src/engine/events.ts: "Recovery gave up: the step failed, escalated or the run
 * stopped." The executor ends an episode only on success or give-up, so escalations (and steps
 * cancelled mid-recovery) never end theirs, and `stageflow stats` shows `escalate 0/0`.
 */
describe("a recovery episode ends when its step escalates or is cut short", () => {
  const ends = (events: EngineEvent[], stepId: string) =>
    events.flatMap((e) =>
      (e.type === "recovery.failed" || e.type === "recovery.succeeded") && e.payload.stepId === stepId
        ? [
            {
              type: e.type,
              strategy: e.payload.strategy,
              reason: "reason" in e.payload ? e.payload.reason : null,
            },
          ]
        : [],
    );

  it("escalate: recovery.failed (strategy escalate, reason escalated)", async () => {
    const h = setup();
    const plan = h.plan(`
name: esc
recovery:
  - { id: security, match: "security check failed", type: security, strategy: escalate }
stages: [{ id: s, steps: [{ id: scan, task: { fail: 1, error: "security check failed" } }] }]
`);
    const { done } = await h.engine.start(plan);
    expect((await done).status).toBe("waiting");
    expect(ends(h.events, "scan")).toEqual([
      { type: "recovery.failed", strategy: "escalate", reason: "escalated" },
    ]);
  });

  it("a step cancelled by a sibling's failure while it waits to retry ends its episode", async () => {
    const h = setup();
    const plan = h.plan(`
name: cut
recovery:
  - { id: flaky, match: "ECONNRESET", type: network, strategy: retry, max_attempts: 5, base_delay: 1s }
  - { id: broken, match: "bad config", type: configuration, strategy: fail }
stages:
  - id: s
    mode: parallel
    steps:
      - { id: fetch, task: { fail: 9, error: "read ECONNRESET" } }
      - { id: setup, task: { sleep: 100, fail: 9, error: "bad config" } }
`);
    const { done } = await h.engine.start(plan);
    expect((await done).status).toBe("failed");
    expect(types(h.events, "step.cancelled")).toHaveLength(1);
    expect(ends(h.events, "fetch")).toEqual([
      { type: "recovery.failed", strategy: "retry", reason: "sibling_failed" },
    ]);
  });
});
