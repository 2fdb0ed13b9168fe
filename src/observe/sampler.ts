/**
 * Samples the process's memory (RSS, heap) and event-loop lag (perf_hooks'
 * monitorEventLoopDelay) while runs are active: the sampler subscribes to the engine's events
 * (`engine.on(sampler.listener)`, or the metrics' `activity` option, which costs nothing per
 * event), starts when a run starts, resumes or wakes, and stops at the first sample that finds
 * none left: runs that follow each other closely keep it on instead of toggling it at every gap.
 * Time comes from an injected Clock, so tests drive it with a fake one.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { type Clock, type EngineEvent, startTimer, systemClock } from "../index.js";
import { defaultSampleHost, type SampleSink, summarizeSamples } from "./samples.js";

/** What the sampler reads of the event-loop delay: perf_hooks' IntervalHistogram (nanoseconds). */
export interface LoopDelaySource {
  enable(): unknown;
  disable(): unknown;
  reset(): void;
  readonly mean: number;
  readonly max: number;
  percentile(p: number): number;
}

export interface MemoryReading {
  rss: number;
  heapUsed: number;
  heapTotal: number;
}

export interface ResourceSample {
  at: number;
  /** The most runs active at once since the previous sample (0: none ran in between). */
  activeRuns: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  /** Event-loop delay since the previous sample (ms); null when nothing was measured. */
  loopLagMs: { mean: number; p99: number; max: number } | null;
}

export interface ResourceSummary {
  samples: number;
  rssMaxBytes: number | null;
  heapUsedMaxBytes: number | null;
  /** The highest p99 and max of the event-loop delay over the samples (ms). */
  loopLagP99MaxMs: number | null;
  loopLagMaxMs: number | null;
}

export interface SamplerOptions {
  /** @default the system clock */
  clock?: Clock;
  /** Between samples while runs are active. @default 1000 */
  intervalMs?: number;
  /** Samples kept (oldest dropped first). @default 600 */
  maxSamples?: number;
  /** @default process.memoryUsage */
  memory?: () => MemoryReading;
  /** @default monitorEventLoopDelay({ resolution: 20 }) */
  loopDelay?: LoopDelaySource;
  /**
   * A start older than this (by the clock) is history being replayed, not a run of this process:
   * it is ignored, so a run recorded as running by a process that died never keeps the sampler on.
   * @default 60000
   */
  staleAfterMs?: number;
  /**
   * Each sample taken is also appended here (e.g. the SQLite sample store, so that
   * `stageflow report` can read it). A sink that throws never stops sampling: see
   * `sinkFailures` and `onSinkError`.
   */
  sink?: SampleSink;
  /** The samples' `host` in the sink. @default `${os.hostname()}:${process.pid}` */
  host?: string;
  /** Told of each append the sink threw on (it must not throw itself; if it does, it is ignored). */
  onSinkError?: (err: unknown) => void;
}

const STARTS = new Set(["run.started", "run.resumed", "run.woken"]);
const STOPS = new Set([
  "run.succeeded",
  "run.failed",
  "run.cancelled",
  "run.degraded",
  "run.blocked",
  "run.interrupted",
  "run.parked",
  "run.escalated",
]);
const NS_PER_MS = 1e6;

export class ResourceSampler {
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly maxSamples: number;
  private readonly memory: () => MemoryReading;
  private readonly staleAfterMs: number;
  private readonly sink: SampleSink | undefined;
  private readonly host: string;
  private readonly onSinkError: ((err: unknown) => void) | undefined;
  private failures = 0;
  private loop: LoopDelaySource | undefined;
  private readonly makeLoop: () => LoopDelaySource;
  private readonly active = new Set<string>();
  private readonly taken: ResourceSample[] = [];
  private cancel: (() => void) | null = null;
  /** True from a run's start until a sample finds no run left: the loop delay is being measured. */
  private on = false;
  /** The most runs active at once since the last sample. */
  private peak = 0;

  /** Subscribe it to the engine: `engine.on(sampler.listener)`. */
  readonly listener = (event: EngineEvent): void => {
    if (STARTS.has(event.type)) this.runStarted(event.runId, event.at);
    else if (STOPS.has(event.type)) this.runStopped(event.runId);
  };

  constructor(options: SamplerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.intervalMs = options.intervalMs ?? 1000;
    if (!(this.intervalMs > 0))
      throw new TypeError(`sampler intervalMs: expected a positive number, got ${this.intervalMs}`);
    this.maxSamples = Math.max(1, options.maxSamples ?? 600);
    this.memory = options.memory ?? (() => process.memoryUsage());
    this.staleAfterMs = options.staleAfterMs ?? 60_000;
    this.sink = options.sink;
    this.host = options.host ?? defaultSampleHost();
    this.onSinkError = options.onSinkError;
    this.makeLoop = () => options.loopDelay ?? monitorEventLoopDelay({ resolution: 20 });
  }

  /** Runs being sampled for. */
  get activeRuns(): number {
    return this.active.size;
  }

  /** Appends the sink threw on (each sample is still kept in memory). */
  get sinkFailures(): number {
    return this.failures;
  }

  /** True while a timer is set for the next sample. */
  get sampling(): boolean {
    return this.on;
  }

  /** `at`: when the run started, resumed or woke (its event's time); omitted, now. */
  runStarted(runId: string, at?: number): void {
    if (at !== undefined && this.clock.now() - at > this.staleAfterMs) return;
    this.active.add(runId);
    if (this.active.size > this.peak) this.peak = this.active.size;
    if (this.on) return;
    this.on = true;
    this.loop ??= this.makeLoop();
    this.loop.reset();
    this.loop.enable();
    this.schedule();
  }

  /** The next sample, if it finds no run left, is the last until a run starts. */
  runStopped(runId: string): void {
    this.active.delete(runId);
  }

  /** Takes a sample now (also while no run is active). */
  sample(): ResourceSample {
    const mem = this.memory();
    const loop = this.loop;
    const measured = loop && this.on && Number.isFinite(loop.mean) && loop.max > 0;
    const sample: ResourceSample = {
      at: this.clock.now(),
      activeRuns: this.peak,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      heapTotalBytes: mem.heapTotal,
      loopLagMs: measured
        ? { mean: loop.mean / NS_PER_MS, p99: loop.percentile(99) / NS_PER_MS, max: loop.max / NS_PER_MS }
        : null,
    };
    loop?.reset();
    this.peak = this.active.size;
    this.taken.push(sample);
    if (this.taken.length > this.maxSamples) this.taken.shift();
    if (this.sink) this.append(this.sink, sample);
    return sample;
  }

  samples(): ResourceSample[] {
    return [...this.taken];
  }

  summary(): ResourceSummary {
    return summarizeSamples(this.taken);
  }

  /**
   * Stops sampling (the samples stay), after a last sample when runs were active since the
   * previous one: a process that ends with its runs records how they went to the end.
   */
  stop(): void {
    if (this.on && this.peak > 0) this.sample();
    this.active.clear();
    this.peak = 0;
    this.halt();
  }

  private append(sink: SampleSink, sample: ResourceSample): void {
    try {
      sink.append({ ...sample, host: this.host });
    } catch (e) {
      this.failures++;
      try {
        this.onSinkError?.(e);
      } catch {
        // a reporter that throws must not stop sampling either
      }
    }
  }

  private schedule(): void {
    this.cancel = startTimer(this.clock, this.intervalMs, () => {
      this.cancel = null;
      if (!this.on) return;
      this.sample();
      if (this.active.size > 0) this.schedule();
      else this.halt();
    });
  }

  private halt(): void {
    this.cancel?.();
    this.cancel = null;
    if (this.on) this.loop?.disable();
    this.on = false;
  }
}
