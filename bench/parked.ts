/**
 * (d) Parked runs, in a child process of its own (so its RSS is the engine's alone). Absolute
 * targets (issue 10): 10,000 parked runs in one process under 150 MB RSS, and a signal reaching a
 * parked run's next step in under 50 ms.
 *
 * 1. Baseline: the engine and its SQLite journal ('process' durability, a temp file) are created,
 *    the plan compiled and one run done end to end (so code paths are loaded), then, settled (a
 *    second of idle time with five full GCs), the RSS is read: an engine with no parked run.
 * 2. 10,000 runs are started (50 at a time); each one's first stage is a `signal` step, so each
 *    parks (status waiting, its lease released, out of memory). Settled the same way, the RSS is
 *    read again: what 10,000 parked runs cost is the difference. The peak while starting them
 *    (maxRSS: the heap that 50 runs in flight at a time grow) is reported too.
 * 3. Latency: 200 of the parked runs, one at a time, get their signal; the time from calling
 *    `engine.signal` to the handler of the run's next step starting is one sample (the engine
 *    journals the signal, wakes the run from the journal, re-runs the signal step, which takes the
 *    signal, checkpoints it, then starts the next step). The other runs stay parked meanwhile.
 */
import { compileWorkflow } from "../src/engine/definition/index.js";
import { createEngine } from "../src/engine/index.js";
import { createSqliteJournal } from "../src/store/index.js";
import { quantile, runInChild, tempDir } from "./workload.js";

export const PARKED_RUNS = 10_000;
export const LATENCY_SAMPLES = 200;
/** Runs started at a time while filling (each batch parks before the next starts). */
const FILL_BATCH = 50;
export const PARKED_TARGET = { rssBytes: 150 * 1024 * 1024, latencyMs: 50 };

export interface ParkedResult {
  runs: number;
  baselineRssBytes: number;
  parkedRssBytes: number;
  baselineHeapBytes: number;
  parkedHeapBytes: number;
  /** Peak RSS of the child over the whole benchmark (process.resourceUsage().maxRSS). */
  maxRssBytes: number;
  fillMs: number;
  latency: { samples: number; p50Ms: number; p95Ms: number; maxMs: number };
}

/** Runs the parked-runs benchmark in a child process and returns its result. */
export function runParkedBench(): Promise<ParkedResult> {
  return runInChild<ParkedResult>(import.meta.url, "parked");
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/**
 * Parked runs sit for hours: memory is measured in the steady state, after V8 has had the time
 * (idle, a few full GCs) to give back heap that starting runs grew, as in a long-lived host.
 */
async function settle(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 200));
    gc();
  }
  return process.memoryUsage();
}

async function parkedChild(): Promise<ParkedResult> {
  const tmp = tempDir("parked");
  const journal = createSqliteJournal({ path: tmp.file("state.db") });
  const engine = createEngine({ journal, owner: "bench/parked" });
  const reached = new Map<string, (at: number) => void>();
  engine.register("next", async (ctx) => {
    reached.get(ctx.runId)?.(performance.now());
    return {};
  });
  const plan = compileWorkflow(
    {
      name: "parked",
      stages: [
        { id: "gate", steps: [{ id: "approve", signal: "approval" }] },
        { id: "after", steps: [{ id: "next", next: {} }] },
      ],
    },
    { kinds: engine.kinds },
  );
  let parked = 0;
  let onParked: (() => void) | undefined;
  engine.on((e) => {
    if (e.type === "run.parked") {
      parked++;
      onParked?.();
    }
  });
  const whenParked = (count: number) =>
    new Promise<void>((resolve) => {
      if (parked >= count) return resolve();
      onParked = () => {
        if (parked >= count) resolve();
      };
    });
  // One run end to end, so the baseline has every code path loaded.
  const warm = await engine.start(plan);
  await whenParked(1);
  const warmDone = new Promise<number>((r) => reached.set(warm.runId, r));
  await engine.signal(warm.runId, "approval");
  await warmDone;
  reached.clear();
  const baseline = await settle();

  const started = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < PARKED_RUNS; i += FILL_BATCH) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(FILL_BATCH, PARKED_RUNS - i) }, () => engine.start(plan)),
    );
    for (const h of batch) ids.push(h.runId);
    await whenParked(1 + i + batch.length);
  }
  const fillMs = performance.now() - started;
  const after = await settle();
  process.stderr.write(`(d) after parking: ${JSON.stringify(after)}\n`);

  const samples: number[] = [];
  for (const runId of ids.slice(0, LATENCY_SAMPLES)) {
    const next = new Promise<number>((r) => reached.set(runId, r));
    const t0 = performance.now();
    await engine.signal(runId, "approval", { ok: true });
    samples.push((await next) - t0);
    reached.delete(runId);
  }
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  await engine.close();
  await journal.close();
  tmp.cleanup();
  return {
    runs: PARKED_RUNS,
    baselineRssBytes: baseline.rss,
    parkedRssBytes: after.rss,
    baselineHeapBytes: baseline.heapUsed,
    parkedHeapBytes: after.heapUsed,
    maxRssBytes,
    fillMs,
    latency: {
      samples: samples.length,
      p50Ms: quantile(samples, 0.5),
      p95Ms: quantile(samples, 0.95),
      maxMs: Math.max(...samples),
    },
  };
}

if (process.send && process.argv[2] === "parked") {
  parkedChild().then(
    (result) => {
      process.send?.(result, () => process.exit(0));
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
