/**
 * Resource samples that outlive the process that took them: the sampler (sampler.ts) appends
 * each sample to a SampleSink, and `stageflow report` (another process) reads the samples of a
 * run's window back through a SampleReader. Ports only: the SQLite store that implements both is
 * `createSqliteSampleStore` in `stageflow/sqlite` (src/store/sqlite/samples.ts).
 */
import { hostname } from "node:os";
import type { ResourceSample, ResourceSummary } from "./sampler.js";

/** A sample and the process that took it. */
export interface HostSample extends ResourceSample {
  /** `hostname:pid` of the process (see defaultSampleHost). */
  host: string;
}

/** Where the sampler writes each sample it takes. Synchronous; a throw is the sampler's to count. */
export interface SampleSink {
  append(sample: HostSample): void;
}

/** Reads samples back: those taken at `from` <= at <= `to` (epoch ms), oldest first. */
export interface SampleReader {
  between(from: number, to: number): HostSample[];
}

/** The resources a run's processes used over its window. */
export interface RunResources extends ResourceSummary {
  /** The window read (epoch ms): the run's start and end (or now), widened by the slack. */
  from: number;
  to: number;
  /** The processes that sampled in the window (`hostname:pid`), in order of first sample. */
  hosts: string[];
}

/** How far a run's window is widened either side: a sample is taken at most every interval. */
export const SAMPLE_SLACK_MS = 1_000;

/** This process, as a sample's `host`: `hostname:pid`. */
export function defaultSampleHost(): string {
  return `${hostname()}:${process.pid}`;
}

/** Max, min and so on of the samples: null figures when there are none. */
export function summarizeSamples(samples: readonly ResourceSample[]): ResourceSummary {
  const lags = samples.flatMap((x) => (x.loopLagMs ? [x.loopLagMs] : []));
  const max = (xs: number[]) => (xs.length ? xs.reduce((a, b) => (b > a ? b : a)) : null);
  return {
    samples: samples.length,
    rssMaxBytes: max(samples.map((x) => x.rssBytes)),
    heapUsedMaxBytes: max(samples.map((x) => x.heapUsedBytes)),
    loopLagP99MaxMs: max(lags.map((l) => l.p99)),
    loopLagMaxMs: max(lags.map((l) => l.max)),
  };
}

export interface RunWindow {
  /** When the run started (its record's `createdAt`). */
  startedAt: number;
  /** When it finished; null while it has not: up to `now`. */
  finishedAt: number | null;
}

/**
 * The resources used while the run was going: the samples from `startedAt` to `finishedAt` (or
 * `now`), SAMPLE_SLACK_MS either side, that found a run active (`activeRuns > 0`). Samples are
 * per process, not per run: runs of the same processes that overlapped the window count too.
 */
export function runResources(
  reader: SampleReader,
  window: RunWindow,
  options: { now?: number; slackMs?: number } = {},
): RunResources {
  const slack = options.slackMs ?? SAMPLE_SLACK_MS;
  const from = window.startedAt - slack;
  const to = (window.finishedAt ?? options.now ?? Date.now()) + slack;
  const samples = reader.between(from, to).filter((s) => s.activeRuns > 0);
  const hosts = [...new Set(samples.map((s) => s.host))];
  return { ...summarizeSamples(samples), from, to, hosts };
}
