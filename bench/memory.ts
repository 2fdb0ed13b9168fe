/**
 * (c) Memory and resume, in a child process of its own (so its RSS is the engine's alone):
 *
 * 1. Memory: 10 waves of 1,000 runs of the workload ('process' durability, one journal file).
 *    In each wave every run's middle stage blocks on a promise until all 1,000 runs × 10 middle
 *    steps are inside their handlers (1,000 runs in flight at once), then the promise is released
 *    and the wave runs to its end. After the last wave 10,000 runs are recorded in the journal.
 *    RSS is sampled every 20 ms (process.memoryUsage.rss) and at each wave's blocked point;
 *    process.resourceUsage().maxRSS is read at the end. The baseline is the RSS after the engine
 *    and journal are created and the plan compiled, after a GC, before any run.
 * 2. Resume: a grandchild process opens the same journal, starts 1,000 runs whose middle steps
 *    never return, waits until all are blocked (and their writes committed), and is killed with
 *    SIGKILL. A NEW engine on the same file, with `isOwnerAlive: () => false` (the dead owner's
 *    lease has not expired yet), calls resumeAll() and the clock runs until all 1,000 resumed
 *    runs are done (each still has 10 middle steps and the last stage to run).
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createEngine } from "../src/engine/index.js";
import { createSqliteJournal } from "../src/store/index.js";
import { benchPlan, KIND, MIDDLE_STEPS, runInChild, STAGES, tempDir, tick } from "./workload.js";

export const WAVES = 10;
export const WAVE_RUNS = 1_000;
export const RESUME_RUNS = 1_000;

export interface MemoryResult {
  waves: number;
  runsPerWave: number;
  runsRecorded: number;
  baselineRssBytes: number;
  /** Peak of the sampled process.memoryUsage.rss while runs were in flight. */
  peakRssBytes: number;
  /** process.resourceUsage().maxRSS at the end of the memory phase, in bytes. */
  maxRssBytes: number;
  /** RSS at each wave's blocked point (1,000 runs in flight), in bytes. */
  blockedRssBytes: number[];
  /** heapUsed at the last wave's blocked point, in bytes. */
  blockedHeapUsedBytes: number;
  /** process.memoryUsage() at the last wave's blocked point (before the forced GC). */
  blockedMemoryUsage: NodeJS.MemoryUsage;
  /** heapUsed after a forced GC at the last wave's blocked point (what 1,000 runs in flight retain). */
  blockedHeapAfterGcBytes: number;
  /** heapUsed after a forced GC before any run, and after all 10,000 runs finished (leak check). */
  baselineHeapAfterGcBytes: number;
  finalHeapAfterGcBytes: number;
  fillElapsedMs: number;
  resume: {
    runs: number;
    /** From resumeAll() to all 1,000 resumed runs done. */
    totalMs: number;
    /** From resumeAll() until it returned its handles (all runs taken over and relaunched). */
    handlesMs: number;
    perRunMs: number;
    succeeded: number;
    peakRssBytes: number;
  };
}

/** Runs the memory benchmark in a child process and returns its result. */
export function runMemoryBench(): Promise<MemoryResult> {
  return runInChild<MemoryResult>(import.meta.url, "memory");
}

interface Gate {
  promise: Promise<void>;
  release(): void;
}

function gate(): Gate {
  let release = () => {};
  const promise = new Promise<void>((r) => {
    release = r;
  });
  return { promise, release };
}

async function until(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(5);
  }
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** The child: measures memory, then resume. */
async function memoryChild(): Promise<MemoryResult> {
  const tmp = tempDir("memory");
  const path = tmp.file("journal.db");
  try {
    const journal = createSqliteJournal({ path, durability: "process" });
    const engine = createEngine({ journal, owner: "bench/memory" });
    let current = gate();
    let blocked = 0;
    engine.register(KIND, async (ctx) => {
      if (ctx.stageId === STAGES.middle) {
        blocked++;
        await current.promise;
      }
      return {};
    });
    const plan = benchPlan(engine.kinds);
    await tick(50);
    gc();
    await tick(50);
    const baselineRssBytes = process.memoryUsage.rss();
    const baselineHeapAfterGcBytes = process.memoryUsage().heapUsed;
    let peakRssBytes = baselineRssBytes;
    const sampler = setInterval(() => {
      peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
    }, 20);
    const blockedRssBytes: number[] = [];
    let blockedHeapUsedBytes = 0;
    let blockedHeapAfterGcBytes = 0;
    let blockedMemoryUsage = process.memoryUsage();
    const fillStart = performance.now();
    for (let wave = 0; wave < WAVES; wave++) {
      current = gate();
      blocked = 0;
      const handles = await Promise.all(Array.from({ length: WAVE_RUNS }, () => engine.start(plan)));
      await until(() => blocked === WAVE_RUNS * MIDDLE_STEPS, `wave ${wave} to block`);
      const rss = process.memoryUsage.rss();
      peakRssBytes = Math.max(peakRssBytes, rss);
      blockedRssBytes.push(rss);
      blockedMemoryUsage = process.memoryUsage();
      blockedHeapUsedBytes = blockedMemoryUsage.heapUsed;
      if (wave === WAVES - 1) {
        gc();
        blockedHeapAfterGcBytes = process.memoryUsage().heapUsed;
      }
      current.release();
      const results = await Promise.all(handles.map((h) => h.done));
      const bad = results.find((r) => r.status !== "succeeded");
      if (bad) throw new Error(`run ${bad.runId} ended ${bad.status} (${bad.reason})`);
    }
    const fillElapsedMs = performance.now() - fillStart;
    clearInterval(sampler);
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    await tick(50);
    gc();
    const finalHeapAfterGcBytes = process.memoryUsage().heapUsed;
    await engine.close();
    await journal.close();

    const resume = await resumeAfterKill(path);
    return {
      waves: WAVES,
      runsPerWave: WAVE_RUNS,
      runsRecorded: WAVES * WAVE_RUNS,
      baselineRssBytes,
      peakRssBytes,
      maxRssBytes,
      blockedRssBytes,
      blockedHeapUsedBytes,
      blockedMemoryUsage,
      blockedHeapAfterGcBytes,
      baselineHeapAfterGcBytes,
      finalHeapAfterGcBytes,
      fillElapsedMs,
      resume,
    };
  } finally {
    tmp.cleanup();
  }
}

async function resumeAfterKill(path: string): Promise<MemoryResult["resume"]> {
  const crashed: ChildProcess = fork(fileURLToPath(import.meta.url), ["interrupted", path], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => crashed.on("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    crashed.on("message", (m) => (m === "ready" ? resolve() : undefined));
    crashed.on("exit", (code) => reject(new Error(`interrupted engine exited early (code ${code})`)));
  });
  crashed.kill("SIGKILL");
  await exited;

  gc();
  let peakRssBytes = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
  }, 20);
  const journal = createSqliteJournal({ path, durability: "process" });
  const engine = createEngine({ journal, owner: "bench/resumer", isOwnerAlive: () => false });
  engine.register(KIND, async () => ({}));
  try {
    const start = performance.now();
    const handles = await engine.resumeAll();
    const handlesMs = performance.now() - start;
    const results = await Promise.all(handles.map((h) => h.done));
    const totalMs = performance.now() - start;
    clearInterval(sampler);
    const succeeded = results.filter((r) => r.status === "succeeded").length;
    return {
      runs: handles.length,
      totalMs,
      handlesMs,
      perRunMs: totalMs / RESUME_RUNS,
      succeeded,
      peakRssBytes,
    };
  } finally {
    clearInterval(sampler);
    await engine.close();
    await journal.close();
  }
}

/** The grandchild: an engine that starts RESUME_RUNS runs, blocks them, and waits to be killed. */
async function interruptedChild(path: string): Promise<void> {
  const journal = createSqliteJournal({ path, durability: "process" });
  const engine = createEngine({ journal, owner: "bench/crashed" });
  let blocked = 0;
  engine.register(KIND, async (ctx) => {
    if (ctx.stageId === STAGES.middle) {
      blocked++;
      await new Promise(() => {}); // never returns: the process is killed here
    }
    return {};
  });
  const plan = benchPlan(engine.kinds);
  await Promise.all(Array.from({ length: RESUME_RUNS }, () => engine.start(plan)));
  await until(() => blocked === RESUME_RUNS * MIDDLE_STEPS, "the interrupted runs to block");
  await tick(200); // let the step.started commits land
  process.send?.("ready");
  setInterval(() => {}, 1_000); // stay alive until killed
}

const role = process.argv[2];
if (process.send && role === "memory") {
  memoryChild().then(
    (result) => {
      process.send?.(result, () => process.exit(0));
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
} else if (process.send && role === "interrupted" && process.argv[3]) {
  interruptedChild(process.argv[3]).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
