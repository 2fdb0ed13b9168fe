/**
 * (b) Parallelism: the workload with every step sleeping 50 ms (systemClock.sleep inside the
 * handler), 'process' durability. Per workflow, the middle stage's span — from the END of stage 1
 * (`stage.succeeded` of `first`, its `at`) to the START of stage 3 (`stage.started` of `last`, its
 * `at`) — is compared with its 10 steps in sequence: the sum of the 10 step durations observed
 * inside the handlers (performance.now around the sleep). speedup = sequence / span; 10 is the
 * ideal (zero overhead), 9.5 the target.
 *
 * A stricter, sub-millisecond span is also taken from handler timestamps: from the return of
 * stage 1's handler to the entry of stage 3's handler (it additionally holds stage 1's checkpoint
 * commit and the commits between the two stages).
 */
import type { EngineEvent } from "../src/engine/events.js";
import { createEngine, systemClock } from "../src/engine/index.js";
import { createSqliteJournal } from "../src/store/index.js";
import {
  benchPlan,
  IN_FLIGHT,
  KIND,
  MIDDLE_STEPS,
  median,
  pool,
  quantile,
  STAGES,
  tempDir,
  WORKFLOWS,
} from "./workload.js";

export const STEP_SLEEP_MS = 50;

interface RunTimes {
  firstSucceededAt?: number;
  lastStartedAt?: number;
  firstHandlerEnd?: number;
  lastHandlerStart?: number;
  middleDurations: number[];
}

export interface ParallelResult {
  workflows: number;
  stepSleepMs: number;
  /** Per-workflow speedups (sequence / span), from engine events' `at`. */
  speedupMedian: number;
  /** The speedup 95 % of workflows reach or beat (5th percentile of speedups = p95 of spans). */
  speedupP95: number;
  spanMedianMs: number;
  spanP95Ms: number;
  sequenceMedianMs: number;
  /** The same from handler timestamps (sub-millisecond, stricter span). */
  handlerSpeedupMedian: number;
  handlerSpeedupP95: number;
  handlerSpanMedianMs: number;
  handlerSpanP95Ms: number;
  elapsedMs: number;
}

export async function measureParallel(workflows = WORKFLOWS, inFlight = IN_FLIGHT): Promise<ParallelResult> {
  const tmp = tempDir("parallel");
  const journal = createSqliteJournal({ path: tmp.file("journal.db"), durability: "process" });
  const engine = createEngine({ journal, clock: systemClock });
  const runs = new Map<string, RunTimes>();
  const times = (runId: string): RunTimes => {
    let t = runs.get(runId);
    if (!t) {
      t = { middleDurations: [] };
      runs.set(runId, t);
    }
    return t;
  };
  engine.register(KIND, async (ctx) => {
    const t = times(ctx.runId);
    const entered = performance.now();
    if (ctx.stageId === STAGES.last) t.lastHandlerStart = entered;
    await systemClock.sleep(STEP_SLEEP_MS, ctx.signal);
    const left = performance.now();
    if (ctx.stageId === STAGES.middle) t.middleDurations.push(left - entered);
    if (ctx.stageId === STAGES.first) t.firstHandlerEnd = left;
    return {};
  });
  engine.on((event: EngineEvent) => {
    if (event.type === "stage.succeeded" && event.payload.stageId === STAGES.first) {
      times(event.runId).firstSucceededAt = event.at;
    } else if (event.type === "stage.started" && event.payload.stageId === STAGES.last) {
      times(event.runId).lastStartedAt = event.at;
    }
  });
  const plan = benchPlan(engine.kinds);
  try {
    const start = performance.now();
    await pool(workflows, inFlight, async () => {
      const handle = await engine.start(plan);
      const result = await handle.done;
      if (result.status !== "succeeded") throw new Error(`run ended ${result.status} (${result.reason})`);
    });
    const elapsedMs = performance.now() - start;
    const spans: number[] = [];
    const speedups: number[] = [];
    const sequences: number[] = [];
    const handlerSpans: number[] = [];
    const handlerSpeedups: number[] = [];
    for (const [runId, t] of runs) {
      const { firstSucceededAt, lastStartedAt, firstHandlerEnd, lastHandlerStart } = t;
      if (
        firstSucceededAt === undefined ||
        lastStartedAt === undefined ||
        firstHandlerEnd === undefined ||
        lastHandlerStart === undefined ||
        t.middleDurations.length !== MIDDLE_STEPS
      ) {
        throw new Error(`run ${runId}: incomplete timings ${JSON.stringify(t)}`);
      }
      const sequence = t.middleDurations.reduce((a, b) => a + b, 0);
      const span = lastStartedAt - firstSucceededAt;
      const handlerSpan = lastHandlerStart - firstHandlerEnd;
      sequences.push(sequence);
      spans.push(span);
      speedups.push(sequence / span);
      handlerSpans.push(handlerSpan);
      handlerSpeedups.push(sequence / handlerSpan);
    }
    return {
      workflows,
      stepSleepMs: STEP_SLEEP_MS,
      speedupMedian: median(speedups),
      speedupP95: quantile(speedups, 0.05),
      spanMedianMs: median(spans),
      spanP95Ms: quantile(spans, 0.95),
      sequenceMedianMs: median(sequences),
      handlerSpeedupMedian: median(handlerSpeedups),
      handlerSpeedupP95: quantile(handlerSpeedups, 0.05),
      handlerSpanMedianMs: median(handlerSpans),
      handlerSpanP95Ms: quantile(handlerSpans, 0.95),
      elapsedMs,
    };
  } finally {
    await engine.close();
    await journal.close();
    tmp.cleanup();
  }
}
