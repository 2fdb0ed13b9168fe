/**
 * (a) Durable no-op steps per second through the whole engine: createEngine + createSqliteJournal
 * on a real file, the workload's 200 workflows with 4 in flight. A step counts once its
 * checkpoint is committed; the clock runs from the first start() to the last run's end.
 */
import { createEngine } from "../src/engine/index.js";
import { createSqliteJournal, type Durability } from "../src/store/index.js";
import { benchPlan, IN_FLIGHT, KIND, pool, STEPS_PER_WORKFLOW, tempDir, WORKFLOWS } from "./workload.js";

export interface ThroughputResult {
  durability: Durability;
  workflows: number;
  steps: number;
  elapsedMs: number;
  stepsPerSec: number;
  /** The journal's group-commit counters: writes / commits is the mean group size. */
  commits: number;
  writes: number;
  /** CPU time of this process during the measurement, per step (µs). */
  cpuUserUsPerStep: number;
  cpuSystemUsPerStep: number;
}

export async function measureThroughput(
  durability: Durability,
  workflows = WORKFLOWS,
  inFlight = IN_FLIGHT,
): Promise<ThroughputResult> {
  const tmp = tempDir(`engine-${durability}`);
  const journal = createSqliteJournal({ path: tmp.file("journal.db"), durability });
  const engine = createEngine({ journal });
  engine.register(KIND, async () => ({}));
  const plan = benchPlan(engine.kinds);
  try {
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    await pool(workflows, inFlight, async () => {
      const handle = await engine.start(plan);
      const result = await handle.done;
      if (result.status !== "succeeded") {
        throw new Error(`run ${result.runId} ended ${result.status} (${result.reason})`);
      }
    });
    const elapsedMs = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    const steps = workflows * STEPS_PER_WORKFLOW;
    return {
      durability,
      workflows,
      steps,
      elapsedMs,
      stepsPerSec: steps / (elapsedMs / 1000),
      ...journal.stats(),
      cpuUserUsPerStep: cpu.user / steps,
      cpuSystemUsPerStep: cpu.system / steps,
    };
  } finally {
    await engine.close();
    await journal.close();
    tmp.cleanup();
  }
}
