/**
 * (g) Observability costs.
 *
 * 1. Overhead of the metrics (src/observe/metrics.ts following the engine's events, as the app
 *    wires them) on (a)'s workload: the same engine run without and with the observer, paired and
 *    interleaved (the order alternates), on fresh SQLite files in `process` durability. The "with"
 *    time lasts until the observer has folded every event (`feed.idle()`). Reported: the median of
 *    the per-pair ratios with ÷ without, for wall time and for this process's CPU time; and,
 *    because those swing by tens of percent between runs on a shared machine, the time spent
 *    inside the listener (summed with performance.now() around each call) ÷ the CPU time of the
 *    paired run without it; that is wall time too (preemption by other processes included), so
 *    the target is judged on the observers' CPU per step measured alone (foldCost: the events
 *    of such a run published again through an EventBus to the metrics, in-process, against the
 *    same loop without a subscriber) ÷ the engine's CPU per step in the runs without them.
 *    Each engine run is 600 workflows (3 × (a)'s 200, same workload), so one lasts ~0.5 s.
 *    The metrics have the profiler's ResourceSampler (src/observe/sampler.ts) as their
 *    `activity`, as the app wires them: a sample a second while runs are active.
 * 2. `/metrics` scrape time with 1,000 runs recorded: the workload's 1,000 runs (10 workflow
 *    names) observed live, then GET /metrics over loopback HTTP from the app's route
 *    (`metricsRoute` on a node:http server), the process's default metrics included; and, for
 *    information, what `stageflow metrics --db` does: replaying the journal into a fresh registry.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createEngine, type EngineEvent, type Journal, nullLogger } from "../src/engine/index.js";
import { EventBus } from "../src/engine/bus.js";
import { createMetrics, FOLDED } from "../src/observe/metrics.js";
import { ResourceSampler } from "../src/observe/sampler.js";
import { metricsRoute } from "../src/observe/metrics-route.js";
import { chainRoutes } from "../src/observe/health-http.js";
import { createSqliteJournal } from "../src/store/index.js";
import {
  benchPlan,
  IN_FLIGHT,
  KIND,
  median,
  pool,
  quantile,
  round,
  STEPS_PER_WORKFLOW,
  tempDir,
  WORKFLOWS,
} from "./workload.js";

export const OBSERVE_TARGET = { overhead: 0.01, scrapeMs: 50 };

export interface ObserveResult {
  workflows: number;
  pairs: {
    withoutMs: number;
    withMs: number;
    wallRatio: number;
    cpuRatio: number;
    /** Time inside the metrics listener (ms), and ÷ the CPU time of the paired run without it. */
    listenerMs: number;
    listenerShare: number;
    withoutCpuUs: number;
  }[];
  /** Median time inside the listener per step (µs), wall clock (preemption included). */
  listenerUsPerStep: number;
  listenerShareMedian: number;
  /** The fold's CPU per step and per event (foldCost), and its share of the engine's CPU per step. */
  fold: { usPerStep: number; usPerEvent: number; eventsPerStep: number; eventsPerRound: number };
  engineCpuUsPerStep: number;
  foldShare: number;
  wallRatioMedian: number;
  cpuRatioMedian: number;
  withoutStepsPerSecMedian: number;
  withStepsPerSecMedian: number;
  scrape: {
    runs: number;
    series: number;
    bytes: number;
    samples: number;
    p50Ms: number;
    p95Ms: number;
    maxMs: number;
    replayMs: number;
    replayEvents: number;
  };
}

/** Workflows per engine run of (g): three times (a)'s, so that one run lasts long enough to compare. */
export const OBSERVE_WORKFLOWS = 3 * WORKFLOWS;

/**
 * One engine run of the workload; with `observe`, the metrics follow its events (as `follow`
 * does: `engine.on(metrics.observe, { types: FOLDED })`), and the time spent inside the listener
 * is summed.
 */
async function workload(
  observe: boolean,
  workflows = OBSERVE_WORKFLOWS,
): Promise<{ ms: number; cpuUs: number; listenerMs: number }> {
  const tmp = tempDir("observe");
  const journal = createSqliteJournal({ path: tmp.file("journal.db"), durability: "process" });
  const engine = createEngine({ journal });
  engine.register(KIND, async () => ({}));
  const plan = benchPlan(engine.kinds);
  // The profiler's sampler (memory and event-loop lag while runs are active), at its defaults,
  // following the runs as the metrics' activity (as the app wires it).
  const sampler = observe ? new ResourceSampler() : undefined;
  const metrics = observe
    ? createMetrics({ defaultMetrics: false, runs: journal, activity: sampler })
    : undefined;
  let listenerMs = 0;
  const feed =
    metrics &&
    engine.on(
      (event) => {
        const t0 = performance.now();
        const pending = metrics.observe(event);
        if (!pending) {
          listenerMs += performance.now() - t0;
          return undefined;
        }
        return pending.then(() => {
          listenerMs += performance.now() - t0;
        });
      },
      { types: FOLDED },
    );
  try {
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    await pool(workflows, IN_FLIGHT, async () => {
      const result = await (await engine.start(plan)).done;
      if (result.status !== "succeeded") throw new Error(`run ${result.runId} ended ${result.status}`);
    });
    await feed?.idle();
    const ms = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    if (feed && feed.failures > 0) throw new Error(`the metrics failed on ${feed.failures} events`);
    return { ms, cpuUs: cpu.user + cpu.system, listenerMs };
  } finally {
    feed?.close();
    sampler?.stop();
    await engine.close();
    await journal.close();
    tmp.cleanup();
  }
}

async function overhead(reps: number, log: (line: string) => void): Promise<ObserveResult["pairs"]> {
  for (let i = 0; i < 3; i++) {
    await workload(false);
    await workload(true);
  }
  const pairs: ObserveResult["pairs"] = [];
  for (let i = 0; i < reps; i++) {
    const first = i % 2 === 0;
    const a = await workload(!first);
    const b = await workload(first);
    const [without, with_] = first ? [a, b] : [b, a];
    const pair = {
      withoutMs: round(without.ms, 1),
      withMs: round(with_.ms, 1),
      wallRatio: round(with_.ms / without.ms, 4),
      cpuRatio: round(with_.cpuUs / without.cpuUs, 4),
      listenerMs: round(with_.listenerMs, 2),
      withoutCpuUs: round(without.cpuUs),
      listenerShare: round((with_.listenerMs * 1000) / without.cpuUs, 4),
    };
    pairs.push(pair);
    log(
      `(g) pair ${i + 1}/${reps}: without ${pair.withoutMs} ms, with metrics ${pair.withMs} ms ` +
        `(wall ${pair.wallRatio}, cpu ${pair.cpuRatio}; inside the listener ${round(with_.listenerMs, 1)} ms = ` +
        `${round(pair.listenerShare * 100, 2)}% of the CPU without)`,
    );
  }
  return pairs;
}

/**
 * The observers' own CPU per step, free of the machine's preemption: the events of one run of the
 * workload (600 workflows), in the delivery rounds the engine's bus made of them (captured by a
 * subscription to every event: the events one round handed it, in seq order), published again
 * through an EventBus (src/engine/bus.ts) to one subscription — the metrics, with the profiler's
 * ResourceSampler as their `activity`, subscribed as the app does (`metrics.follow`) — each
 * round's events published one by one, then a turn of the microtask queue (where the bus
 * delivers). The same loop through a bus without subscribers is the baseline; the difference, in
 * CPU time (process.cpuUsage), is what events to observers, the metrics and the profiling cost per
 * step. The metrics and the sampler live across rounds, as in a host; 3 warm-up pairs, then the
 * median difference of 15 pairs (the order alternating).
 */
async function foldCost(): Promise<ObserveResult["fold"]> {
  const tmp = tempDir("fold");
  const journal = createSqliteJournal({ path: tmp.file("journal.db"), durability: "process" });
  const engine = createEngine({ journal });
  engine.register(KIND, async () => ({}));
  const plan = benchPlan(engine.kinds);
  const sampler = new ResourceSampler();
  // A round is what one delivery by the bus hands a listener, synchronously: a listener call
  // that finds `inRound` unset starts a new one; a microtask queued then (it runs once the round
  // returned) ends it.
  const rounds: EngineEvent[][] = [];
  let inRound = false;
  const recorder = engine.on((event) => {
    if (!inRound) {
      inRound = true;
      rounds.push([]);
      queueMicrotask(() => {
        inRound = false;
      });
    }
    (rounds[rounds.length - 1] as EngineEvent[]).push(event);
  });
  try {
    await pool(OBSERVE_WORKFLOWS, IN_FLIGHT, async () => {
      await (
        await engine.start(plan)
      ).done;
    });
    await recorder.idle();
    recorder.close();
    const events = rounds.flat();
    // Every event is live for a new subscription on this journal (its last seq is 0).
    const live = { lastEventSeq: async () => 0, listEventsAfter: async () => [] } as unknown as Journal;
    const metrics = createMetrics({ defaultMetrics: false, runs: journal, activity: sampler });
    const publish = async (observed: boolean): Promise<number> => {
      const bus = new EventBus(nullLogger, live);
      // As the app subscribes them (metrics.follow: the types the fold reads).
      const sub = observed ? metrics.follow({ on: (l, o) => bus.on(l, o) }, journal) : undefined;
      await sub?.idle();
      const cpu0 = process.cpuUsage();
      for (const round of rounds) {
        for (const event of round) bus.emit([event]);
        await undefined;
      }
      await sub?.idle();
      const cpu = process.cpuUsage(cpu0);
      if (sub && sub.failures > 0) throw new Error(`the metrics failed on ${sub.failures} events`);
      sub?.close();
      return cpu.user + cpu.system;
    };
    for (let r = 0; r < 3; r++) {
      await publish(false);
      await publish(true);
    }
    const differences: number[] = [];
    for (let r = 0; r < 15; r++) {
      const first = r % 2 === 0;
      const a = await publish(!first);
      const b = await publish(first);
      differences.push(first ? b - a : a - b);
    }
    const cpuUs = median(differences);
    const steps = OBSERVE_WORKFLOWS * STEPS_PER_WORKFLOW;
    return {
      usPerStep: round(cpuUs / steps, 3),
      usPerEvent: round(cpuUs / events.length, 3),
      eventsPerStep: round(events.length / steps, 2),
      eventsPerRound: round(events.length / rounds.length, 2),
    };
  } finally {
    recorder.close();
    sampler.stop();
    await engine.close();
    await journal.close();
    tmp.cleanup();
  }
}

async function scrape(log: (line: string) => void): Promise<ObserveResult["scrape"]> {
  const runs = 1000;
  const tmp = tempDir("scrape");
  const journal = createSqliteJournal({ path: tmp.file("journal.db"), durability: "process" });
  const engine = createEngine({ journal });
  engine.register(KIND, async () => ({}));
  const plans = Array.from({ length: 10 }, (_, i) => benchPlan(engine.kinds, `bench-${i}`));
  const metrics = createMetrics();
  const feed = metrics.follow(engine, journal);
  const routes = chainRoutes(metricsRoute(metrics));
  const server = createServer((req, res) => {
    void Promise.resolve(routes(req, res)).then((answered) => {
      if (!answered) res.writeHead(404).end();
    });
  });
  try {
    await pool(runs, IN_FLIGHT, async (i) => {
      await (
        await engine.start(plans[i % plans.length] as (typeof plans)[number])
      ).done;
    });
    await feed.idle();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    const times: number[] = [];
    let text = "";
    for (let i = 0; i < 55; i++) {
      const t0 = performance.now();
      const res = await fetch(url);
      text = await res.text();
      if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
      if (i >= 5) times.push(performance.now() - t0);
    }
    const lines = text.split("\n");
    const fresh = createMetrics({ defaultMetrics: false });
    const r0 = performance.now();
    const last = await fresh.replay(journal);
    const replayMs = performance.now() - r0;
    log(
      `(g) /metrics with ${runs} runs recorded: p50 ${round(median(times), 2)} ms over ${times.length} scrapes`,
    );
    return {
      runs,
      series: lines.filter((l) => l !== "" && !l.startsWith("#")).length,
      samples: times.length,
      bytes: Buffer.byteLength(text),
      p50Ms: round(median(times), 2),
      p95Ms: round(quantile(times, 0.95), 2),
      maxMs: round(Math.max(...times), 2),
      replayMs: round(replayMs),
      replayEvents: last,
    };
  } finally {
    server.close();
    feed.close();
    await engine.close();
    await journal.close();
    tmp.cleanup();
  }
}

export async function runObserveBench(reps: number, log: (line: string) => void): Promise<ObserveResult> {
  const pairs = await overhead(reps, log);
  const steps = OBSERVE_WORKFLOWS * STEPS_PER_WORKFLOW;
  const fold = await foldCost();
  const engineCpuUsPerStep = round(median(pairs.map((p) => p.withoutCpuUs / steps)), 2);
  log(
    `(g) observers: ${fold.usPerStep} µs CPU per step (${fold.usPerEvent} µs per event, ${fold.eventsPerStep} events per step, ${fold.eventsPerRound} per delivery round); engine ${engineCpuUsPerStep} µs CPU per step`,
  );
  return {
    fold,
    engineCpuUsPerStep,
    foldShare: round(fold.usPerStep / engineCpuUsPerStep, 4),
    workflows: OBSERVE_WORKFLOWS,
    pairs,
    listenerUsPerStep: round(median(pairs.map((p) => (p.listenerMs * 1000) / steps)), 3),
    listenerShareMedian: round(median(pairs.map((p) => p.listenerShare)), 4),
    wallRatioMedian: round(median(pairs.map((p) => p.wallRatio)), 4),
    cpuRatioMedian: round(median(pairs.map((p) => p.cpuRatio)), 4),
    withoutStepsPerSecMedian: round(median(pairs.map((p) => steps / (p.withoutMs / 1000)))),
    withStepsPerSecMedian: round(median(pairs.map((p) => steps / (p.withMs / 1000)))),
    scrape: await scrape(log),
  };
}
