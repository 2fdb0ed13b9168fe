/**
 * The profiler's resource samples in the CLI: `run` and `resume` sample the process's memory and
 * event-loop lag while their runs go (into the journal's file), and `report` reads those of a
 * run's window back. Samples are best effort: a store that cannot be opened or written is logged
 * at debug level and never fails a command.
 */
import { errorMessage } from "../../index.js";
import { ResourceSampler, runResources } from "../../observe/index.js";
import { createSqliteSampleStore, type SqliteSampleStore } from "../../sqlite.js";
import type { ResourcesOutput } from "../render/performance.js";
import type { CliRoot } from "../root.js";

export interface Sampling {
  /** Takes a last sample if runs were active, stops sampling and closes the store. Idempotent. */
  stop(): void;
  /** The sampler, while the store could be opened. */
  readonly sampler: ResourceSampler | undefined;
}

/**
 * The sample store on the journal's file, writable; undefined (logged at debug level, `failed`
 * saying what was not done) when it cannot be opened or the journal is in memory.
 */
function openSampleStore(root: CliRoot, failed: string): SqliteSampleStore | undefined {
  const { db: path, durability } = root.config.values;
  try {
    if (path === ":memory:") throw new Error("the journal is in memory");
    return createSqliteSampleStore({ path, durability });
  } catch (e) {
    root.logger.debug(`${failed}: ${errorMessage(e)}`);
    return undefined;
  }
}

/** Samples while the engine's runs go, into the sample store on the journal's file. */
export function sampleRuns(root: CliRoot): Sampling {
  const store = openSampleStore(root, "resource samples are not recorded");
  if (!store) return { stop: () => {}, sampler: undefined };
  const sampler = new ResourceSampler({
    sink: store,
    onSinkError: (e) => root.logger.debug(`a resource sample was not recorded: ${errorMessage(e)}`),
  });
  const subscription = root.engine.on(sampler.listener);
  let stopped = false;
  return {
    sampler,
    stop() {
      if (stopped) return;
      stopped = true;
      sampler.stop();
      subscription.close();
      store.close();
    },
  };
}

/**
 * Deletes the resource samples taken before `at` from the journal's file (`stageflow prune`);
 * returns how many. Best effort, like sampling: a store that cannot be opened deletes none.
 */
export function deleteSamplesBefore(root: CliRoot, at: number): number {
  const failed = "resource samples were not pruned";
  const store = openSampleStore(root, failed);
  if (!store) return 0;
  try {
    return store.deleteBefore(at);
  } catch (e) {
    root.logger.debug(`${failed}: ${errorMessage(e)}`);
    return 0;
  } finally {
    store.close();
  }
}

/**
 * The resources of the run's window, read from the journal's file without writing to it: a file
 * without the samples' tables has none; one that cannot be read says why.
 */
export function readRunResources(
  root: CliRoot,
  run: { createdAt: number; finishedAt: number | null },
  now: number,
): ResourcesOutput {
  const window = { startedAt: run.createdAt, finishedAt: run.finishedAt };
  let store: SqliteSampleStore | undefined;
  try {
    store = createSqliteSampleStore({ path: root.config.values.db, readOnly: true });
    return runResources(store, window, { now });
  } catch (e) {
    return { ...runResources({ between: () => [] }, window, { now }), unavailable: errorMessage(e) };
  } finally {
    store?.close();
  }
}
